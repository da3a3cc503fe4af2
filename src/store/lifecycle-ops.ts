/**
 * Deleting, restoring and garbage-collecting runs and experiments of the local store, with
 * MLflow's semantics: a deleted run keeps everything it logged and can be restored; deleting
 * an experiment deletes its runs, restoring it restores them all; `gc` removes what is
 * deleted for good. Which runs are deleted lives in each experiment's lifecycle log
 * (lifecycle.ts); an experiment's stage lives in its `experiment.json`.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { ConflictError, NotFoundError, StateError, ValidationError } from "../errors.js";
import { readJsonFile, writeFileAtomic } from "../log/atomic.js";
import { acquireLock, releaseLockSync, withLock } from "../log/lock.js";
import type { Experiment } from "../model/types.js";
import { deletedAt } from "./lifecycle.js";
import { RunPaths } from "./layout.js";
import type { LocalStore } from "./local-store.js";
import { parseExperimentMeta, type ExperimentMeta } from "./meta.js";

/**
 * Marks a run deleted (`deleted: true`) or active again. Idempotent. Throws
 * {@link NotFoundError} for an unknown run. Resolves with the run's experiment id once the
 * change is on disk (fsynced).
 */
export async function setRunDeleted(store: LocalStore, runId: string, deleted: boolean, now: number): Promise<string> {
  const found = await store.findRun(runId);
  if (found === undefined) throw new NotFoundError(`run "${runId}" not found in the local store at ${store.layout.root}`);
  store.lifecycle.append(found.experimentId, [{ r: runId, d: deleted ? 1 : 0, ts: now }]);
  return found.experimentId;
}

/** The experiment document of `name`, deleted or not. Throws {@link NotFoundError}. */
async function experimentMeta(store: LocalStore, name: string): Promise<ExperimentMeta> {
  const exp = await store.getExperimentByName(name);
  if (exp === undefined) throw new NotFoundError(`experiment "${name}" not found in the local store at ${store.layout.root}`);
  const file = store.layout.experimentFile(exp.experimentId);
  return parseExperimentMeta(await readJsonFile(file), file);
}

/**
 * Deletes (or restores) an experiment by name and, as MLflow does, every run in it. The
 * `Default` experiment cannot be deleted. Idempotent. Throws {@link NotFoundError}.
 */
export async function setExperimentDeleted(store: LocalStore, name: string, deleted: boolean, now: number): Promise<Experiment> {
  const before = await experimentMeta(store, name);
  if (deleted && before.experimentId === "0") throw new ValidationError("experiment", name, "the Default experiment (id 0) cannot be deleted");
  return withLock(store.layout.storeLock, "the local store", async () => {
    const meta = await experimentMeta(store, name);
    // Runs first: a crash between the two writes leaves the runs changed and the experiment
    // not yet, and calling again finishes it.
    store.lifecycle.append(meta.experimentId, [{ x: 1, d: deleted ? 1 : 0, ts: now }]);
    const next: ExperimentMeta = { ...meta, lifecycleStage: deleted ? "deleted" : "active" };
    if (meta.lifecycleStage !== next.lifecycleStage)
      await writeFileAtomic(store.layout.experimentFile(meta.experimentId), `${JSON.stringify(next, null, 2)}\n`);
    const exp = await store.getExperiment(meta.experimentId);
    return exp;
  });
}

/**
 * Throws a {@link StateError} when the experiment is deleted: runs cannot start in it
 * (MLflow: "must be in the 'active' state").
 */
export function checkExperimentActive(experiment: Experiment): void {
  if (experiment.deleted === true)
    throw StateError.of(
      "experiment",
      experiment.name,
      "is deleted: restore it (tracker.restoreExperiment, mltrail experiments restore) or start the run in another experiment",
    );
}

/** Options of {@link collectGarbage}. */
export interface GcOptions {
  /** Only what was deleted at least this long ago, ms. @default 0 (everything deleted) */
  readonly olderThanMs?: number;
  /** Only these runs (ids). @default every deleted run */
  readonly runIds?: readonly string[];
  /** Runs that must stay, with the reason (e.g. their deletion has not reached a server yet). @default none */
  readonly keep?: (runDir: string) => Promise<string | undefined>;
}

/**
 * What {@link collectGarbage} did.
 * @example `{ runs: ["0193…"], experiments: ["3"], skipped: [{ runId: "0194…", reason: "a process is writing it" }] }`
 */
export interface GcResult {
  /** Runs removed for good. */
  readonly runs: string[];
  /** Experiments (ids) removed for good: deleted, and every run of theirs removed. */
  readonly experiments: string[];
  /** Deleted runs left in place, and why. */
  readonly skipped: { readonly runId: string; readonly reason: string }[];
}

/**
 * Removes deleted runs (and deleted experiments once empty) for good: their folders, journals
 * and artifacts. A run a live process holds is skipped. Restoring is impossible afterwards.
 */
export async function collectGarbage(store: LocalStore, options: GcOptions, now: number): Promise<GcResult> {
  const result: GcResult = { runs: [], experiments: [], skipped: [] };
  const only = options.runIds === undefined ? undefined : new Set(options.runIds);
  const cutoff = now - (options.olderThanMs ?? 0);
  for (const exp of await store.listExperiments()) {
    const state = store.lifecycle.state(exp.experimentId);
    const runsDir = store.layout.runsDir(exp.experimentId);
    const runIds = await fsp.readdir(runsDir).catch(() => [] as string[]);
    let left = 0;
    for (const runId of runIds) {
      const at = deletedAt(state, runId);
      if (at === undefined || at > cutoff || (only !== undefined && !only.has(runId))) {
        left++;
        continue;
      }
      const reason = await removeRun(store, new RunPaths(path.join(runsDir, runId)), runId, options.keep);
      if (reason === undefined) result.runs.push(runId);
      else {
        left++;
        result.skipped.push({ runId, reason });
      }
    }
    if (exp.deleted === true && left === 0 && only === undefined && exp.experimentId !== "0") {
      await fsp.rm(store.layout.experimentDir(exp.experimentId), { recursive: true, force: true });
      result.experiments.push(exp.experimentId);
    }
  }
  return result;
}

/** Removes one run's folder under its writer lock; the reason when it must stay. */
async function removeRun(store: LocalStore, paths: RunPaths, runId: string, keep: GcOptions["keep"]): Promise<string | undefined> {
  let token: string;
  try {
    token = (await acquireLock(paths.lock, `run "${runId}"`)).token;
  } catch (err) {
    if (err instanceof ConflictError) return "a process is writing it";
    throw err;
  }
  try {
    const reason = await keep?.(paths.dir);
    if (reason !== undefined) return reason;
    // The run.json first: a run without it is no run to any reader, whatever is left after a crash.
    await fsp.rm(paths.meta, { force: true });
    await fsp.rm(paths.dir, { recursive: true, force: true });
    await store.removeRunDir(runId, paths); // and out of the store's cache of run folders
    return undefined;
  } finally {
    releaseLockSync(paths.lock, token);
  }
}

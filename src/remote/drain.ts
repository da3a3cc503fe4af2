/**
 * Finds runs in a local log that are not fully replicated to a target server and that no
 * live process is writing, and claims them (takes their writer lock) for replication. A run
 * whose writer died without ending it gets an end record `KILLED`, so the server learns its
 * final status too.
 *
 * Only runs bound for the server (logged while it was configured, or sent to it before) are
 * claimed unless `earlier` is set: runs of the local store from before the server was
 * configured are counted, and go only when the user asks (`mltrail sync`, `syncEarlierRuns`).
 */
import * as fsp from "node:fs/promises";
import { ConflictError } from "../errors.js";
import { acquireLock, releaseLockSync } from "../log/lock.js";
import { JournalWriter, recoverJournal } from "../log/journal.js";
import { endJson } from "../log/record.js";
import { readJournal } from "../log/segments.js";
import type { LocalStore } from "../store/local-store.js";
import { RunPaths } from "../store/layout.js";
import { ReplicationState } from "./replication-state.js";
import type { RunSource } from "./run-replicator.js";

/** Options of {@link claimPendingRuns}. */
export interface ClaimOptions {
  /** Only this run (local or server id). */
  readonly runId?: string;
  /** Skip these local run ids (e.g. runs this process has open). */
  readonly skip?: ReadonlySet<string>;
  /** Also claim runs never bound for this server (logged before it was configured). @default false */
  readonly earlier?: boolean;
}

/** What {@link claimPendingRuns} found. */
export interface ClaimedRuns {
  /** Runs claimed for replication. */
  readonly sources: RunSource[];
  /** Runs left alone because they were logged before this server was configured. */
  readonly earlier: number;
}

/** Claims every pending run of `store` for `target`. The caller must call `release()` on each source. */
export async function claimPendingRuns(store: LocalStore, target: string, options: ClaimOptions = {}): Promise<ClaimedRuns> {
  const { sources, earlier } = await claimPendingRunsFor(store, [target], options);
  return { sources: sources.get(target) ?? [], earlier };
}

/**
 * Claims every pending run of `store` for any of `targets` (a fan-out): a run's writer lock is
 * taken once for all the targets it is pending for, and released when the last of their
 * sources is released. `earlier` counts runs left alone for every target together.
 */
export async function claimPendingRunsFor(
  store: LocalStore,
  targets: readonly string[],
  options: ClaimOptions = {},
): Promise<{ sources: Map<string, RunSource[]>; earlier: number }> {
  const out = new Map<string, RunSource[]>(targets.map((t) => [t, []]));
  let earlier = 0;
  for (const exp of await store.listExperiments()) {
    const runIds = await fsp.readdir(store.layout.runsDir(exp.experimentId)).catch(() => [] as string[]);
    for (const runId of runIds) {
      if (options.skip?.has(runId)) continue;
      const paths = new RunPaths(store.layout.runDir(exp.experimentId, runId));
      const wanted: [string, ReplicationState][] = [];
      for (const target of targets) {
        const state = await ReplicationState.load(paths.dir, target);
        if (options.runId !== undefined && options.runId !== runId && options.runId !== state.state.remoteRunId) continue;
        if (state.state.done) continue;
        if (!state.bound && options.earlier !== true && options.runId === undefined) {
          earlier++;
          continue;
        }
        wanted.push([target, state]);
      }
      if (wanted.length === 0) continue;
      let meta: Awaited<ReturnType<typeof store.readRunMeta>>;
      try {
        meta = await store.readRunMeta(paths);
      } catch {
        continue; // no meta yet: a run being created right now
      }
      try {
        await acquireLock(paths.lock, `run "${runId}"`);
      } catch (err) {
        if (err instanceof ConflictError) continue; // a live process writes it and replicates it
        throw err;
      }
      try {
        const lastSeq = await endIfCrashed(paths, meta.startTime);
        let holders = wanted.length;
        for (const [target, state] of wanted) {
          let released = false;
          out.get(target)?.push({
            runId,
            runKey: meta.runKey ?? runId,
            runDir: paths.dir,
            journalDir: paths.journal,
            experimentName: exp.name,
            name: meta.name,
            startTime: meta.startTime,
            user: meta.user,
            writtenSeq: () => lastSeq,
            state,
            release: () => {
              if (released) return;
              released = true;
              if (--holders === 0) releaseLockSync(paths.lock);
            },
          });
        }
      } catch (err) {
        releaseLockSync(paths.lock);
        throw err;
      }
    }
  }
  return { sources: out, earlier };
}

/** Recovers a claimed run's journal and appends `KILLED` when it has no end record. Returns the last sequence number. */
async function endIfCrashed(paths: RunPaths, startTime: number): Promise<number> {
  const recovery = await recoverJournal(paths.journal);
  const tail = await readJournal(paths.journal, recovery.lastSeq);
  const last = tail.records[tail.records.length - 1];
  if (last?.t === "end") return recovery.lastSeq;
  const { writer } = await JournalWriter.open(paths.journal, { durability: "always", fsyncIntervalMs: 1000 });
  const seq = writer.nextSeq();
  writer.append(endJson(seq, "KILLED", last?.ts ?? startTime), seq);
  writer.closeSync();
  return seq;
}

/** Quotes a shell word when it needs it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The exact command that sends what a run log holds to a server.
 * @example `syncCommand("http://127.0.0.1:5000", "/home/me/proj/mltrail") // "mltrail sync --to http://127.0.0.1:5000 --dir /home/me/proj/mltrail"`
 */
export function syncCommand(url: string, dir: string): string {
  return `mltrail sync --to ${shellWord(url)} --dir ${shellWord(dir)}`;
}

const told = new Set<string>();

/** The notice about runs logged before the server was configured; once per process, log and server. */
export function earlierRunsNotice(count: number, url: string, dir: string): string | undefined {
  const key = `${dir}\n${url}`;
  if (count === 0 || told.has(key)) return undefined;
  told.add(key);
  return `${count} earlier run(s) in ${dir} were logged before ${url} was configured and stay local; send them with: ${syncCommand(url, dir)} (or set syncEarlierRuns: true; false silences this)`;
}

/**
 * Resuming a run that lives on the backend but not in this machine's run log (logged on
 * another machine, or a log that was removed): the run is brought into the log first, as a
 * folder whose journal holds what the backend has (params, tags, the latest point of each
 * metric, its end) and whose replication cursor already counts all of it as sent. Resuming it
 * then goes as for any run of the log: new records follow, only they are sent, and the run's
 * last point per key tells where its steps continue (`run.lastStep(key)`).
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { NotFoundError, StateError } from "./errors.js";
import { acquireLock, releaseLockSync } from "./log/lock.js";
import { JournalWriter } from "./log/journal.js";
import { endJson, keyValueJson, metricJson } from "./log/record.js";
import { RUN_KEY_TAG } from "./model/system-tags.js";
import type { EndStatus, Metric } from "./model/types.js";
import type { OpenRunInput } from "./open-run-base.js";
import { REPLICATION_FILE, ReplicationState } from "./remote/replication-state.js";
import type { LocalStore } from "./store/local-store.js";
import type { RunMeta } from "./store/meta.js";

/**
 * The run log's folder of `runId` (a local id, or the backend's id of a run that started
 * offline and was sent later), or undefined.
 * @internal
 */
export async function localRunId(store: LocalStore, target: string, runId: string): Promise<string | undefined> {
  if ((await store.findRun(runId)) !== undefined) return runId;
  for (const exp of await store.listExperiments()) {
    for (const id of await fsp.readdir(store.layout.runsDir(exp.experimentId)).catch(() => [] as string[])) {
      const dir = store.layout.runDir(exp.experimentId, id);
      if (fs.existsSync(path.join(dir, REPLICATION_FILE)) && (await ReplicationState.load(dir, target)).state.remoteRunId === runId) return id;
    }
  }
  return undefined;
}

/** The point MLflow calls a key's latest: greatest step, then timestamp, then value. */
function latestOf(history: readonly Metric[]): Metric | undefined {
  let best: Metric | undefined;
  for (const m of history) {
    if (
      best === undefined ||
      m.step > best.step ||
      (m.step === best.step && (m.timestamp > best.timestamp || (m.timestamp === best.timestamp && m.value > best.value)))
    )
      best = m;
  }
  return best;
}

/**
 * Brings the backend's run `runId` into the run log (folder named by the backend's id) unless
 * the log holds it already. Throws NotFoundError for a run the backend does not know, and
 * StateError for a deleted one.
 * @internal
 */
export async function importRemoteRun(input: OpenRunInput, runId: string): Promise<void> {
  const { store, remote } = input;
  if ((await store.findRun(runId)) !== undefined || remote === undefined) return;
  const queries = remote.backend.queries;
  if (queries === undefined) throw StateError.of("resume", runId, `is not in the local run log, and the ${remote.backend.kind} backend cannot be read back`);
  const server = await queries.getRun(runId).catch((err: unknown) => {
    throw err instanceof NotFoundError ? new NotFoundError(`run "${runId}" not found in the local run log nor on ${remote.target}`, { cause: err }) : err;
  });
  if (server.info.deleted === true) throw StateError.of("resume", runId, "is a deleted run: restore it first (tracker.restoreRun)");
  const experiment = (await queries.listExperiments("ALL")).find((e) => e.experimentId === server.info.experimentId);
  if (experiment === undefined) throw new NotFoundError(`the experiment of run "${runId}" (id ${server.info.experimentId}) is not on ${remote.target}`);
  const latest: Metric[] = [];
  for (const key of Object.keys(server.data.metrics)) {
    const point = latestOf(await queries.getMetricHistory(runId, key));
    if (point !== undefined) latest.push(point);
  }
  const local = await store.getOrCreateExperiment(experiment.name, input.clock());
  const ended = server.info.status !== "RUNNING" && server.info.status !== "SCHEDULED";
  const meta: RunMeta = {
    format: "mltrail-run",
    version: 1,
    runId,
    runKey: server.data.tags[RUN_KEY_TAG] ?? runId,
    experimentId: local.experimentId,
    name: server.info.name,
    startTime: server.info.startTime,
    status: server.info.status,
    ...(server.info.endTime === undefined ? {} : { endTime: server.info.endTime }),
    ...(server.info.parentRunId === undefined ? {} : { parentRunId: server.info.parentRunId }),
  };
  const paths = await store.createRunDir(local.experimentId, runId);
  const { token } = await acquireLock(paths.lock, `run "${runId}"`);
  try {
    const { writer } = await JournalWriter.open(paths.journal, { durability: "always", fsyncIntervalMs: 1000 });
    const at = server.info.startTime;
    let seq = 0;
    const append = (line: (s: number) => string): void => {
      seq = writer.nextSeq();
      writer.append(line(seq), seq);
    };
    for (const [k, v] of Object.entries(server.data.params)) append((s) => keyValueJson(s, "p", JSON.stringify(k), v, at));
    for (const [k, v] of Object.entries(server.data.tags)) append((s) => keyValueJson(s, "t", JSON.stringify(k), v, at));
    for (const m of latest) append((s) => metricJson(s, JSON.stringify(m.key), m.value, m.timestamp, m.step));
    if (ended) append((s) => endJson(s, server.info.status as EndStatus, server.info.endTime ?? at));
    writer.closeSync();
    // All of it is on the backend already: the cursor starts after it, so nothing is sent twice.
    const state = await ReplicationState.load(paths.dir, remote.target);
    Object.assign(state.state, { remoteRunId: runId, remoteExperimentId: server.info.experimentId, ackedSeq: seq, ended: false, done: false });
    await state.save();
    await store.writeRunMeta(paths, meta);
  } catch (err) {
    await store.removeRunDir(runId, paths);
    throw err;
  } finally {
    releaseLockSync(paths.lock, token);
  }
}

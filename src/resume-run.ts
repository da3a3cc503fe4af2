/**
 * Resuming a run of the local store (`startRun({ resume })`): take its lock (a stale one from a
 * crashed writer is taken over), fold what it logged, mark it running again with a `resume`
 * record when it had ended, and keep appending to the same journal.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { StateError } from "./errors.js";
import { resumeJson } from "./log/record.js";
import { LockHandoff, openRunLog, endRun, type OpenRun, type OpenRunInput } from "./open-run-base.js";
import { REPLICATION_FILE, ReplicationState } from "./remote/replication-state.js";
import type { RunSource } from "./remote/run-replicator.js";
import { importRemoteRun, localRunId } from "./resume-remote.js";
import { Run } from "./run.js";
import type { RunPlan } from "./start-run.js";
import type { LocalStore } from "./store/local-store.js";
import type { RunMeta } from "./store/meta.js";
import { LiveFold } from "./store/index/live-fold.js";

/** Opens an existing run of the local store for writing again. @internal */
export async function resumeRun(input: OpenRunInput, plan: RunPlan & { resume: string }): Promise<OpenRun> {
  const { store, clock, target } = input;
  let runId = plan.resume;
  if (target !== undefined) {
    // A run of another machine (or a removed log) is brought into this log first.
    runId = (await localRunId(store, target, runId)) ?? runId;
    await importRemoteRun(input, runId);
  }
  const { paths } = await store.foldRun(runId); // NotFoundError for an unknown id
  if (target !== undefined && !(await ReplicationState.load(paths.dir, target)).bound)
    throw StateError.of("resume", runId, `was logged before ${target} was configured: send it there first (mltrail sync), then resume it`);
  if ((await store.getRun(runId)).info.deleted === true) throw StateError.of("resume", runId, "is a deleted run: restore it first (tracker.restoreRun)");
  if (target === undefined && fs.existsSync(path.join(paths.dir, REPLICATION_FILE))) {
    throw StateError.of(
      "resume",
      runId,
      "was logged for a tracking server: resume it with a tracker of that server (trackingUri), so what it logs next is sent there too",
    );
  }
  const live = new LiveFold();
  const log = await openRunLog(input, paths, runId, live);
  let folded: Awaited<ReturnType<LocalStore["foldRun"]>>;
  try {
    // Folded again under the lock: the journal is final now that no other writer holds it.
    folded = await store.foldRun(runId);
    const running: RunMeta = { ...folded.meta, status: "RUNNING" };
    delete (running as { endTime?: number }).endTime;
    await store.writeRunMeta(paths, running);
  } catch (err) {
    log.closeSync();
    throw err;
  }
  const { meta, state, experimentId } = folded;
  for (const [k, v] of state.params) live.params.set(k, v);
  for (const [k, v] of state.tags) live.tags.set(k, v);
  for (const [k, p] of state.latest) live.latest.set(k, { ...p });
  const baseSeq = log.writer.seq;
  if (state.end !== undefined) {
    const s = log.writer.nextSeq();
    log.writer.append(resumeJson(s, clock()), s);
  }
  store.runReopened(experimentId, runId);
  // With a server: the run is not done there any more; what follows the cursor is sent, then the new end.
  const replication = target === undefined ? undefined : await ReplicationState.load(paths.dir, target);
  if (replication !== undefined) {
    Object.assign(replication.state, { done: false, ended: false });
    await replication.save();
  }
  const name = state.tags.get("mlflow.runName") ?? meta.name;
  const run = new Run({ id: runId, experimentId, name, startTime: meta.startTime, writer: log.writer, host: input.host, artifactsDir: paths.artifacts, live });
  const handoff = new LockHandoff(log);
  // Replicated by this tracker when it is online (as a new run is); offline, a later tracker or `mltrail sync` sends it.
  const source: RunSource | undefined =
    replication === undefined || input.remote === undefined
      ? undefined
      : {
          runId,
          runKey: meta.runKey ?? runId,
          runDir: paths.dir,
          journalDir: paths.journal,
          experimentName: (await store.getExperiment(experimentId)).name,
          name,
          startTime: meta.startTime,
          user: meta.user,
          writtenSeq: () => log.writer.writtenSeq,
          state: replication,
          release: handoff.release,
        };
  return {
    run,
    log,
    paths,
    meta,
    baseSeq,
    state: source === undefined ? undefined : replication,
    source,
    begin() {
      run.setTags(plan.tags);
      run.logParams(plan.params);
    },
    finish(status, endTime) {
      const close = (): Promise<boolean> => handoff.close(source !== undefined, () => input.onCommit(runId));
      return endRun(store, paths, { ...meta, status: "RUNNING" }, live, close, () => log.writer.seq, status, endTime);
    },
  };
}

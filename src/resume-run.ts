/**
 * Resuming a run of the local store (`startRun({ resume })`): take its lock (a stale one from a
 * crashed writer is taken over), fold what it logged, mark it running again with a `resume`
 * record when it had ended, and keep appending to the same journal.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { StateError } from "./errors.js";
import { resumeJson } from "./log/record.js";
import { openRunLog, recordEnd, type OpenRun, type OpenRunInput } from "./open-run-base.js";
import { REPLICATION_FILE } from "./remote/replication-state.js";
import { Run } from "./run.js";
import type { RunPlan } from "./start-run.js";
import type { LocalStore } from "./store/local-store.js";
import type { RunMeta } from "./store/meta.js";
import { LiveFold } from "./store/index/live-fold.js";

/** Opens an existing run of the local store for writing again. @internal */
export async function resumeRun(input: OpenRunInput, plan: RunPlan & { resume: string }): Promise<OpenRun> {
  const { store, clock } = input;
  const runId = plan.resume;
  if (input.target !== undefined) {
    throw StateError.of(
      "resume",
      runId,
      `cannot be resumed by a tracker that replicates to ${input.target}: resume is supported on the local store only in this version`,
    );
  }
  const { paths } = await store.foldRun(runId); // NotFoundError for an unknown id
  if ((await store.getRun(runId)).info.deleted === true) throw StateError.of("resume", runId, "is a deleted run: restore it first (tracker.restoreRun)");
  if (fs.existsSync(path.join(paths.dir, REPLICATION_FILE))) {
    throw StateError.of("resume", runId, "was logged for a tracking server: resume is supported for runs of the local store only in this version");
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
  const name = state.tags.get("mlflow.runName") ?? meta.name;
  const run = new Run({ id: runId, experimentId, name, startTime: meta.startTime, writer: log.writer, host: input.host, artifactsDir: paths.artifacts, live });
  let finished = false;
  return {
    run,
    log,
    paths,
    meta,
    baseSeq,
    state: undefined,
    source: undefined,
    begin() {
      run.setTags(plan.tags);
      run.logParams(plan.params);
    },
    async finish(status, endTime) {
      if (finished) return;
      finished = true;
      await log.close();
      await recordEnd(store, paths, { ...meta, status: "RUNNING" }, live, log.writer.seq, status, endTime);
    },
  };
}

/** The tracker's delete/restore of runs and experiments, `gc`, and the pass that sends pending stage changes. */
import { setExperimentStage, setRunStage, syncLifecycle, type LifecycleContext } from "../lifecycle.js";
import type { Experiment } from "../model/types.js";
import { checkRunId, checkString } from "../model/validate.js";
import { collectGarbage, type GcResult } from "../store/lifecycle-ops.js";
import { checkGcOptions } from "./checks.js";
import { asMltrailError, type TrackerSession } from "./session.js";

async function lifecycleContext(session: TrackerSession): Promise<LifecycleContext> {
  const { store, queries } = await session.core();
  return { store, queries, remote: session.remote, now: session.clock(), onError: (e) => session.emitError(e) };
}

/** See `Tracker.deleteRun` (`deleted`) and `Tracker.restoreRun`. */
export async function runStage(session: TrackerSession, runId: string, deleted: boolean): Promise<void> {
  checkRunId("runId", runId);
  session.runs.commitOpen(runId);
  await setRunStage(await lifecycleContext(session), runId, deleted);
}

/** See `Tracker.deleteExperiment` (`deleted`) and `Tracker.restoreExperiment`. */
export async function experimentStage(session: TrackerSession, name: string, deleted: boolean): Promise<Experiment> {
  checkString("name", name);
  return setExperimentStage(await lifecycleContext(session), name, deleted);
}

/** See `Tracker.gc`. */
export async function gc(session: TrackerSession, options: { readonly olderThanMs?: number; readonly runIds?: readonly string[] }): Promise<GcResult> {
  checkGcOptions(options);
  return collectGarbage((await session.core()).store, options, session.clock());
}

/** Deletions and restores of runs in the log that the backend has not received yet (now that their runs are there). */
export async function sendLifecycle(session: TrackerSession): Promise<void> {
  const core = session.replicating === undefined ? undefined : await session.corePromise?.catch(() => undefined);
  if (core === undefined) return;
  await syncLifecycle({ store: core.store, remote: session.remote, onError: (e) => session.emitError(e) }).catch((err: unknown) =>
    session.emitError(asMltrailError(err)),
  );
}

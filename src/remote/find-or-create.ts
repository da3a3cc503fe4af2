/**
 * Finds a run on the target by its `runKey`, or creates it there, without ever creating it
 * twice: a create sent earlier (a `startRun` that stopped waiting, a process that died
 * mid-request) may still land until the sink's `settleMs` after it was sent.
 */
import type { ReplicationSink, SinkRun } from "../backends/types.js";
import { appliedNothing } from "./errors.js";
import type { ReplicationState } from "./replication-state.js";

/** Shortest pause between two lookups of a run whose create may still land, ms. */
const LOOKUP_EVERY_MS = 1000;

/** What {@link findOrCreateRun} needs of a run. @internal */
export interface FindOrCreateSource extends SinkRun {
  readonly state: ReplicationState;
}

/** Records that no create of the run can still land (it was answered, or refused outright). @internal */
export function forgetCreateAttempt(st: ReplicationState["state"]): void {
  st.createAttempted = false;
  delete st.createAttemptedAt;
}

/**
 * The run's id on the target (and its experiment's): looked up by its key first, so a run
 * already sent under another spelling of the server, from a copy of the log, or by a lost
 * create is found; while an earlier create may still land, looked up again now and then (so a
 * late create is found as soon as it landed, not after a fixed wait); created otherwise. A
 * create the server refused outright ({@link appliedNothing}) is not waited for.
 * @internal
 */
export async function findOrCreateRun(
  source: FindOrCreateSource,
  services: { readonly sink: ReplicationSink; experimentId(name: string): Promise<string> },
): Promise<{ runId: string; experimentId: string }> {
  const st = source.state.state;
  const sink = services.sink;
  const experimentId = st.remoteExperimentId ?? (await services.experimentId(source.experimentName));
  st.remoteExperimentId = experimentId;
  let remote = await sink.findRun(experimentId, source);
  const landsUntil = (): number => (st.createAttempted === true ? (st.createAttemptedAt ?? 0) + sink.settleMs : 0);
  while (remote === undefined && landsUntil() > Date.now()) {
    const pause = Math.min(landsUntil() - Date.now(), Math.max(LOOKUP_EVERY_MS, sink.settleMs / 6));
    await new Promise((resolve) => setTimeout(resolve, pause).unref());
    remote = await sink.findRun(experimentId, source);
  }
  if (remote === undefined) {
    st.createAttempted = true;
    st.createAttemptedAt = Date.now();
    await source.state.save();
    try {
      remote = await sink.createRun(experimentId, source);
    } catch (error) {
      // Refused outright (SQLite locked, a full pool, a 429): no run can land from it, so the
      // next attempt creates at once instead of looking for it until `settleMs` has passed.
      if (appliedNothing(error)) {
        forgetCreateAttempt(st);
        await source.state.save();
      }
      throw error;
    }
  }
  return { runId: remote, experimentId };
}

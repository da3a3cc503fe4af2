/** A tracker's `stats()`: record counts of its runs with the replication state. */
import type { RemoteSide } from "../remote/connect.js";
import type { FanOut } from "../remote/fan-out.js";
import type { TrackerState, TrackerStats } from "../tracker-types.js";
import type { OpenRuns } from "./open-runs.js";

/** What the counts are taken from. */
export interface StatsSources {
  readonly runs: OpenRuns;
  readonly remote: RemoteSide | undefined;
  readonly fanOut: FanOut | undefined;
  /** The replicator, when records go to a server now (online). */
  readonly replicating: RemoteSide["replicator"] | undefined;
  readonly lastError: string | undefined;
}

/** Counts of logged, written, durable, acknowledged, pending and rejected records, and the replication state. */
export function trackerStats({ runs, remote, fanOut, replicating, lastError }: StatsSources): TrackerStats {
  const { logged, written, durable } = runs.counts();
  const targets = fanOut?.stats();
  const base = { logged, written, durable, activeRuns: runs.size, ...(targets === undefined ? {} : { targets }) };
  if (replicating === undefined) {
    const state: TrackerState = remote === undefined ? "LOCAL" : "OFFLINE";
    return {
      ...base,
      acked: remote === undefined ? durable : 0,
      pending: remote === undefined ? logged - durable : logged,
      rejected: 0,
      state,
      lastError,
    };
  }
  const r = replicating.stats();
  return { ...base, acked: r.acked, pending: r.pending + (logged - written), rejected: r.rejected, state: r.state, lastError: lastError ?? r.lastError };
}

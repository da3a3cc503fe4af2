/**
 * Public types of the Tracker: targets, stats, flush results, events.
 */
import type { ApiError, MltrailError } from "./errors.js";
import type { JournalRecord } from "./log/record.js";
import type { TargetStats } from "./remote/fan-out.js";
import type { ReplicationHealth } from "./remote/health.js";

export type { TargetStats } from "./remote/fan-out.js";

/**
 * Targets a tracker-level logging call at a run by id instead of the active run.
 * @example `tracker.logParam("lr", 1, { runId })`
 */
export interface RunTarget {
  /** Id of an open run of this tracker. @default the active run */
  readonly runId?: string;
}

/**
 * Where records are headed: `LOCAL` (the local store is the backend), `OFFLINE` (a server is
 * configured but `mode: "offline"`), or the health of replication to the server.
 * @example `tracker.stats().state === "DOWN"`
 */
export type TrackerState = "LOCAL" | "OFFLINE" | ReplicationHealth;

/**
 * Counts kept by a tracker since it was created.
 * @example `tracker.stats().pending`
 */
export interface TrackerStats {
  /** Records logged through this tracker. */
  readonly logged: number;
  /** Records written to the run logs (they survive a crash of the process). */
  readonly written: number;
  /** Records fsynced (they survive power loss). */
  readonly durable: number;
  /** Records acknowledged: by the server when there is one, else the durable ones. */
  readonly acked: number;
  /** Records not yet acknowledged (they stay in the run log until they are). */
  readonly pending: number;
  /** Records the server rejected (kept in the run's `rejected.jsonl`). */
  readonly rejected: number;
  /** Runs open in this tracker. */
  readonly activeRuns: number;
  /** Where records are headed and how that is going. */
  readonly state: TrackerState;
  /** The last error seen, if any. */
  readonly lastError: string | undefined;
  /**
   * With `targets` (fan-out): each further target's own state and counts, by target (an MLflow
   * server's URL, `tensorboard:<absolute folder>`, `dvc:<absolute folder>`). The fields above
   * are about `trackingUri`.
   */
  readonly targets?: Readonly<Record<string, TargetStats>>;
}

/**
 * Result of `flush()`.
 * @example `const { pending } = await tracker.flush({ timeoutMs: 5000 });`
 */
export interface FlushResult {
  /** Records acknowledged. */
  readonly acked: number;
  /** Records still pending (kept in the log). */
  readonly pending: number;
  /** Records rejected. */
  readonly rejected: number;
}

/**
 * Options of `flush()` and `close()`.
 * @example `{ timeoutMs: 5000 }`
 */
export interface FlushOptions {
  /** Longest wait for the server, in ms. @default the `closeTimeoutMs` option (30000) */
  readonly timeoutMs?: number;
}

/**
 * A record the server rejected, as given to `tracker.on("rejected", …)`.
 * @example `tracker.on("rejected", (r) => console.warn(r.runId, r.error.message))`
 */
export interface RejectedRecord {
  /** Local id of the run. */
  readonly runId: string;
  /** Sequence number of the record in the run log. */
  readonly seq: number;
  /** The record as logged. */
  readonly record: JournalRecord;
  /** The server's answer. */
  readonly error: ApiError;
}

/**
 * Events of a tracker.
 * @example `tracker.on("state", (s) => console.log("replication", s))`
 */
export interface TrackerEvents {
  /** A problem that did not throw: transport failures, corrupt log lines, paused replication. */
  error: [error: MltrailError];
  /** A record the server rejected; it is kept in the run's `rejected.jsonl`. */
  rejected: [record: RejectedRecord];
  /** Replication changed state. */
  state: [state: ReplicationHealth];
}

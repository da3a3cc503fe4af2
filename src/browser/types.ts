/**
 * Result and event types of the browser Tracker, the same shapes as the Node SDK's
 * (`src/tracker-types.ts`, which the browser build does not import: it reaches Node-only
 * modules through its fan-out types).
 *
 * @packageDocumentation
 */
import type { ApiError, MltrailError } from "../errors.js";
import type { JournalRecord } from "../log/record.js";
import type { ReplicationHealth } from "../remote/health.js";

/**
 * Options of `flush()` and `close()`.
 * @example `{ timeoutMs: 5000 }`
 */
export interface FlushOptions {
  /** Longest wait for the server, in ms. @default the `closeTimeoutMs` option (30000) */
  readonly timeoutMs?: number;
}

/**
 * Result of `flush()` and `close()`.
 * @example `const { pending } = await tracker.flush({ timeoutMs: 5000 });`
 */
export interface FlushResult {
  /** Records acknowledged. */
  readonly acked: number;
  /** Records still pending (kept in IndexedDB). */
  readonly pending: number;
  /** Records rejected. */
  readonly rejected: number;
}

/**
 * A record the server rejected, as given to `tracker.on("rejected", …)`.
 * @example `tracker.on("rejected", (r) => console.warn(r.runId, r.error.message))`
 */
export interface RejectedRecord {
  /** The run's id (the server's once known, else its key). */
  readonly runId: string;
  /** Sequence number of the record in the run. */
  readonly seq: number;
  /** The record as logged. */
  readonly record: JournalRecord;
  /** The server's answer. */
  readonly error: ApiError;
}

/**
 * Counts kept by a browser tracker since it was created.
 * @example `tracker.stats().pending`
 */
export interface BrowserTrackerStats {
  /** Records logged through this tracker. */
  readonly logged: number;
  /** Records in IndexedDB (they survive a reload or a crashed tab). */
  readonly written: number;
  /** Same as `written`: IndexedDB commits with strict durability. */
  readonly durable: number;
  /** Records the server acknowledged (a drained earlier page load's included). */
  readonly acked: number;
  /** Records not yet acknowledged (they stay in IndexedDB until they are). */
  readonly pending: number;
  /** Records the server rejected (kept in IndexedDB's `rejected` store). */
  readonly rejected: number;
  /** Runs open in this tracker. */
  readonly activeRuns: number;
  /** Health of replication to the server. */
  readonly state: ReplicationHealth;
  /** The last error seen, if any. */
  readonly lastError: string | undefined;
}

/**
 * Events of a browser tracker.
 * @example `tracker.on("error", (e) => console.warn(e.message))`
 */
export interface BrowserTrackerEvents {
  /** A problem that did not throw: transport failures, a full storage quota, paused replication. */
  error: [error: MltrailError];
  /** A record the server rejected; it is kept in IndexedDB's `rejected` store. */
  rejected: [record: RejectedRecord];
  /** Replication changed state. */
  state: [state: ReplicationHealth];
}

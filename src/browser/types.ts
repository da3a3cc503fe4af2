/**
 * Result and event types of the browser Tracker, the same shapes as the Node SDK's
 * (`src/tracker-types.ts`, which the browser build does not import: it reaches Node-only
 * modules through its fan-out types).
 *
 * @packageDocumentation
 */
import type { ApiError } from "../errors.js";
import type { JournalRecord } from "../log/record.js";

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

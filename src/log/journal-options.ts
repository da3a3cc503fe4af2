/** Options of a run's journal writer: durability, group commit, segments, outages. */
import type { SpoolError, StorageFullError } from "../errors.js";

/**
 * How often the run log is fsynced (reaches the disk): `"interval"` every `fsyncIntervalMs`
 * when something was written, `"always"` after every group commit (once per event-loop turn).
 * `flush()` and `end()` always fsync.
 * @example `new Tracker({ experiment: "churn", durability: "always" })`
 */
export type Durability = "interval" | "always";

/** Options of a {@link JournalWriter}. */
export interface JournalWriterOptions {
  readonly durability: Durability;
  readonly fsyncIntervalMs: number;
  /**
   * 0: write at the end of every event-loop turn. > 0: gather records for up to this many ms
   * and write them together (fewer writes; a SIGKILL can then lose up to this much).
   * @default 0
   */
  readonly commitIntervalMs?: number;
  /** Rotate to a new segment past this size. @default 64 MiB */
  readonly segmentBytes?: number;
  /** Called for write errors that happen outside a caller's await (group commits, timed fsyncs). */
  readonly onError?: (error: SpoolError) => void;
  /** Called after each successful group commit (replication listens). */
  readonly onCommit?: () => void;
  /** Called after the writer moved on to a new segment: the previous one is sealed. */
  readonly onRotate?: () => void;
  /**
   * Most bytes of records kept in memory while writes fail (a full disk). Past it, logging
   * calls throw {@link StorageFullError} for the records that do not fit (never a silent drop).
   * @default 64 MiB
   */
  readonly maxPendingBytes?: number;
  /**
   * Keep what is written in memory for a replicator in this process, which then takes it from
   * there instead of reading it back (journal-feed.ts). @default false
   */
  readonly feed?: boolean;
  /**
   * Let the process's writer thread (write-behind.ts) write this journal's commits once it
   * logs in a steady loop (`"interval"` durability and no replicator feed only).
   * @default false
   */
  readonly writerThread?: boolean;
  /** @internal Group commits before the writer thread takes over. @default 64 */
  readonly writerThreadAfter?: number;
  /** Called when a {@link JournalWriter.close} that failed on a full disk completed later. */
  readonly onLateClose?: () => void;
}

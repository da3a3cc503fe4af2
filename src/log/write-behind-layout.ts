/**
 * The shared memory of the writer thread (write-behind.ts, writer-thread.ts): a control array
 * of counters and a ring of entries. An entry is a header of {@link HEADER_BYTES} (its fields at
 * the offsets of {@link H}) and a payload padded to 8 bytes: either the bytes of journal lines
 * ({@link KIND}.BYTES) or metric records as their fields ({@link KIND}.METRICS, laid out by
 * raw-metrics.ts), which the thread encodes into lines itself.
 */

/** Indexes into the control array. */
export const CTL = {
  /** Entries published by the main thread (a count). */
  PUBLISHED: 0,
  /** Entries written by the thread (a count). */
  DONE: 1,
  /** Byte offset in the ring where the thread reads next. */
  TAIL: 2,
  /** RUNNING, SLEEPING, FAILED or STOP. */
  STATE: 3,
  /** Bumped (and notified) by the main thread to wake the thread at once. */
  WAKE: 4,
  /** 1 once the thread runs. */
  STARTED: 5,
} as const;

/** Values of `CTL.STATE`. */
export const STATE = { RUNNING: 0, SLEEPING: 1, FAILED: 2, STOP: 3 } as const;

/** What an entry's payload holds. */
export const KIND = { BYTES: 0, METRICS: 1 } as const;

/** Byte offsets of an entry's header fields. */
export const H = {
  /** Int32: payload bytes; -1 marks "the next entry is at offset 0". */
  LEN: 0,
  /** Int32: the file descriptor to append to. */
  FD: 4,
  /** Float64: the file offset the entry starts at, or -1: right after the thread's last entry for this descriptor (where the thread cuts a failed write back to). */
  OFFSET: 8,
  /** Int32: a {@link KIND}. */
  KIND: 16,
  /** Int32: bytes the thread wrote for the entry (set before it counts the entry done). */
  WRITTEN: 20,
} as const;

/** Bytes of an entry's header. */
export const HEADER_BYTES = 24;

/** What the thread is started with. */
export interface ThreadData {
  readonly sab: SharedArrayBuffer;
  /** Bytes of the control array, before the ring. */
  readonly ctlBytes: number;
  /** How long the thread waits between looks at the ring, in ms. */
  readonly pollMs: number;
}

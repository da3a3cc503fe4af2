/**
 * The in-memory side of a run's journal writer (journal.ts): the sequence numbers it hands
 * out, and the records logged since the last group commit, metric records held as their
 * fields (raw-metrics.ts) and others as encoded lines (line-buffer.ts). While writes fail the
 * backlog is bounded by `maxPendingBytes`: past it a record is refused with
 * {@link StorageFullError}, its sequence number not used.
 */
import type { StorageFullError } from "../errors.js";
import type { JournalFeed } from "./journal-feed.js";
import type { JournalWriterOptions } from "./journal-options.js";
import { LineBuffer, metricLineMax, textLineMax } from "./line-buffer.js";
import { RawMetrics } from "./raw-metrics.js";
import type { WriteOutage } from "./write-outage.js";

const INITIAL_BUFFER = 64 * 1024;
const DEFAULT_MAX_PENDING = 64 * 1024 * 1024;

/** Records queued for a journal's next group commit. */
export abstract class JournalQueue {
  /** Last sequence number handed out by {@link nextSeq}: the writer alone assigns them, so they have no gaps. */
  protected handedSeq: number;
  /** Lines queued this turn, encoded and checksummed. */
  protected readonly queue = new LineBuffer(INITIAL_BUFFER);
  /** Metric records taken since the last encoding, encoded into {@link queue} at the commit. */
  protected readonly raw = new RawMetrics();
  /** The last record queued. */
  protected pendingLastSeq = 0;
  protected abstract readonly opts: JournalWriterOptions;
  /** The current write outage, if any. */
  protected abstract readonly outage: WriteOutage;
  /** What was just written, for this process's replicator (journal-feed.ts). */
  protected abstract readonly feed: JournalFeed;

  protected constructor(lastSeq: number) {
    this.handedSeq = lastSeq;
  }

  /** A record was queued: the writer schedules its commit. */
  protected abstract queued(seq: number): void;

  /** Last sequence number handed out. */
  get seq(): number {
    return this.handedSeq;
  }

  /** Hands out the next sequence number; the record built with it goes to {@link append} at once. */
  nextSeq(): number {
    return ++this.handedSeq;
  }

  /** Queues one record's JSON text (built with the `seq` from {@link nextSeq}); it is written at the end of this event-loop turn. */
  append(json: string, seq: number): void {
    this.raw.encodeInto(this.queue, this.feed); // lines keep the order of their sequence numbers
    this.reserve(textLineMax(json), seq);
    this.queue.text(json);
    if (this.feed.wanted) this.feed.text(json);
    this.queued(seq);
  }

  /**
   * Queues a metric record, numbered here (the hot path: its fields are held as they are and
   * encoded at the commit, straight into the commit buffer, the same bytes as `metricJson`).
   * Returns its sequence number.
   */
  appendMetric(keyJson: string, value: number, timestamp: number, step: number): number {
    const seq = this.handedSeq + 1;
    if (this.outage.error === undefined) {
      this.handedSeq = seq;
      if (this.raw.push(seq, keyJson, value, timestamp, step, metricLineMax(keyJson))) this.raw.encodeInto(this.queue, this.feed);
    } else {
      // Writes fail (the commit that failed encoded every record held, so none is): the backlog
      // is bounded, so this record is encoded, and the bound checked, now.
      this.reserve(metricLineMax(keyJson), seq);
      this.handedSeq = seq;
      this.queue.metric(seq, keyJson, value, timestamp, step);
      if (this.feed.wanted) this.feed.metric(seq, keyJson, value, timestamp, step);
    }
    this.queued(seq);
    return seq;
  }

  protected reserve(bytes: number, seq: number): void {
    const need = this.queue.len + bytes;
    if (need > this.queue.buf.length) this.growFor(need, seq);
  }

  /** Number of queued records not yet written. */
  get pendingCount(): number {
    return this.queue.lines + this.raw.count;
  }

  /** Bytes of records queued and not yet written (the records held raw are encoded to count them). */
  get pendingBytes(): number {
    this.raw.encodeInto(this.queue, this.feed);
    return this.queue.len;
  }

  /** Room for `need` bytes; while writes fail, past `maxPendingBytes` the {@link StorageFullError} of the outage. */
  protected growFor(need: number, seq: number): void {
    if (this.outage.error !== undefined && need > (this.opts.maxPendingBytes ?? DEFAULT_MAX_PENDING)) {
      if (this.handedSeq === seq) this.handedSeq = seq - 1; // the record was not taken: no gap in the sequence
      throw this.outage.backlogFull(this.queue.lines, this.queue.len);
    }
    this.queue.grow(need);
  }
}

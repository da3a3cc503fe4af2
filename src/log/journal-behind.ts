/**
 * One journal's side of the writer thread (write-behind.ts): when it takes over (a steady
 * loop: {@link THREAD_AFTER_COMMITS} group commits, with `writerThread`, `"interval"`
 * durability and no replicator feed, which must only ever see written bytes), which commits
 * it takes (metric records as their fields, for the thread to encode; anything else as lines),
 * and what comes back to the journal when the thread stops (its unwritten commits, in order,
 * into the commit buffer, the file cut back to what the thread wrote; the journal then writes
 * on its own thread, with the outage handling of journal.ts).
 *
 * While the thread holds commits of the journal, the file's size counts only what it wrote
 * (it reports each commit's bytes, which only it knows once it encoded them): rotation waits
 * for those bytes, and the journal's own writes come after a wait for the thread.
 */
import type { JournalWriterOptions } from "./journal-options.js";
import { LineBuffer } from "./line-buffer.js";
import { encodePayload, type RawMetrics } from "./raw-metrics.js";
import type { SegmentFile } from "./segment-file.js";
import { KIND } from "./write-behind-layout.js";
import { type BehindOwner, type WriteBehind, writeBehind } from "./write-behind.js";

/** Group commits a journal makes on its own before the writer thread takes its writes. */
const THREAD_AFTER_COMMITS = 64;

/** What the thread's answers change in the journal writer. */
export interface BehindHost {
  /** The thread wrote the records up to `lastSeq` (`onCommit` follows, after the current operation). */
  written(lastSeq: number): void;
  /** Commits taken back wait in the commit buffer: write them on the journal's own thread. */
  requeue(): void;
}

/** A journal writer's link to the writer thread. */
export class JournalBehind implements BehindOwner {
  private thread: WriteBehind | undefined;
  /** Group commits made, counted until the thread takes over. */
  private commits = 0;
  /** Commits handed to the thread and not yet written (nor taken back). */
  private inFlight = 0;
  /** Bytes their lines may take at most, counted since the thread last held none. */
  private inFlightBytes = 0;
  /** Where the next commit taken back goes in the commit buffer (-1: none taken back yet). */
  private takeBackAt = -1;
  /** The thread failed this journal (a full disk): it writes on its own thread from then on. */
  private failed = false;

  constructor(
    private readonly opts: JournalWriterOptions,
    private readonly queue: LineBuffer,
    private readonly file: SegmentFile,
    private readonly host: BehindHost,
  ) {}

  /**
   * Hands the commit buffer (its last record `lastSeq`) to the thread: true when taken. `own`
   * (a reader of the feed, an outage): this journal writes itself, after what the thread holds.
   */
  take(lastSeq: number, own: boolean): boolean {
    const thread = this.threadFor(own);
    if (thread === undefined) return false;
    const { queue, file } = this;
    if (thread.submit(this, file.fd, this.offset(), queue.buf, queue.len, queue.lines, lastSeq)) {
      this.inFlight++;
      this.inFlightBytes += queue.len;
      return true;
    }
    this.release(thread);
    return false;
  }

  /** Hands the metric records held by `raw` (the commit's only records) to the thread to encode: true when taken (`raw` is then empty). */
  takeMetrics(raw: RawMetrics, lastSeq: number, own: boolean): boolean {
    const thread = this.threadFor(own);
    if (thread === undefined) return false;
    const bytes = raw.lineBytesMax;
    if (thread.submitMetrics(this, this.file.fd, this.offset(), raw, lastSeq)) {
      raw.clear();
      this.inFlight++;
      this.inFlightBytes += bytes;
      return true;
    }
    this.release(thread);
    return false;
  }

  /** The thread to hand a commit to, or undefined: the journal writes it itself. */
  private threadFor(own: boolean): WriteBehind | undefined {
    const { opts } = this;
    if (this.thread === undefined) {
      if (own || this.failed || opts.writerThread !== true || opts.durability !== "interval" || opts.feed === true) return undefined;
      if (++this.commits < (opts.writerThreadAfter ?? THREAD_AFTER_COMMITS)) return undefined;
      this.thread = writeBehind();
      return this.thread;
    }
    if (!own) return this.thread;
    this.release(this.thread);
    return undefined;
  }

  /** Where a commit handed over now starts in the file: known when the thread holds none of this journal's (-1: after them). */
  private offset(): number {
    return this.inFlight === 0 ? this.file.size : -1;
  }

  /** The file's size once the thread wrote what it holds, at most (rotation's check: the journal then waits for it). */
  get sizeBound(): number {
    return this.file.size + this.inFlightBytes;
  }

  /** The journal writes itself from now on (until the thread takes over again): what the thread holds is written first, or taken back. */
  private release(thread: WriteBehind): void {
    // A failure found during a submit took the commits back and cleared this.thread already.
    this.thread = undefined;
    thread.drainSync();
  }

  /** Blocks until the thread wrote what it was handed (reads, rotation, close, exit). */
  drainSync(): void {
    this.thread?.drainSync();
  }

  /** Resolves once the thread wrote what it was handed (flush). */
  async drain(): Promise<void> {
    if (this.thread !== undefined) await this.thread.drain();
  }

  /** @internal */
  confirmed(lastSeq: number, bytes: number): void {
    if (--this.inFlight === 0) this.inFlightBytes = 0;
    this.file.size += bytes;
    this.host.written(lastSeq);
    // `onCommit` is told after the journal's current operation (a commit may be halfway): a
    // listener that commits at once must not run inside it.
    if (this.opts.onCommit !== undefined && !this.noticeQueued) {
      this.noticeQueued = true;
      queueMicrotask(this.notice);
    }
  }

  private noticeQueued = false;
  private readonly notice = (): void => {
    this.noticeQueued = false;
    this.opts.onCommit?.();
  };

  /** @internal */
  takeBack(kind: number, payload: Uint8Array, lines: number): void {
    if (--this.inFlight === 0) this.inFlightBytes = 0;
    if (this.takeBackAt < 0) {
      try {
        this.file.cutBack(this.file.size); // the thread's writes end there (a torn write was cut)
      } catch {
        // The next write of the journal starts at the size it counted all the same.
      }
      this.takeBackAt = 0;
    }
    let bytes = payload;
    if (kind === KIND.METRICS) {
      const encoded = new LineBuffer(payload.length * 4);
      encodePayload(payload, new Float64Array(payload.buffer, payload.byteOffset, payload.byteLength >> 3), 0, encoded);
      bytes = encoded.buf.subarray(0, encoded.len);
    }
    this.queue.insert(this.takeBackAt, bytes, lines); // before the lines queued since, in order
    this.takeBackAt += bytes.length;
  }

  /** @internal */
  retired(): void {
    this.thread = undefined;
    this.failed = true;
    this.takeBackAt = -1;
    this.inFlight = 0;
    this.inFlightBytes = 0;
    this.host.requeue();
  }
}

/**
 * One journal's side of the writer thread (write-behind.ts): when it takes over (a steady
 * loop: {@link THREAD_AFTER_COMMITS} group commits, with `writerThread`, `"interval"`
 * durability and no replicator feed, which must only ever see written bytes), which commits
 * it takes, and what comes back to the journal when the thread stops (its unwritten commits,
 * in order, into the commit buffer, the file cut back to where they start; the journal then
 * writes on its own thread, with the outage handling of journal.ts).
 */
import type { JournalWriterOptions } from "./journal-options.js";
import type { LineBuffer } from "./line-buffer.js";
import type { SegmentFile } from "./segment-file.js";
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
   * Hands the commit buffer (its last record `lastSeq`) to the thread, advancing the file's
   * size past it: true when taken. `own` (a reader of the feed, an outage): this journal
   * writes itself, after what the thread holds.
   */
  take(lastSeq: number, own: boolean): boolean {
    const { opts, queue, file } = this;
    if (this.thread === undefined) {
      if (own || this.failed || opts.writerThread !== true || opts.durability !== "interval" || opts.feed === true) return false;
      if (++this.commits < (opts.writerThreadAfter ?? THREAD_AFTER_COMMITS)) return false;
      this.thread = writeBehind();
      if (this.thread === undefined) return false;
    }
    // Kept here: a failure found during submit() takes the commits back and clears this.thread.
    const thread = this.thread;
    if (!own && thread.submit(this, file.fd, file.size, queue.buf, queue.len, queue.lines, lastSeq)) {
      file.size += queue.len;
      return true;
    }
    this.thread = undefined;
    thread.drainSync(); // not taken: what the thread holds is written first (or taken back)
    return false;
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
  confirmed(lastSeq: number): void {
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
  takeBack(bytes: Uint8Array, lines: number, fileOffset: number): void {
    if (this.takeBackAt < 0) {
      try {
        this.file.cutBack(fileOffset); // the thread's writes end before it (a torn write was cut)
      } catch {
        this.file.size = fileOffset;
      }
      this.takeBackAt = 0;
    }
    this.queue.insert(this.takeBackAt, bytes, lines); // before the lines queued since, in order
    this.takeBackAt += bytes.length;
  }

  /** @internal */
  retired(): void {
    this.thread = undefined;
    this.failed = true;
    this.takeBackAt = -1;
    this.host.requeue();
  }
}

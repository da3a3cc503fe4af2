/**
 * The journal writer of one run. Logging calls hand it records (no I/O): metric records as
 * their fields (raw-metrics.ts), others as JSON text. At the end of the event-loop turn (group
 * commit) it encodes and checksums them into one buffer (line-buffer.ts), appends that with a
 * single write to the current segment (segment-file.ts), fsyncs per the durability setting
 * (journal-fsync.ts) and rotates segments. In a steady loop the writer thread takes the commits
 * instead (journal-behind.ts): metric records as their fields, which it encodes and writes.
 *
 * A failed write (a full disk above all) never loses a record: the records stay queued in
 * memory (up to `maxPendingBytes`) and the write is retried with backoff (write-outage.ts).
 */
import * as fs from "node:fs";
import type { SpoolError } from "../errors.js";
import { JournalBehind } from "./journal-behind.js";
import { JournalFeed } from "./journal-feed.js";
import { JournalFsync } from "./journal-fsync.js";
import { storageError } from "./fs-errors.js";
import { JournalQueue } from "./journal-queue.js";
import { recoverJournal, type RecoveryReport } from "./recover.js";
import { SegmentFile } from "./segment-file.js";
import { listSegmentsSync, segmentName } from "./segments.js";
import { WriteOutage } from "./write-outage.js";
import type { JournalWriterOptions } from "./journal-options.js";

export { recoverJournal, type RecoveryReport } from "./recover.js";

export type { Durability, JournalWriterOptions } from "./journal-options.js";

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** A commit buffer grown past this (one huge turn) is dropped afterwards, so memory does not stay high. */
const KEEP_BUFFER_MAX = 16 * 1024 * 1024;

/** Appends checksummed lines to a run's journal. */
export class JournalWriter extends JournalQueue {
  /** Last sequence number written to the OS (survives SIGKILL). */
  writtenSeq: number;

  readonly dir: string;
  protected readonly opts: JournalWriterOptions;
  protected readonly outage: WriteOutage;
  /** What was just written, for this process's replicator (journal-feed.ts). */
  protected readonly feed: JournalFeed;
  private readonly segmentBytes: number;
  private readonly fsyncs: JournalFsync;
  private scheduled = false;
  /** The segment being appended to. */
  private readonly file: SegmentFile;
  /** @internal */
  closed = false;
  /** A close() failed on a full disk: close once the backlog is written. */
  private closeWhenWritten = false;
  private drainWaiters: (() => void)[] = [];
  /** The writer thread's share of this journal's writes (journal-behind.ts). */
  private readonly behind: JournalBehind;
  private readonly commitCallback = (): void => {
    this.scheduled = false;
    try {
      this.commitSync();
    } catch {
      // Reported when the outage began (see failed()); the retry timer keeps trying.
    }
  };

  private constructor(dir: string, file: SegmentFile, lastSeq: number, opts: JournalWriterOptions) {
    super(lastSeq);
    this.dir = dir;
    this.file = file;
    this.feed = new JournalFeed(dir, file.name, file.size, opts.feed === true, lastSeq === 0 && file.size === 0);
    this.writtenSeq = lastSeq;
    this.fsyncs = new JournalFsync(this, lastSeq);
    this.opts = opts;
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.behind = new JournalBehind(opts, this.queue, file, {
      written: (lastSeq) => {
        if (lastSeq > this.writtenSeq) this.writtenSeq = lastSeq;
      },
      requeue: () => {
        if (this.queue.lines > 0) this.queued(this.pendingLastSeq);
      },
    });
    this.outage = new WriteOutage({
      dir,
      onError: opts.onError,
      retry: () => {
        this.scheduled = false;
        this.commitCallback();
      },
      lastAttempt: () => this.lastAttemptAtExit(),
    });
    if (opts.durability === "interval") this.fsyncs.every(opts.fsyncIntervalMs, opts.onError);
  }

  /** Opens (creating if needed) a journal for appending, after recovering a torn tail. */
  static async open(dir: string, opts: JournalWriterOptions): Promise<{ writer: JournalWriter; recovery: RecoveryReport }> {
    // Synchronous calls: a new run's journal is an empty folder, and a few microseconds of
    // syscalls beat trips through the thread pool on a loaded machine. Only an existing
    // journal (a resumed run) is read off the main thread.
    fs.mkdirSync(dir, { recursive: true });
    const segments = listSegmentsSync(dir);
    const recovery = segments.length === 0 ? { truncatedBytes: 0, corrupt: [], lastSeq: 0 } : await recoverJournal(dir, segments);
    const last = segments[segments.length - 1];
    const file = SegmentFile.open(dir, last?.name ?? segmentName(recovery.lastSeq + 1));
    return { writer: new JournalWriter(dir, file, recovery.lastSeq, opts), recovery };
  }

  /** @internal The current segment's file descriptor (what the fsyncs sync). */
  get fd(): number {
    return this.file.fd;
  }

  protected override queued(seq: number): void {
    this.pendingLastSeq = seq;
    if (!this.scheduled) {
      this.scheduled = true;
      const delay = this.opts.commitIntervalMs ?? 0;
      if (delay > 0)
        setTimeout(this.commitCallback, delay); // referenced: records never wait past exit
      else setImmediate(this.commitCallback);
    }
  }

  /**
   * Adds files or folders to fsync along with the journal's next fsync (and every later one
   * until it succeeds): with `"interval"` a new run's run.json and folders reach the disk with
   * its first records instead of on their own, one fsync after another, at its start.
   */
  alsoSync(paths: readonly string[]): void {
    this.fsyncs.alsoSync(paths);
  }

  /** Last sequence number fsynced (survives power loss). */
  get syncedSeq(): number {
    return this.fsyncs.syncedSeq;
  }

  /**
   * Resolves once nothing is queued any more (at once when nothing is). After a failed
   * `close()`, once the backlog is written and the file closed.
   */
  drained(): Promise<void> {
    if (this.pendingCount === 0 && !this.closeWhenWritten) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * Writes everything queued now, synchronously (group commit). Throws
   * {@link StorageFullError} on a full disk, else {@link SpoolError}; the records then stay
   * queued and a retry is scheduled.
   */
  commitSync(): void {
    const queue = this.queue;
    // Only metric records this turn: the writer thread, when it writes this journal, encodes them.
    if (this.raw.count > 0 && queue.lines === 0 && !this.closed && this.behind.takeMetrics(this.raw, this.pendingLastSeq, this.writesItself)) {
      this.handedOff();
      return;
    }
    this.raw.encodeInto(queue, this.feed);
    if (queue.lines === 0 || this.closed || this.handOff()) return;
    const offset = this.file.size;
    try {
      this.file.append(queue.buf, queue.len); // a partial write is cut back
    } catch (err) {
      this.scheduled = true; // appends wait for the retry instead of failing once per turn
      throw this.outage.failed(err, queue.lines);
    }
    if (this.outage.error !== undefined) this.outage.recovered();
    this.feed.committed(this.file.name, offset, this.file.size, queue.lines, this.pendingLastSeq);
    queue.clear(KEEP_BUFFER_MAX);
    this.writtenSeq = this.pendingLastSeq;
    if (this.opts.durability === "always") this.syncSync();
    if (this.file.size >= this.segmentBytes) this.rotate();
    this.opts.onCommit?.();
    if (queue.lines === 0) this.settleDrain();
  }

  /** A reader of the feed or a write outage: the journal writes itself, not the writer thread. */
  private get writesItself(): boolean {
    return this.feed.wanted || this.outage.error !== undefined;
  }

  /** Hands this commit to the writer thread when it writes this journal's commits; true when it took it. */
  private handOff(): boolean {
    if (!this.behind.take(this.pendingLastSeq, this.writesItself)) return false;
    this.queue.clear(KEEP_BUFFER_MAX);
    this.handedOff();
    return true;
  }

  /** The writer thread took the commit. The file's size counts what it wrote so far (no feed reads it meanwhile). */
  private handedOff(): void {
    const file = this.file;
    this.feed.committed(file.name, file.size, file.size, 0, this.pendingLastSeq);
    if (this.behind.sizeBound >= this.segmentBytes) {
      this.behind.drainSync(); // the file's size is exact again; the sealed segment is fsynced and closed whole
      if (file.size >= this.segmentBytes) this.rotate();
    }
  }

  /** Writes everything logged so far to the OS, the writer thread's share included, so that reads see it. */
  writeThroughSync(): void {
    this.commitSync();
    this.behind.drainSync();
    this.commitSync(); // what a failed thread handed back, written here
  }

  private settleDrain(): void {
    if (this.closeWhenWritten) {
      this.closeWhenWritten = false;
      try {
        this.closeSync();
        this.opts.onLateClose?.();
      } catch (err) {
        this.opts.onError?.(storageError(err, "cannot close the run log", this.dir) as SpoolError);
      }
    }
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  /** The process exits while writes fail: one last try, then say on stderr what was not written. */
  private lastAttemptAtExit(): void {
    if (this.pendingCount === 0 || this.closed) return;
    try {
      this.commitSync();
      this.syncSync();
    } catch {
      this.outage.reportUnwritten(this.queue.lines, this.writtenSeq + 1, this.pendingLastSeq);
    }
  }

  private rotate(): void {
    // When the next segment cannot be opened (a full disk), writing goes on in the current
    // one and rotation is tried after the next commit.
    if (!this.file.rotate(this.writtenSeq + 1)) return;
    this.feed.rotated(this.file.name);
    this.fsyncs.syncedSeq = this.writtenSeq; // the old segment was fsynced before its close
    this.alsoSync([this.dir]); // the new segment's name reaches the disk with its first fsync
    this.opts.onRotate?.();
  }

  /** fsyncs what has been written, synchronously. */
  syncSync(): void {
    this.behind.drainSync();
    this.fsyncs.syncSync();
  }

  /** fsyncs what has been written (and the paths of {@link alsoSync}), off the main thread. */
  async sync(): Promise<void> {
    await this.behind.drain();
    return this.fsyncs.sync();
  }

  /** Writes and fsyncs everything queued: once it resolves, the records survive power loss. */
  async flush(): Promise<void> {
    this.commitSync();
    await this.behind.drain();
    this.commitSync(); // what a failed thread handed back, written here (or the outage's error)
    await this.sync(); // waits for the thread again: records logged during the wait went to it
  }

  /**
   * Flushes and closes the file. Idempotent. On a full disk it rejects with
   * {@link StorageFullError} and keeps the records queued; the file is closed (and
   * `onLateClose` called) once they are written.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } catch (err) {
      if (this.queue.lines > 0) this.closeWhenWritten = true;
      throw err;
    }
    await this.fsyncs.settled();
    this.closeSync();
  }

  /** Writes, fsyncs and closes synchronously (exit paths). Idempotent. */
  closeSync(): void {
    if (this.closed) return;
    try {
      this.writeThroughSync(); // the thread's writes to this file end before it closes
      if (this.fsyncs.due) this.syncSync(); // not again after close()'s fsync
    } finally {
      if (this.queue.lines === 0 || !this.outage.retrying) {
        this.closed = true;
        this.feed.close();
        this.fsyncs.stop();
        this.outage.stop();
        this.file.close();
      }
    }
  }
}

/**
 * The journal writer of one run. Logging calls hand it finished JSON lines (no I/O); it
 * appends everything queued in one event-loop turn with a single write (group commit),
 * checksums each line, fsyncs per the durability setting and rotates segments.
 *
 * A failed write (a full disk above all) never loses a record: the partial write is cut, the
 * records stay queued in memory (up to `maxPendingBytes`), the failure is reported once per
 * outage, and the write is retried with backoff until it succeeds.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { SpoolError, StorageFullError } from "../errors.js";
import { crc32 } from "./crc.js";
import { isDiskFull, storageError } from "./fs-errors.js";
import { listSegments, scanSegment, segmentName, type CorruptLine } from "./segments.js";

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
  /** Called when a {@link JournalWriter.close} that failed on a full disk completed later. */
  readonly onLateClose?: () => void;
}

/** What recovery found when a journal was opened for writing. */
export interface RecoveryReport {
  /** Bytes of a torn tail cut from the last segment (a crash mid-write). */
  readonly truncatedBytes: number;
  /** Corrupt lines kept in place (they are skipped by readers and reported). */
  readonly corrupt: readonly CorruptLine[];
  /** Sequence number of the last good record. */
  readonly lastSeq: number;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const INITIAL_BUFFER = 64 * 1024;
/** A commit buffer grown past this (one huge turn) is dropped afterwards, so memory does not stay high. */
const KEEP_BUFFER_MAX = 16 * 1024 * 1024;
const HEX = Buffer.from("0123456789abcdef", "latin1");
const DEFAULT_MAX_PENDING = 64 * 1024 * 1024;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2000;

/** Writes `value` as 8 lowercase hex digits at `buf[at..at+8)`. */
function writeHex8(buf: Buffer, at: number, value: number): void {
  for (let i = 7; i >= 0; i--) {
    buf[at + i] = HEX[value & 0xf] as number;
    value >>>= 4;
  }
}

/**
 * Cuts a torn tail from the last segment and returns the last good sequence number. Only
 * the process holding the run's lock may call it.
 */
export async function recoverJournal(dir: string): Promise<RecoveryReport> {
  const segments = await listSegments(dir);
  const corrupt: CorruptLine[] = [];
  for (let i = segments.length - 1; i >= 0; i--) {
    const seg = segments[i];
    if (seg === undefined) break;
    const file = path.join(dir, seg.name);
    const buf = await fsp.readFile(file);
    const scan = scanSegment(buf, seg.name);
    corrupt.push(...scan.corrupt);
    let truncatedBytes = 0;
    if (i === segments.length - 1 && scan.tailBytes > 0) {
      await fsp.truncate(file, scan.validEnd);
      truncatedBytes = scan.tailBytes;
    }
    const last = scan.records[scan.records.length - 1];
    if (last !== undefined || i === 0) {
      return { truncatedBytes, corrupt, lastSeq: last?.s ?? (seg.firstSeq > 0 ? seg.firstSeq - 1 : 0) };
    }
    if (truncatedBytes > 0) return { truncatedBytes, corrupt, lastSeq: seg.firstSeq - 1 };
  }
  return { truncatedBytes: 0, corrupt, lastSeq: 0 };
}

/** Appends checksummed lines to a run's journal. */
export class JournalWriter {
  /** Last sequence number handed out by {@link nextSeq}: the writer alone assigns them, so they have no gaps. */
  private handedSeq: number;
  /** Last sequence number written to the OS (survives SIGKILL). */
  writtenSeq: number;
  /** Last sequence number fsynced (survives power loss). */
  syncedSeq: number;
  /** The last write error, until a later write succeeds. */
  lastError: SpoolError | undefined;

  private readonly dir: string;
  private readonly opts: JournalWriterOptions;
  private readonly segmentBytes: number;
  /** Lines queued this turn, already UTF-8 encoded, each behind a 9-byte CRC placeholder. */
  private buf: Buffer = Buffer.allocUnsafe(INITIAL_BUFFER);
  private len = 0;
  private lines = 0;
  private pendingLastSeq = 0;
  private scheduled = false;
  private fd: number;
  private segmentSize: number;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private closed = false;
  /** Set while writes fail: the retry timer owns the next commit. */
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = RETRY_MIN_MS;
  /** A close() failed on a full disk: close once the backlog is written. */
  private closeWhenWritten = false;
  private drainWaiters: (() => void)[] = [];
  private readonly exitReport = (): void => this.lastAttemptAtExit();
  private readonly commitCallback = (): void => {
    this.scheduled = false;
    try {
      this.commitSync();
    } catch {
      // Reported when the outage began (see failed()); the retry timer keeps trying.
    }
  };

  private constructor(dir: string, fd: number, size: number, lastSeq: number, opts: JournalWriterOptions) {
    this.dir = dir;
    this.fd = fd;
    this.segmentSize = size;
    this.handedSeq = lastSeq;
    this.writtenSeq = lastSeq;
    this.syncedSeq = lastSeq;
    this.opts = opts;
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (opts.durability === "interval") {
      this.timer = setInterval(() => {
        if (this.writtenSeq > this.syncedSeq) this.sync().catch((err: unknown) => this.opts.onError?.(err as SpoolError));
      }, opts.fsyncIntervalMs);
      this.timer.unref();
    }
  }

  /** Opens (creating if needed) a journal for appending, after recovering a torn tail. */
  static async open(dir: string, opts: JournalWriterOptions): Promise<{ writer: JournalWriter; recovery: RecoveryReport }> {
    await fsp.mkdir(dir, { recursive: true });
    const recovery = await recoverJournal(dir);
    const segments = await listSegments(dir);
    const last = segments[segments.length - 1];
    const name = last?.name ?? segmentName(recovery.lastSeq + 1);
    const file = path.join(dir, name);
    const fd = fs.openSync(file, "a");
    const size = fs.fstatSync(fd).size;
    return { writer: new JournalWriter(dir, fd, size, recovery.lastSeq, opts), recovery };
  }

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
    const need = this.len + 10 + json.length * 3;
    if (need > this.buf.length) this.growFor(need, seq);
    this.len += 9; // CRC placeholder, filled at commit
    this.len += this.buf.write(json, this.len, "utf8");
    this.buf[this.len++] = 0x0a;
    this.lines++;
    this.pendingLastSeq = seq;
    if (!this.scheduled) {
      this.scheduled = true;
      const delay = this.opts.commitIntervalMs ?? 0;
      if (delay > 0)
        setTimeout(this.commitCallback, delay); // referenced: records never wait past exit
      else setImmediate(this.commitCallback);
    }
  }

  /** Number of queued records not yet written. */
  get pendingCount(): number {
    return this.lines;
  }

  /** Bytes of records queued and not yet written. */
  get pendingBytes(): number {
    return this.len;
  }

  /**
   * Resolves once nothing is queued any more (at once when nothing is). After a failed
   * `close()`, once the backlog is written and the file closed.
   */
  drained(): Promise<void> {
    if (this.lines === 0 && !this.closeWhenWritten) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private growFor(need: number, seq: number): void {
    if (this.lastError !== undefined && need > (this.opts.maxPendingBytes ?? DEFAULT_MAX_PENDING)) {
      if (this.handedSeq === seq) this.handedSeq = seq - 1; // the record was not taken: no gap in the sequence
      throw new StorageFullError(
        `the run log cannot be written (${this.lastError.message}) and ${this.lines} record(s) (${this.len} bytes) already wait in memory, the most it keeps: this record was not logged`,
        { path: this.dir },
      );
    }
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Fills each queued line's CRC placeholder. Lines hold no raw newline (JSON escapes it). */
  private sealLines(): void {
    const buf = this.buf;
    let pos = 0;
    while (pos < this.len) {
      const nl = buf.indexOf(0x0a, pos + 9);
      writeHex8(buf, pos, crc32(buf.subarray(pos + 9, nl)));
      buf[pos + 8] = 0x20;
      pos = nl + 1;
    }
  }

  /**
   * Writes everything queued now, synchronously (group commit). Throws
   * {@link StorageFullError} on a full disk, else {@link SpoolError}; the records then stay
   * queued and a retry is scheduled.
   */
  commitSync(): void {
    if (this.lines === 0 || this.closed) return;
    this.sealLines();
    const length = this.len;
    try {
      let off = 0;
      while (off < length) off += fs.writeSync(this.fd, this.buf, off, length - off);
    } catch (err) {
      // Cut a partial write so a retry cannot leave half a line in the middle of the file.
      try {
        fs.ftruncateSync(this.fd, this.segmentSize);
      } catch {
        // The tail is then a torn line, which recovery cuts.
      }
      this.failed(err);
      throw this.lastError;
    }
    if (this.lastError !== undefined) this.recovered();
    this.len = 0;
    this.lines = 0;
    if (this.buf.length > KEEP_BUFFER_MAX) this.buf = Buffer.allocUnsafe(INITIAL_BUFFER);
    this.writtenSeq = this.pendingLastSeq;
    this.segmentSize += length;
    if (this.opts.durability === "always") this.syncSync();
    if (this.segmentSize >= this.segmentBytes) this.rotate();
    this.opts.onCommit?.();
    if (this.lines === 0) this.settleDrain();
  }

  private failed(err: unknown): void {
    const what = `cannot append ${this.lines} record(s) to the run log`;
    const kept = "they stay queued in memory and are written as soon as it succeeds";
    const began = this.lastError === undefined;
    this.lastError = isDiskFull(err)
      ? new StorageFullError(`${what}: the disk is full; ${kept}`, { cause: err, path: this.dir })
      : new SpoolError(`${what}: ${(err as Error).message}; ${kept}`, { cause: err, path: this.dir });
    if (began) this.opts.onError?.(this.lastError); // once per outage, however many retries fail
    this.scheduled = true; // appends wait for the retry instead of failing once per turn
    if (this.retryTimer === undefined) {
      if (this.retryDelay === RETRY_MIN_MS) process.on("exit", this.exitReport);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.scheduled = false;
        this.commitCallback();
      }, this.retryDelay);
      this.retryTimer.unref();
      this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
    }
  }

  private recovered(): void {
    this.lastError = undefined;
    this.retryDelay = RETRY_MIN_MS;
    process.off("exit", this.exitReport);
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
    if (this.lines === 0 || this.closed) return;
    try {
      this.commitSync();
      this.syncSync();
    } catch {
      process.stderr.write(
        `mltrail: ${this.lines} record(s) (sequence ${this.writtenSeq + 1}–${this.pendingLastSeq}) could not be written to the run log at ${this.dir}: ${this.lastError?.message ?? "write failed"}\n`,
      );
    }
  }

  private rotate(): void {
    // The next segment is opened before the current one is closed: when that fails (a full
    // disk), writing goes on in the current segment and rotation is tried after the next commit.
    let next: number;
    try {
      next = fs.openSync(path.join(this.dir, segmentName(this.writtenSeq + 1)), "a");
    } catch {
      return;
    }
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.syncedSeq = this.writtenSeq;
    this.fd = next;
    this.segmentSize = 0;
    this.opts.onRotate?.();
  }

  /** fsyncs what has been written, synchronously. */
  syncSync(): void {
    if (this.closed) return;
    const target = this.writtenSeq;
    fs.fsyncSync(this.fd);
    this.syncedSeq = Math.max(this.syncedSeq, target);
  }

  /** fsyncs what has been written, off the main thread. */
  async sync(): Promise<void> {
    if (this.syncing !== undefined) await this.syncing;
    if (this.closed || this.syncedSeq >= this.writtenSeq) return;
    const target = this.writtenSeq;
    const fd = this.fd;
    this.syncing = new Promise<void>((resolve, reject) => {
      fs.fsync(fd, (err) => {
        // A segment rotated or closed meanwhile was fsynced synchronously before closing.
        if (err && fd === this.fd && !this.closed) {
          reject(new SpoolError(`cannot fsync the run log: ${err.message}`, { cause: err, path: this.dir }));
        } else resolve();
      });
    });
    try {
      await this.syncing;
      this.syncedSeq = Math.max(this.syncedSeq, target);
    } finally {
      this.syncing = undefined;
    }
  }

  /** Writes and fsyncs everything queued: once it resolves, the records survive power loss. */
  async flush(): Promise<void> {
    this.commitSync();
    await this.sync();
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
      if (this.lines > 0) this.closeWhenWritten = true;
      throw err;
    }
    if (this.syncing !== undefined) await this.syncing;
    this.closeSync();
  }

  /** Writes, fsyncs and closes synchronously (exit paths). Idempotent. */
  closeSync(): void {
    if (this.closed) return;
    try {
      this.commitSync();
      this.syncSync();
    } finally {
      if (this.lines === 0 || this.retryTimer === undefined) {
        this.closed = true;
        if (this.timer !== undefined) clearInterval(this.timer);
        if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
        fs.closeSync(this.fd);
      }
    }
  }
}

/**
 * The journal writer of one run. Logging calls hand it finished JSON lines (no I/O); it
 * appends everything queued in one event-loop turn with a single write (group commit),
 * checksums each line, fsyncs per the durability setting and rotates segments.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { SpoolError } from "../errors.js";
import { crc32 } from "./crc.js";
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
  /** Last sequence number handed out. */
  seq: number;
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
  private readonly commitCallback = (): void => {
    this.scheduled = false;
    try {
      this.commitSync();
    } catch (err) {
      this.opts.onError?.(err as SpoolError);
    }
  };

  private constructor(dir: string, fd: number, size: number, lastSeq: number, opts: JournalWriterOptions) {
    this.dir = dir;
    this.fd = fd;
    this.segmentSize = size;
    this.seq = lastSeq;
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

  /** Queues one record's JSON text; it is written at the end of this event-loop turn. */
  append(json: string, seq: number): void {
    const need = this.len + 10 + json.length * 3;
    if (need > this.buf.length) this.grow(need);
    this.len += 9; // CRC placeholder, filled at commit
    this.len += this.buf.write(json, this.len, "utf8");
    this.buf[this.len++] = 0x0a;
    this.lines++;
    this.pendingLastSeq = seq;
    if (!this.scheduled) {
      this.scheduled = true;
      const delay = this.opts.commitIntervalMs ?? 0;
      if (delay > 0) setTimeout(this.commitCallback, delay); // referenced: records never wait past exit
      else setImmediate(this.commitCallback);
    }
  }

  /** Number of queued records not yet written. */
  get pendingCount(): number {
    return this.lines;
  }

  private grow(need: number): void {
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

  /** Writes everything queued now, synchronously (group commit). Throws {@link SpoolError}. */
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
      this.lastError = new SpoolError(`cannot append to the run log: ${(err as Error).message}`, { cause: err, path: this.dir });
      throw this.lastError;
    }
    this.lastError = undefined;
    this.len = 0;
    this.lines = 0;
    if (this.buf.length > KEEP_BUFFER_MAX) this.buf = Buffer.allocUnsafe(INITIAL_BUFFER);
    this.writtenSeq = this.pendingLastSeq;
    this.segmentSize += length;
    if (this.opts.durability === "always") this.syncSync();
    if (this.segmentSize >= this.segmentBytes) this.rotate();
    this.opts.onCommit?.();
  }

  private rotate(): void {
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.syncedSeq = this.writtenSeq;
    this.fd = fs.openSync(path.join(this.dir, segmentName(this.writtenSeq + 1)), "a");
    this.segmentSize = 0;
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

  /** Flushes and closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
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
      this.closed = true;
      if (this.timer !== undefined) clearInterval(this.timer);
      fs.closeSync(this.fd);
    }
  }
}

/**
 * A TensorBoard event file: TFRecords (u64 length, masked CRC-32C of the length, data, masked
 * CRC-32C of the data) whose data are `Event` protobufs, the first one `file_version`.
 * Records are framed in one growing buffer and written in large chunks.
 *
 * @packageDocumentation
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { maskedCrc32c } from "./crc32c.js";
import { fileVersionEvent, scalarEventMaxSize, writeScalarEvent } from "./proto.js";

const CHUNK = 1 << 20;
let fileCounter = 0;

/**
 * The name TensorBoard's own writers use: `events.out.tfevents.<unix seconds>.<host>.<pid>.<n>`.
 * @example `eventFileName(Date.now())` → `"events.out.tfevents.1764670000.box.4242.0"`
 */
export function eventFileName(nowMs: number): string {
  const seconds = String(Math.floor(nowMs / 1000)).padStart(10, "0");
  return `events.out.tfevents.${seconds}.${os.hostname()}.${process.pid}.${fileCounter++}`;
}

/**
 * Writes one event file. Create it with `EventFileWriter.open`, add events, then `close()`.
 * The file is written under a `.tmp` name and renamed on close, so TensorBoard never reads a
 * half-written export. `EventFileWriter.live` writes under the final name instead, and
 * `flush()` hands what is buffered to the file so a running TensorBoard sees it.
 * @example
 * ```ts
 * const w = EventFileWriter.open(dir, Date.now());
 * w.scalar(w.tag("loss"), 1764670000.5, 3, 0.25);
 * const file = w.close();
 * ```
 */
export class EventFileWriter {
  private buf = new Uint8Array(CHUNK);
  private view = new DataView(this.buf.buffer);
  private at = 0;
  private closed = false;
  /** Bytes written so far (records framed), the file's final size once closed. */
  bytes = 0;

  private constructor(
    private readonly fd: number,
    private readonly tmpPath: string,
    /** The final path of the file. */
    readonly path: string,
  ) {}

  /** Opens a new event file in `dir` (created if missing) and writes its `file_version` record. */
  static open(dir: string, nowMs: number): EventFileWriter {
    fs.mkdirSync(dir, { recursive: true });
    const final = path.join(dir, eventFileName(nowMs));
    const tmp = `${final}.tmp`;
    const w = new EventFileWriter(fs.openSync(tmp, "w"), tmp, final);
    w.record(fileVersionEvent(nowMs / 1000));
    return w;
  }

  /** Opens a new event file in `dir` under its final name, to be appended to while it is read. */
  static live(dir: string, nowMs: number): EventFileWriter {
    fs.mkdirSync(dir, { recursive: true });
    const final = path.join(dir, eventFileName(nowMs));
    const w = new EventFileWriter(fs.openSync(final, "wx"), final, final);
    w.record(fileVersionEvent(nowMs / 1000));
    return w;
  }

  /** Writes what is buffered to the file (whole records only). */
  flush(): void {
    if (!this.closed) this.drain();
  }

  private reserve(n: number): void {
    if (this.at + n <= this.buf.length) return;
    this.drain();
    if (n > this.buf.length) {
      this.buf = new Uint8Array(n);
      this.view = new DataView(this.buf.buffer);
    }
  }

  private drain(): void {
    let off = 0;
    while (off < this.at) off += fs.writeSync(this.fd, this.buf, off, this.at - off);
    this.at = 0;
  }

  /** Frames `data` at `start` in the buffer; the data must already be at `start + 12`. */
  private frame(start: number, len: number): void {
    const v = this.view;
    v.setUint32(start, len, true);
    v.setUint32(start + 4, 0, true);
    v.setUint32(start + 8, maskedCrc32c(this.buf, start, start + 8), true);
    v.setUint32(start + 12 + len, maskedCrc32c(this.buf, start + 12, start + 12 + len), true);
    this.at = start + 16 + len;
    this.bytes += 16 + len;
  }

  /** Appends one record whose data is an encoded `Event`. */
  record(event: Uint8Array): void {
    this.reserve(event.length + 16);
    this.buf.set(event, this.at + 12);
    this.frame(this.at, event.length);
  }

  /** Appends a scalar event; `tagField` comes from `encodeTag` (see `proto.ts`). */
  scalar(tagField: Uint8Array, wallTimeSeconds: number, step: number, value: number): void {
    this.reserve(scalarEventMaxSize(tagField) + 16);
    const start = this.at;
    const end = writeScalarEvent(this.buf, this.view, start + 12, tagField, wallTimeSeconds, step, value);
    this.frame(start, end - start - 12);
  }

  /** Writes what is buffered, fsyncs, closes and renames the file to its final name. Returns that path. */
  close(): string {
    if (this.closed) return this.path;
    this.closed = true;
    try {
      this.drain();
      fs.fsyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
    }
    if (this.tmpPath !== this.path) fs.renameSync(this.tmpPath, this.path);
    return this.path;
  }

  /** Closes and removes the unfinished file (after a failed export). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
    fs.rmSync(this.tmpPath, { force: true });
  }
}

/**
 * The segment a journal writer appends to: its file descriptor and size. An append writes the
 * whole commit buffer or, when a write fails part-way, cuts the file back to where it was, so
 * a retry never leaves half a line in the middle of a segment. Rotation opens the next
 * segment before it closes this one.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { segmentName } from "./segments.js";

/** The journal's current segment file. */
export class SegmentFile {
  private constructor(
    private readonly dir: string,
    /** The segment's file name. */
    public name: string,
    /** The open file descriptor. */
    public fd: number,
    /** Bytes in the file. */
    public size: number,
  ) {}

  /** Opens the segment `name` of the journal in `dir` for appending (created if missing). */
  static open(dir: string, name: string): SegmentFile {
    const fd = fs.openSync(path.join(dir, name), "a");
    return new SegmentFile(dir, name, fd, fs.fstatSync(fd).size);
  }

  /** Appends `buf[0, length)` in full. Throws the write's error after cutting back a partial write. */
  append(buf: Uint8Array, length: number): void {
    try {
      let off = 0;
      while (off < length) off += fs.writeSync(this.fd, buf, off, length - off);
    } catch (err) {
      try {
        fs.ftruncateSync(this.fd, this.size);
      } catch {
        // The tail is then a torn line, which recovery cuts.
      }
      throw err;
    }
    this.size += length;
  }

  /** Cuts the file back to `size` bytes (the writer thread's unwritten commits are written again from there). */
  cutBack(size: number): void {
    fs.ftruncateSync(this.fd, size);
    this.size = size;
  }

  /**
   * Moves on to a new segment whose first record is `firstSeq`: opens it, then fsyncs and
   * closes this one. False when the new one cannot be opened (a full disk): writing goes on
   * in this segment and the caller tries again later.
   */
  rotate(firstSeq: number): boolean {
    let next: number;
    const name = segmentName(firstSeq);
    try {
      next = fs.openSync(path.join(this.dir, name), "a");
    } catch {
      return false;
    }
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = next;
    this.name = name;
    this.size = 0;
    return true;
  }

  /** Closes the file. */
  close(): void {
    fs.closeSync(this.fd);
  }
}

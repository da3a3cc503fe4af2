/** Reading the end of a file that another process may be appending to. */
import * as fs from "node:fs";

/** Bytes `[from, to)` of an open file (fewer when it is shorter). */
export function readRange(fd: number, from: number, to: number): Buffer {
  const length = Math.max(0, to - from);
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, buf, got, length - got, from + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** What {@link readTail} read. */
export interface Tail {
  /** The bytes from `from` to the end of the file. */
  readonly buf: Buffer;
  /** Where they start: the offset asked for, or 0 when the file was replaced (another inode). */
  readonly from: number;
  /** The file's size when it was read (below `from` when it shrank). */
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

/**
 * Reads `file` from `offset` to its end; from 0 when `ino` is given and the file is another
 * one now. Undefined when the file does not exist.
 */
export function readTail(file: string, offset: number, ino?: number): Tail | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    const from = ino === undefined || st.ino === ino ? offset : 0;
    const buf = readRange(fd, from, st.size);
    return { buf, from, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
  } finally {
    fs.closeSync(fd);
  }
}

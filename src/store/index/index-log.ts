/**
 * The index log of one experiment (`experiments/<id>/index/runs.idx`): append-only lines of
 * index rows; the last row of a run wins. Several processes append at once (each append is
 * one `write` with `O_APPEND`, begun with a newline so a torn line of a killed appender stays
 * its own line and is skipped). Compaction rewrites the file with one row per run, under a
 * lock, and never loses a row appended meanwhile:
 *
 * - the compactor reads the file up to X, writes the rows to a temp file, fsyncs it and
 *   renames it over the log, then copies whatever the old file got past X into the new one;
 * - an appender that wrote to the old file checks afterwards that the path still names the
 *   file it wrote to, and appends again to the new one if not.
 *
 * An append that lands in the old file before the copy is copied; one after it lands after
 * the rename, so its appender sees the new file and appends again. A duplicate row is
 * harmless (the same row twice). A SIGKILL at any point leaves the old log or a complete new
 * one, and losing a row is only ever a cost: rows are derived data, rebuilt from journals.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { withLock } from "../../log/lock.js";
import { decodeRowAt, encodeReopen, encodeRow, type IndexRow, type LogEntry } from "./entry.js";
import { readRange, readTail } from "./read-tail.js";

/** File name of an experiment's index log inside its `index/` folder. */
export const INDEX_FILE = "runs.idx";

/** Where an append landed: the file (inode) and its size just after the write. */
export interface Appended {
  readonly ino: number;
  readonly end: number;
  readonly bytes: number;
}

/**
 * Appends the mark that a run was resumed: its journal is no longer final, so readers check
 * it on every search until a later row of it (its next end) is appended.
 */
export function appendReopen(file: string, runId: string): Appended | undefined {
  return appendText(file, `\n${encodeReopen(runId)}\n`);
}

/** Appends rows to the log at `file`, creating it (and its folder) when needed. */
export function appendRows(file: string, rows: readonly IndexRow[]): Appended | undefined {
  if (rows.length === 0) return undefined;
  return appendText(file, `\n${rows.map(encodeRow).join("\n")}\n`);
}

function appendText(file: string, text: string): Appended | undefined {
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(file, "a");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      continue;
    }
    try {
      const bytes = fs.writeSync(fd, text);
      const written = fs.fstatSync(fd);
      let current: number | undefined;
      try {
        current = fs.statSync(file).ino;
      } catch {
        current = undefined;
      }
      if (current === written.ino) return { ino: written.ino, end: written.size, bytes };
    } finally {
      fs.closeSync(fd);
    }
  }
  return undefined;
}

/** What reading a log from an offset found. */
export interface LogRead {
  /** Rows and reopen marks, in log order. */
  readonly rows: LogEntry[];
  /** Offset just past the last complete line read. */
  readonly end: number;
  /** Lines read (good or not), for deciding when to compact. */
  readonly lines: number;
  /** Inode of the file read. */
  readonly ino: number;
}

/** Reads complete lines of the log from `offset` (0 for all, or when the file was replaced). Undefined when there is no log. */
export function readRows(file: string, offset: number, ino?: number): LogRead | undefined {
  const tail = readTail(file, offset, ino);
  return tail === undefined ? undefined : { ...parseLines(tail.buf, tail.from), ino: tail.ino };
}

function parseLines(buf: Buffer, from: number): Omit<LogRead, "ino"> {
  const last = buf.lastIndexOf(0x0a);
  const rows: LogEntry[] = [];
  let lines = 0;
  if (last === -1) return { rows, end: from, lines };
  for (let start = 0; start < last; ) {
    let end = buf.indexOf(0x0a, start);
    if (end === -1 || end > last) end = last;
    if (end > start) {
      lines++;
      const row = decodeRowAt(buf, start, end);
      if (row !== undefined) rows.push(row);
    }
    start = end + 1;
  }
  return { rows, end: from + last + 1, lines };
}

/** What a compaction did: the new file, where its compacted lines end, and where it stopped reading the old one. */
export interface Compacted {
  readonly ino: number;
  /** End of the compacted lines in the new file (lines copied after it were appended meanwhile). */
  readonly end: number;
  /** Offset of the old file up to which its lines were compacted. */
  readonly oldEnd: number;
}

/** The last row of each run, and its reopen mark when one follows it, in log order. */
function lastOfEach(entries: readonly LogEntry[]): string[] {
  const latest = new Map<string, { row?: IndexRow; reopened: boolean }>();
  for (const e of entries) {
    if ("reopened" in e) {
      const prev = latest.get(e.reopened);
      if (prev === undefined) latest.set(e.reopened, { reopened: true });
      else prev.reopened = true;
    } else latest.set(e.runId, { row: e, reopened: false });
  }
  const lines: string[] = [];
  for (const [runId, { row, reopened }] of latest) {
    if (row !== undefined) lines.push(encodeRow(row));
    if (reopened) lines.push(encodeReopen(runId));
  }
  return lines;
}

/**
 * Rewrites the log with the last row of each run (and the reopen marks that follow them).
 * Skipped (returns undefined) when another process is compacting. Rows appended meanwhile
 * are kept (see the module comment).
 */
export async function compactLog(file: string): Promise<Compacted | undefined> {
  const lock = `${file}.lock`;
  try {
    return await withLock(
      lock,
      "the run index",
      async () => {
        let fd: number;
        try {
          fd = fs.openSync(file, "r");
        } catch {
          return undefined;
        }
        try {
          const read = parseLines(readRange(fd, 0, fs.fstatSync(fd).size), 0);
          const tmp = path.join(path.dirname(file), `.${INDEX_FILE}.${process.pid}.tmp`);
          const out = fs.openSync(tmp, "w");
          let compacted: Compacted;
          try {
            fs.writeSync(out, `${lastOfEach(read.rows).join("\n")}\n`);
            fs.fsyncSync(out);
            const st = fs.fstatSync(out);
            compacted = { ino: st.ino, end: st.size, oldEnd: read.end };
          } finally {
            fs.closeSync(out);
          }
          fs.renameSync(tmp, file);
          // Rows appended to the old file after it was read.
          const rest = readRange(fd, read.end, fs.fstatSync(fd).size);
          if (rest.length > 0) appendText(file, `\n${rest.toString("utf8")}\n`);
          return compacted;
        } finally {
          fs.closeSync(fd);
        }
      },
      0,
    );
  } catch {
    return undefined;
  }
}

/**
 * Brings an index row up to date with its run's journal by folding only what was appended
 * after the row's position: a running run costs a read of its new bytes, not of its whole
 * journal. Never modifies files.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { JournalRecord } from "../../log/record.js";
import { listSegments, scanSegment } from "../../log/segments.js";
import { foldRecords, type FoldedRun } from "../fold.js";
import type { IndexRow } from "./entry.js";
import { readTail } from "./read-tail.js";

/** What bringing a row up to date did. */
export interface TailFoldResult {
  /** False when the journal still ends where the row says: nothing was read. */
  readonly changed: boolean;
  /** Journal bytes read. */
  readonly bytesRead: number;
}

/** Applies records to a row with the store's fold (fold.ts); artifacts and datasets are not kept. */
export function applyRecords(row: IndexRow, records: readonly JournalRecord[]): void {
  const state: FoldedRun = { params: row.params, tags: row.tags, latest: row.latest, end: row.end, lastSeq: row.lastSeq, artifacts: new Map(), datasets: [] };
  foldRecords(state, records);
  row.end = state.end;
  row.lastSeq = state.lastSeq;
}

function reset(row: IndexRow): void {
  row.params.clear();
  row.tags.clear();
  row.latest.clear();
  row.end = undefined;
  row.lastSeq = 0;
  row.position = undefined;
  row.corrupt.length = 0;
}

/**
 * True when the row's last segment still has the size and time the row recorded. Without
 * `names`, a later segment is not looked for: an ended run's journal gets no new segment.
 */
export function unchanged(row: IndexRow, dir: string, names?: readonly string[]): boolean {
  const pos = row.position;
  if (pos === undefined || (names !== undefined && names[names.length - 1] !== pos.segment)) return false;
  try {
    const st = fs.statSync(`${dir}${path.sep}${pos.segment}`);
    return st.size === pos.size && st.mtimeMs === pos.mtimeMs;
  } catch {
    return false;
  }
}

/** True when the row's last segment has its recorded size but another time: bytes already folded changed. */
function rewrittenInPlace(row: IndexRow, dir: string): boolean {
  const pos = row.position;
  if (pos === undefined) return false;
  try {
    const st = fs.statSync(path.join(dir, pos.segment));
    return st.size === pos.size && st.mtimeMs !== pos.mtimeMs;
  } catch {
    return false;
  }
}

/**
 * Folds what the journal in `dir` holds past `row.position` into `row`. A journal that no
 * longer contains that position (shrunk, or a segment gone) is folded again from the start.
 */
export async function foldTail(row: IndexRow, dir: string): Promise<TailFoldResult> {
  const segments = await listSegments(dir);
  const names = segments.map((s) => s.name);
  if ((names.length === 0 && row.position === undefined) || unchanged(row, dir, names)) return { changed: false, bytesRead: 0 };
  let start = 0;
  let offset = 0;
  const pos = row.position;
  if (pos !== undefined) {
    start = names.indexOf(pos.segment);
    if (start === -1 || rewrittenInPlace(row, dir)) {
      reset(row);
      start = 0;
    } else offset = pos.offset;
  }
  let bytesRead = 0;
  for (let i = start; i < names.length; i++) {
    const name = names[i] as string;
    const read = readTail(path.join(dir, name), offset);
    if (read === undefined) continue;
    if (read.size < offset) {
      // The journal shrank below what was folded: fold it again from the start.
      reset(row);
      return foldTail(row, dir);
    }
    bytesRead += read.buf.length;
    const scan = scanSegment(read.buf, name);
    for (const c of scan.corrupt) row.corrupt.push({ ...c, offset: c.offset + offset });
    applyRecords(row, scan.records);
    row.position = { segment: name, offset: offset + scan.validEnd, size: read.size, mtimeMs: read.mtimeMs };
    offset = 0;
  }
  return { changed: true, bytesRead };
}

/** Journals from this size on are read through the run index by `getRun`. */
export const LONG_JOURNAL_BYTES = 4 * 1024 * 1024;

/** True when a journal has several segments or one of {@link LONG_JOURNAL_BYTES} or more. */
export async function isLongJournal(dir: string): Promise<boolean> {
  const segments = await listSegments(dir);
  if (segments.length !== 1) return segments.length > 1;
  try {
    return fs.statSync(path.join(dir, (segments[0] as { name: string }).name)).size >= LONG_JOURNAL_BYTES;
  } catch {
    return false;
  }
}

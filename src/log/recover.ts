/**
 * Recovery of a journal opened for writing: a torn tail (a crash mid-write) is cut from the
 * last segment; corrupt lines in the middle are kept in place and reported.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { listSegments, scanSegment, type CorruptLine, type SegmentFile } from "./segments.js";

/** What recovery found when a journal was opened for writing. */
export interface RecoveryReport {
  /** Bytes of a torn tail cut from the last segment (a crash mid-write). */
  readonly truncatedBytes: number;
  /** Corrupt lines kept in place (they are skipped by readers and reported). */
  readonly corrupt: readonly CorruptLine[];
  /** Sequence number of the last good record. */
  readonly lastSeq: number;
}

/**
 * Cuts a torn tail from the last segment and returns the last good sequence number. Only
 * the process holding the run's lock may call it. `listed`: the segments, when the caller
 * has just listed them.
 */
export async function recoverJournal(dir: string, listed?: readonly SegmentFile[]): Promise<RecoveryReport> {
  const segments = listed ?? (await listSegments(dir));
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

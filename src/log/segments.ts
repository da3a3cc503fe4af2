/**
 * Journal segment files: `<dir>/<first seq, 16 digits>.jsonl`, read in seq order. Scanning
 * checks each line's CRC and tells a torn tail (a crash mid-write: only invalid bytes after
 * the last good line of the last segment) from corruption (a bad line with good lines after
 * it), which is reported, never hidden.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { crc32, crc32Range } from "./crc.js";
import { lineCrcAt, looksLikeMetricLine, MetricLineReader } from "./metric-line.js";
import { parseRecord, type JournalRecord } from "./record.js";

const SEGMENT_RE = /^(\d{16})\.jsonl$/;

/** File name of the segment whose first record has sequence number `firstSeq`. */
export function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(16, "0")}.jsonl`;
}

/** A segment on disk. */
export interface SegmentFile {
  readonly name: string;
  readonly firstSeq: number;
}

/** Lists the segments of a journal folder in sequence order (empty when it does not exist). */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  try {
    return segmentsOf(await fsp.readdir(dir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/**
 * {@link listSegments} without leaving the main thread: one `readdir` of a folder of a few
 * names costs microseconds, a trip through the thread pool far more on a loaded machine.
 */
export function listSegmentsSync(dir: string): SegmentFile[] {
  try {
    return segmentsOf(fs.readdirSync(dir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

function segmentsOf(names: readonly string[]): SegmentFile[] {
  const out: SegmentFile[] = [];
  for (const name of names) {
    const match = SEGMENT_RE.exec(name);
    if (match?.[1] !== undefined) out.push({ name, firstSeq: Number(match[1]) });
  }
  return out.sort((a, b) => a.firstSeq - b.firstSeq);
}

/** A line that failed its checksum or did not parse, with good lines after it. */
export interface CorruptLine {
  /** Segment file name. */
  readonly segment: string;
  /** 1-based line number in the segment. */
  readonly line: number;
  /** Byte offset of the line in the segment. */
  readonly offset: number;
  /** Why it was rejected. */
  readonly reason: string;
}

/** Result of scanning one segment's bytes. */
export interface SegmentScan {
  readonly records: JournalRecord[];
  readonly corrupt: CorruptLine[];
  /** Byte offset just past the last good line. */
  readonly validEnd: number;
  /** Bytes after `validEnd` that hold no good line (a torn tail when this is the last segment). */
  readonly tailBytes: number;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;

function checkLine(buf: Buffer, start: number, end: number): JournalRecord | string {
  if (end - start < 10 || buf[start + 8] !== SPACE) return "malformed line";
  const expected = lineCrcAt(buf, start, end);
  if (expected < 0) return "malformed checksum";
  // A journal line is short: a CRC in JavaScript beats a native call's own cost up to a few hundred bytes.
  const crc = end - start < 512 ? crc32Range(buf, start + 9, end) : crc32(buf.subarray(start + 9, end));
  if (crc !== expected) return "checksum mismatch";
  try {
    return parseRecord(buf.toString("utf8", start + 9, end));
  } catch {
    return "unparsable record";
  }
}

/** What scanning lines found besides their records. */
export interface LineScan {
  readonly corrupt: CorruptLine[];
  /** Byte offset just past the last good line. */
  readonly validEnd: number;
}

/**
 * Scans a segment's lines: invalid lines followed by a good line are corrupt; `validEnd` is
 * past the last good line. `fast(pos, nl)` may read line `buf[pos, nl)` itself (true: a good
 * line); every other line is checked here and its record given to `onRecord`.
 */
export function scanLines(buf: Buffer, segment: string, onRecord: (record: JournalRecord) => void, fast?: (pos: number, nl: number) => boolean): LineScan {
  const corrupt: CorruptLine[] = [];
  const pendingBad: CorruptLine[] = [];
  let validEnd = 0;
  let pos = 0;
  let line = 0;
  while (pos < buf.length) {
    line++;
    const nl = buf.indexOf(NEWLINE, pos);
    if (nl === -1) break; // an unterminated last line is never a record
    let good = fast?.(pos, nl) === true;
    if (!good) {
      const result = checkLine(buf, pos, nl);
      if (typeof result === "string") pendingBad.push({ segment, line, offset: pos, reason: result });
      else {
        good = true;
        onRecord(result);
      }
    }
    if (good) {
      if (pendingBad.length > 0) corrupt.push(...pendingBad.splice(0));
      validEnd = nl + 1;
    }
    pos = nl + 1;
  }
  return { corrupt, validEnd };
}

/** What a scan reads. */
export interface ScanOptions {
  /**
   * Pass metric points over, unread and unchecked (for readers of the other records: the
   * artifact manifest). The scan's corrupt lines, valid end and last sequence number then
   * only speak for the other lines. @default false
   */
  readonly skipMetrics?: boolean;
}

/**
 * Scans a segment's bytes. Invalid lines followed by a good line are corrupt; invalid bytes
 * after the last good line are counted in `tailBytes` (the caller decides if that is a torn
 * tail). Records with `s < fromSeq` are skipped.
 */
export function scanSegment(buf: Buffer, segment: string, fromSeq = 0, opts: ScanOptions = {}): SegmentScan {
  const records: JournalRecord[] = [];
  const reader = new MetricLineReader();
  const skipMetrics = opts.skipMetrics === true;
  const { corrupt, validEnd } = scanLines(
    buf,
    segment,
    (r) => {
      if (r.s >= fromSeq) records.push(r);
    },
    (pos, nl) => {
      if (skipMetrics) return looksLikeMetricLine(buf, pos, nl);
      if (!reader.read(buf, pos, nl)) return false;
      if (reader.seq >= fromSeq) records.push({ s: reader.seq, t: "m", k: reader.key(buf), v: reader.value, ts: reader.timestamp, st: reader.step });
      return true;
    },
  );
  return { records, corrupt, validEnd, tailBytes: buf.length - validEnd };
}

/** Everything read from a journal. */
export interface JournalRead {
  readonly records: JournalRecord[];
  readonly corrupt: CorruptLine[];
  /** Bytes of an incomplete tail on the last segment (a crash mid-write, or a write in progress). */
  readonly tailBytes: number;
  /** Highest sequence number seen (0 when empty). */
  readonly lastSeq: number;
}

/**
 * Calls `onRecords` with each segment's records in order, from `fromSeq` on, reading one
 * segment at a time so memory stays bounded by the segment size. Never modifies files:
 * safe while another process appends.
 */
export async function forEachSegment(
  dir: string,
  fromSeq: number,
  onRecords: (records: readonly JournalRecord[]) => void,
  opts: ScanOptions = {},
): Promise<Omit<JournalRead, "records">> {
  const segments = await listSegments(dir);
  const corrupt: CorruptLine[] = [];
  let tailBytes = 0;
  let lastSeq = 0;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as SegmentFile;
    const next = segments[i + 1];
    if (next !== undefined && next.firstSeq <= fromSeq) continue;
    const buf = await fsp.readFile(path.join(dir, seg.name));
    const scan = scanSegment(buf, seg.name, fromSeq, opts);
    corrupt.push(...scan.corrupt);
    if (next === undefined) {
      tailBytes = scan.tailBytes;
    } else if (scan.tailBytes > 0) {
      corrupt.push({ segment: seg.name, line: 0, offset: scan.validEnd, reason: `${scan.tailBytes} bad bytes at the end of a sealed segment` });
    }
    const last = scan.records[scan.records.length - 1];
    if (last !== undefined) lastSeq = Math.max(lastSeq, last.s);
    if (scan.records.length > 0) onRecords(scan.records);
  }
  return { corrupt, tailBytes, lastSeq };
}

/** Reads all records of a journal from `fromSeq` on. */
export async function readJournal(dir: string, fromSeq = 0, opts: ScanOptions = {}): Promise<JournalRead> {
  const records: JournalRecord[] = [];
  const rest = await forEachSegment(
    dir,
    fromSeq,
    (batch) => {
      for (const r of batch) records.push(r);
    },
    opts,
  );
  return { records, ...rest };
}

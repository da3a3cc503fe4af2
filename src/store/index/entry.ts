/**
 * One row of the run index: what a search needs of a run (its meta, params, tags, latest
 * metrics, end) and the journal position it was folded up to. Rows are derived data: a
 * reader trusts one only while the journal still ends where the row says (see run-index.ts).
 *
 * On disk a row is one line, `<crc32 hex8> <json>`, the same framing as journal lines.
 */
import { crc32 } from "../../log/crc.js";
import type { CorruptLine } from "../../log/segments.js";
import { keyedRecord } from "../../internal/keyed.js";
import type { EndStatus, RunRecord, RunStatus } from "../../model/types.js";
import { defined } from "../../internal/defined.js";

/** A latest metric point. */
export interface LatestPoint {
  value: number;
  step: number;
  timestamp: number;
}

/** Where a fold of a journal stopped: the last segment, the end of its last good line, and more. */
export interface JournalPosition {
  /** Name of the last segment read. */
  readonly segment: string;
  /** Byte offset just past the last good line of that segment. */
  readonly offset: number;
  /** Size of that segment file when it was read (a torn tail makes it larger than `offset`). */
  readonly size: number;
  /** Its modification time (ms) when it was read. */
  readonly mtimeMs: number;
}

/** The run.json fields a row keeps. */
export interface RowMeta {
  readonly name: string;
  readonly startTime: number;
  readonly status: RunStatus;
  readonly endTime?: number | undefined;
  readonly parentRunId?: string | undefined;
}

/** A run's row in the index. Params, tags and metrics live in Maps: any string is a key. */
export interface IndexRow {
  readonly runId: string;
  meta: RowMeta;
  readonly params: Map<string, string>;
  readonly tags: Map<string, string>;
  readonly latest: Map<string, LatestPoint>;
  end: { status: EndStatus; time: number } | undefined;
  lastSeq: number;
  /** Undefined when the journal has no segment yet. */
  position: JournalPosition | undefined;
  /** Modification time (ms) of run.json when `meta` was read from it. */
  metaMtimeMs: number | undefined;
  /** Corrupt journal lines the fold skipped (reported by every read, as the store does). */
  readonly corrupt: CorruptLine[];
}

/** A fresh row with nothing folded. */
export function emptyRow(runId: string, meta: RowMeta): IndexRow {
  return {
    runId,
    meta,
    params: new Map(),
    tags: new Map(),
    latest: new Map(),
    end: undefined,
    lastSeq: 0,
    position: undefined,
    metaMtimeMs: undefined,
    corrupt: [],
  };
}

type Encoded = number | "NaN" | "Infinity" | "-Infinity" | "-0";

function encodeValue(v: number): Encoded {
  if (Number.isFinite(v)) return Object.is(v, -0) ? "-0" : v;
  return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
}

function decodeValue(v: unknown): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return Number.NaN;
  if (v === "Infinity") return Number.POSITIVE_INFINITY;
  if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
  if (v === "-0") return -0;
  throw new TypeError("bad metric value");
}

/** A row as JSON (an index line's object, and an entry of the snapshot). */
export interface RowDoc {
  r: string;
  n: string;
  st: number;
  s: RunStatus;
  et?: number;
  pr?: string;
  p: [string, string][];
  t: [string, string][];
  l: [string, Encoded, number, number][];
  e?: [EndStatus, number];
  q: number;
  g?: [string, number, number, number];
  c?: CorruptLine[];
  mm?: number;
}

/** A row as its JSON object. */
export function rowDoc(row: IndexRow): RowDoc {
  return {
    r: row.runId,
    n: row.meta.name,
    st: row.meta.startTime,
    s: row.meta.status,
    ...defined({ et: row.meta.endTime }),
    ...defined({ pr: row.meta.parentRunId }),
    p: [...row.params],
    t: [...row.tags],
    l: [...row.latest].map(([k, p]) => [k, encodeValue(p.value), p.step, p.timestamp]),
    ...(row.end === undefined ? {} : { e: [row.end.status, row.end.time] }),
    q: row.lastSeq,
    ...(row.position === undefined ? {} : { g: [row.position.segment, row.position.offset, row.position.size, row.position.mtimeMs] }),
    ...(row.corrupt.length === 0 ? {} : { c: row.corrupt }),
    ...defined({ mm: row.metaMtimeMs }),
  };
}

/** Encodes a row as one index line, newline excluded. */
export function encodeRow(row: IndexRow): string {
  const json = JSON.stringify(rowDoc(row));
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}`;
}

function isPairs(v: unknown): v is [string, string][] {
  return Array.isArray(v) && v.every((p) => Array.isArray(p) && typeof p[0] === "string" && typeof p[1] === "string");
}

/**
 * Decodes bytes `[start, end)` of `buf`, one index line without its newline (a row, or a
 * reopen mark); undefined for a
 * line that fails its checksum or its shape (it is skipped). The checksum is computed on the
 * bytes as they are (no string round trip), then the JSON is parsed.
 */
export function decodeRowAt(buf: Buffer, start: number, end: number): LogEntry | undefined {
  if (end - start < 10 || buf[start + 8] !== 0x20) return undefined;
  const expected = Number.parseInt(buf.toString("latin1", start, start + 8), 16);
  if (crc32(buf.subarray(start + 9, end)) !== expected) return undefined;
  return decodeRowJson(buf.toString("utf8", start + 9, end));
}

/** What an index line holds: a run's row, or a mark that a run was resumed (its journal is no longer final). */
export type LogEntry = IndexRow | { readonly reopened: string };

/** True for a row (not a reopen mark). */
export function isRow(entry: LogEntry): entry is IndexRow {
  return !("reopened" in entry);
}

function decodeRowJson(json: string): LogEntry | undefined {
  let doc: RowDoc & { o?: unknown };
  try {
    doc = JSON.parse(json) as RowDoc & { o?: unknown };
  } catch {
    return undefined;
  }
  if (doc.o === 1 && typeof doc.r === "string") return { reopened: doc.r };
  return rowFromDoc(doc);
}

/** The row a JSON object holds; undefined when it has another shape. */
export function rowFromDoc(doc: RowDoc): IndexRow | undefined {
  if (typeof doc.r !== "string" || typeof doc.n !== "string" || typeof doc.st !== "number" || !isPairs(doc.p) || !isPairs(doc.t) || !Array.isArray(doc.l))
    return undefined;
  const latest = new Map<string, LatestPoint>();
  try {
    for (const [k, v, step, timestamp] of doc.l) latest.set(k, { value: decodeValue(v), step, timestamp });
  } catch {
    return undefined;
  }
  return {
    runId: doc.r,
    meta: { name: doc.n, startTime: doc.st, status: doc.s, endTime: doc.et, parentRunId: doc.pr },
    params: new Map(doc.p),
    tags: new Map(doc.t),
    latest,
    end: doc.e === undefined ? undefined : { status: doc.e[0], time: doc.e[1] },
    lastSeq: doc.q,
    position: doc.g === undefined ? undefined : { segment: doc.g[0], offset: doc.g[1], size: doc.g[2], mtimeMs: doc.g[3] },
    metaMtimeMs: typeof doc.mm === "number" ? doc.mm : undefined,
    corrupt: Array.isArray(doc.c) ? doc.c : [],
  };
}

/** The index line marking a run as resumed: `{"r":<runId>,"o":1}`, framed like a row. */
export function encodeReopen(runId: string): string {
  const json = JSON.stringify({ r: runId, o: 1 });
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}`;
}

/**
 * The public view of a row, as the store's fold gives it: status from the end record, else
 * from run.json; `crashed` makes a RUNNING run KILLED (its writer is gone).
 */
export function rowToRecord(experimentId: string, row: IndexRow, crashed: boolean): RunRecord {
  const status: RunStatus = crashed ? "KILLED" : (row.end?.status ?? row.meta.status);
  const endTime = row.end?.time ?? row.meta.endTime;
  const metrics = keyedRecord([...row.latest].map(([k, p]) => [k, p.value] as const));
  return {
    info: {
      runId: row.runId,
      experimentId,
      name: row.tags.get("mlflow.runName") ?? row.meta.name,
      status,
      startTime: row.meta.startTime,
      ...defined({ endTime }),
      ...defined({ parentRunId: row.meta.parentRunId }),
      ...(crashed ? { crashed } : {}),
    },
    data: { params: keyedRecord(row.params), metrics, tags: keyedRecord(row.tags) },
  };
}

/** A copy of a run record, so callers never change a cached one. */
export function copyRecord(r: RunRecord): RunRecord {
  return { info: { ...r.info }, data: { params: { ...r.data.params }, metrics: { ...r.data.metrics }, tags: { ...r.data.tags } } };
}

/**
 * Journal records: one JSON object per line, prefixed by the CRC-32 of the JSON text.
 *
 * ```
 * 3f1a9c0e {"s":12,"t":"m","k":"loss","v":0.31,"ts":1764170000000,"st":10}\n
 * ```
 *
 * Every record carries its sequence number `s` (1, 2, 3, … per run, no gaps) and is stamped
 * at log time. Non-finite metric values are the strings `"NaN"`, `"Infinity"`, `"-Infinity"`,
 * and doubles without a short decimal are their bits in hex (`"x3fd5555555555555"`; see
 * {@link encodeMetricValue}).
 * The line format is part of the store's format, versioned by the store's marker file
 * (`STORE_FORMAT_VERSION`), and is described in docs/local-store.md.
 */
import { z } from "zod";
import { HEX_VALUE } from "./double-bits.js";

/**
 * A metric data point.
 * @example `{ s: 12, t: "m", k: "loss", v: 0.31, ts: 1764170000000, st: 10 }`
 */
export interface MetricRecord {
  /** Sequence number of the record in its run: 1, 2, 3, …, no gaps. */
  readonly s: number;
  /** Record type: `"m"`, a metric. */
  readonly t: "m";
  /** Metric key. */
  readonly k: string;
  /** Value; may be `NaN` or `±Infinity` (written as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`). */
  readonly v: number;
  /** When it was logged, ms since the epoch. */
  readonly ts: number;
  /** Training step (integer). */
  readonly st: number;
}

/**
 * A param (immutable once logged).
 * @example `{ s: 3, t: "p", k: "lr", v: "0.001", ts: 1764170000000 }`
 */
export interface ParamRecord {
  /** Sequence number of the record in its run: 1, 2, 3, …, no gaps. */
  readonly s: number;
  /** Record type: `"p"`, a param. */
  readonly t: "p";
  /** Param key. */
  readonly k: string;
  /** Value, as a string. */
  readonly v: string;
  /** When it was logged, ms since the epoch. */
  readonly ts: number;
}

/**
 * A tag (last write wins).
 * @example `{ s: 4, t: "t", k: "team", v: "growth", ts: 1764170000000 }`
 */
export interface TagRecord {
  /** Sequence number of the record in its run: 1, 2, 3, …, no gaps. */
  readonly s: number;
  /** Record type: `"t"`, a tag. */
  readonly t: "t";
  /** Tag key. */
  readonly k: string;
  /** Value. */
  readonly v: string;
  /** When it was logged, ms since the epoch. */
  readonly ts: number;
}

/**
 * The run ended with a status.
 * @example `{ s: 40, t: "end", status: "FINISHED", ts: 1764170060000 }`
 */
export interface EndRecord {
  /** Sequence number of the record in its run: 1, 2, 3, …, no gaps. */
  readonly s: number;
  /** Record type: `"end"`, the run ended. */
  readonly t: "end";
  /** Final status of the run. */
  readonly status: "FINISHED" | "FAILED" | "KILLED";
  /** End time of the run, ms since the epoch. */
  readonly ts: number;
}

/**
 * The run was resumed (`startRun({ resume })`) after an end record: readers treat the run as
 * not ended again until the next end record. Older readers skip it.
 * @example `{ s: 41, t: "resume", ts: 1764170090000 }`
 */
export interface ResumeRecord {
  /** Sequence number of the record in its run: 1, 2, 3, …, no gaps. */
  readonly s: number;
  /** Record type: `"resume"`, the run is running again. */
  readonly t: "resume";
  /** When the run was resumed, ms since the epoch. */
  readonly ts: number;
}

/**
 * An artifact file, already copied into the run's `artifacts/` folder.
 * @example `{ s: 20, t: "a", p: "plots/loss.png", sha256: "…", size: 20480, ts: 1764170000000 }`
 */
export interface ArtifactRecord {
  /** Sequence number of the record in its run: 1, 2, 3, …, no gaps. */
  readonly s: number;
  /** Record type: `"a"`, an artifact file. */
  readonly t: "a";
  /** Path relative to the run's artifact root (POSIX, validated). */
  readonly p: string;
  /** sha256 of the file's bytes, hex. */
  readonly sha256: string;
  /** Size of the file in bytes. */
  readonly size: number;
  /** When it was logged, ms since the epoch. */
  readonly ts: number;
}

/**
 * A dataset input of the run.
 * @example `{ s: 5, t: "d", name: "churn-train", digest: "…", sourceType: "local", ts: 1764170000000 }`
 */
export interface DatasetRecord {
  /** Sequence number of the record in its run: 1, 2, 3, …, no gaps. */
  readonly s: number;
  /** Record type: `"d"`, a dataset input. */
  readonly t: "d";
  /** Dataset name. */
  readonly name: string;
  /** DVC-compatible md5 (`<hex>` for a file, `<hex>.dir` for a folder), or a given digest. */
  readonly digest: string;
  /** sha256 of the file, or of the folder's file list. Absent: no local path was given. */
  readonly sha256?: string;
  /** The md5 DVC recorded for this path (`.dvc` file or `dvc.lock`), when there is one. */
  readonly dvcMd5?: string;
  /** Where the data came from (URI or description). Absent: not recorded. */
  readonly source?: string;
  /** MLflow source type, e.g. `"local"`. */
  readonly sourceType?: string;
  /** What the run used it for: `"training"`, `"validation"` or `"test"`. Absent: not recorded. */
  readonly context?: string;
  /** Schema, as JSON text. Absent: not recorded. */
  readonly schema?: string;
  /** Profile (row counts, …), as JSON text. Absent: not recorded. */
  readonly profile?: string;
  /** When it was logged, ms since the epoch. */
  readonly ts: number;
}

/**
 * Any journal record (one line of a run's journal), told apart by its type `t`.
 * @example `if (rejected.record.t === "m") console.warn(rejected.record.k, rejected.record.v)`
 */
export type JournalRecord = MetricRecord | ParamRecord | TagRecord | EndRecord | ResumeRecord | ArtifactRecord | DatasetRecord;

/** A double's 64 bits as text: `x` and 16 lowercase hex digits, sign and exponent first. */
const BITS_TEXT = /^x[0-9a-f]{16}$/;
const bitsView = new DataView(new ArrayBuffer(8));

/** True when `text` (`String(v)` of a finite `v`, `1e-6 ≤ |v| < 1e15`) has at most 15 significant digits. */
function shortDecimal(text: string): boolean {
  let digits = 0;
  let leading = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57 || (leading && c === 48)) continue; // sign, point, leading zeros
    leading = false;
    digits++;
  }
  return digits <= 15;
}

/**
 * Encodes a metric value for a journal line. Safe integers and decimals of at most 15
 * significant digits (`0.001`, `0.9375`, between 1e-6 and 1e15) are JSON numbers, as
 * `String(value)` writes them; any other finite double (a full-precision loss such as
 * `0.30000000000000004`) is the string `"x"` + its 64 bits in hex, exact and about ten times
 * cheaper to write than its shortest decimal; non-finite values are the strings `"NaN"`,
 * `"Infinity"`, `"-Infinity"`. The journal's byte encoder (line-buffer.ts) writes the same.
 */
export function encodeMetricValue(value: number): string {
  if (Number.isFinite(value)) {
    if (value === 0 && 1 / value < 0) return "-0";
    const text = String(value);
    const a = Math.abs(value);
    if (Number.isSafeInteger(value) || (a >= 1e-6 && a < 1e15 && shortDecimal(text))) return text;
    bitsView.setFloat64(0, value);
    return `"x${bitsView.getUint32(0).toString(16).padStart(8, "0")}${bitsView.getUint32(4).toString(16).padStart(8, "0")}"`;
  }
  if (Number.isNaN(value)) return '"NaN"';
  return value > 0 ? '"Infinity"' : '"-Infinity"';
}

/** Decodes a metric value written by {@link encodeMetricValue} (a number, a non-finite name or a double's bits). */
export function decodeMetricValue(value: unknown): number {
  if (typeof value === "number") return value;
  if (value === "NaN") return Number.NaN;
  if (value === "Infinity") return Number.POSITIVE_INFINITY;
  if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
  const bits = typeof value === "string" ? bitsValue(value, 0) : undefined;
  if (bits !== undefined) return bits;
  throw new TypeError(`bad metric value ${JSON.stringify(value)}`);
}

/** The double whose bits `text` holds from `at` on (`x` + 16 lowercase hex digits, then the end or a quote), or undefined. */
function bitsValue(text: string, at: number): number | undefined {
  const end = at + 17;
  if (text.charCodeAt(at) !== 120 /* x */ || !(end === text.length || (end < text.length && text.charCodeAt(end) === 34))) return undefined;
  let high = 0;
  let low = 0;
  for (let i = at + 1; i < at + 9; i++) {
    const hc = text.charCodeAt(i);
    const lc = text.charCodeAt(i + 8);
    const h = hc < 256 ? (HEX_VALUE[hc] as number) : -1;
    const l = lc < 256 ? (HEX_VALUE[lc] as number) : -1;
    if (h < 0 || l < 0) return undefined;
    high = high * 16 + h;
    low = low * 16 + l;
  }
  bitsView.setUint32(0, high);
  bitsView.setUint32(4, low);
  return bitsView.getFloat64(0);
}

/** Builds the JSON text of a metric record (hot path: no object, no JSON.stringify). */
export function metricJson(seq: number, keyJson: string, value: number, timestamp: number, step: number): string {
  return `{"s":${seq},"t":"m","k":${keyJson},"v":${encodeMetricValue(value)},"ts":${timestamp},"st":${step}}`;
}

/** Builds the JSON text of a param or tag record. */
export function keyValueJson(seq: number, type: "p" | "t", keyJson: string, value: string, timestamp: number): string {
  return `{"s":${seq},"t":"${type}","k":${keyJson},"v":${JSON.stringify(value)},"ts":${timestamp}}`;
}

/** Builds the JSON text of a resume record. */
export function resumeJson(seq: number, timestamp: number): string {
  return `{"s":${seq},"t":"resume","ts":${timestamp}}`;
}

/** Builds the JSON text of an end record. */
export function endJson(seq: number, status: EndRecord["status"], timestamp: number): string {
  return `{"s":${seq},"t":"end","status":"${status}","ts":${timestamp}}`;
}

const M_HEAD = '{"s":';
const M_TYPE = ',"t":"m","k":"';
const M_VALUE = '","v":';
const M_TS = ',"ts":';
const M_STEP = ',"st":';

/**
 * Fast path for the metric lines this writer produces (keys never contain quotes or
 * backslashes, by the key rules): about 5× faster than JSON.parse. Undefined for anything
 * else, which then goes through JSON.parse.
 */
function parseMetricLine(json: string): MetricRecord | undefined {
  if (!json.startsWith(M_HEAD)) return undefined;
  const t = json.indexOf(M_TYPE, 5);
  if (t === -1) return undefined;
  const v = json.indexOf(M_VALUE, t + M_TYPE.length);
  const ts = json.indexOf(M_TS, v + M_VALUE.length);
  const st = json.indexOf(M_STEP, ts + M_TS.length);
  if (v === -1 || ts === -1 || st === -1 || json.charCodeAt(json.length - 1) !== 125 /* } */) return undefined;
  const k = json.slice(t + M_TYPE.length, v);
  if (k.includes("\\") || k.includes('"')) return undefined;
  const at = v + M_VALUE.length;
  // A double's bits (`"x…"`, the common case for full-precision values) are read in place.
  const bits = json.charCodeAt(at) === 34 /* " */ && ts === at + 19 ? bitsValue(json, at + 1) : undefined;
  const rawValue = bits === undefined ? json.slice(at, ts) : "";
  const value = bits ?? (rawValue.charCodeAt(0) === 34 /* " */ ? decodeMetricValue(rawValue.slice(1, -1)) : Number(rawValue));
  const seq = Number(json.slice(M_HEAD.length, t));
  const timestamp = Number(json.slice(ts + M_TS.length, st));
  const step = Number(json.slice(st + M_STEP.length, json.length - 1));
  if (Number.isNaN(seq) || Number.isNaN(timestamp) || Number.isNaN(step) || (Number.isNaN(value) && rawValue !== '"NaN"')) return undefined;
  return { s: seq, t: "m", k, v: value, ts: timestamp, st: step };
}

const seqNumber = z.number().int().positive();
const time = z.number();
const metricValue = z.union([z.number(), z.enum(["NaN", "Infinity", "-Infinity"]), z.string().regex(BITS_TEXT)]);
const optionalText = z.string().optional();
/** Schemas of the record types this version writes, checked at the read boundary. */
const RECORD_SCHEMAS = {
  m: z.object({ s: seqNumber, t: z.literal("m"), k: z.string(), v: metricValue, ts: time, st: z.number() }),
  p: z.object({ s: seqNumber, t: z.literal("p"), k: z.string(), v: z.string(), ts: time }),
  t: z.object({ s: seqNumber, t: z.literal("t"), k: z.string(), v: z.string(), ts: time }),
  end: z.object({ s: seqNumber, t: z.literal("end"), status: z.enum(["FINISHED", "FAILED", "KILLED"]), ts: time }),
  resume: z.object({ s: seqNumber, t: z.literal("resume"), ts: time }),
  a: z.object({ s: seqNumber, t: z.literal("a"), p: z.string(), sha256: z.string(), size: z.number(), ts: time }),
  d: z.object({
    s: seqNumber,
    t: z.literal("d"),
    name: z.string(),
    digest: z.string(),
    sha256: optionalText,
    dvcMd5: optionalText,
    source: optionalText,
    sourceType: optionalText,
    context: optionalText,
    schema: optionalText,
    profile: optionalText,
    ts: time,
  }),
} as const;
const envelope = z.object({ s: seqNumber, t: z.string() });

/**
 * Parses the JSON text of one record; throws on anything that is not a record. Every known
 * record type is checked against its schema (a line with a good checksum but a wrong shape is
 * corrupt, not half-read). A record of a type this version does not know is returned as it
 * is, for readers to skip.
 */
export function parseRecord(json: string): JournalRecord {
  const fast = parseMetricLine(json);
  if (fast !== undefined) return fast;
  const raw: unknown = JSON.parse(json);
  const head = envelope.safeParse(raw);
  if (!head.success) throw new TypeError("not a journal record");
  const type = head.data.t;
  if (!Object.hasOwn(RECORD_SCHEMAS, type)) return raw as JournalRecord; // a newer record type: readers skip it
  const parsed = RECORD_SCHEMAS[type as keyof typeof RECORD_SCHEMAS].safeParse(raw);
  if (!parsed.success) throw new TypeError(`bad "${type}" record: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  const record = parsed.data as JournalRecord | (Omit<MetricRecord, "v"> & { v: number | string });
  return record.t === "m" ? { ...record, v: decodeMetricValue(record.v) } : (record as JournalRecord);
}

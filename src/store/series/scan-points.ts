/**
 * A scanner of journal bytes that keeps only metric points, for building and topping up point
 * files. The metric lines mltrail writes (record.ts `metricJson`) are checked (CRC-32) and read
 * field by field from the bytes: no string per line, no JSON.parse, no record object. Any other
 * line (another record type, an escaped key, a non-finite value, a bad checksum, an odd number)
 * goes through the journal's own line check (segments.ts `scanLines`), so what this scanner
 * returns is exactly what `scanSegment` gives for the same bytes, metric points only.
 */
import { crc32Range } from "../../log/crc.js";
import { BITS, DOUBLE, HEX_VALUE, HIGH } from "../../log/double-bits.js";
import { type LineScan, scanLines } from "../../log/segments.js";
import { PointBuffer } from "./points.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEAD = Buffer.from('{"s":');
const TYPE = Buffer.from(',"t":"m","k":"');
const VALUE = Buffer.from('","v":');
const TS = Buffer.from(',"ts":');
const STEP = Buffer.from(',"st":');
/** Powers of ten that are exact doubles: m / 10^k is then correctly rounded (m < 2^53). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

function hexAt(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function matches(buf: Buffer, at: number, what: Buffer): boolean {
  if (at + what.length > buf.length) return false;
  for (let i = 0; i < what.length; i++) if (buf[at + i] !== what[i]) return false;
  return true;
}

/** Where a number ends and its value, or NaN when its bytes are not a plain JSON number. */
class NumberReader {
  end = 0;

  /** An integer (optionally negative) of at most 15 digits, at `at`, up to the byte `stop`. */
  int(buf: Buffer, at: number, stop: number): number {
    let i = at;
    const neg = buf[i] === 0x2d;
    if (neg) i++;
    const first = i;
    let v = 0;
    for (; i < buf.length && buf[i] !== stop; i++) {
      const d = (buf[i] as number) - 0x30;
      if (d < 0 || d > 9) return Number.NaN;
      v = v * 10 + d;
    }
    if (i === first || i - first > 15 || i === buf.length || (buf[first] === 0x30 && i - first > 1)) return Number.NaN;
    this.end = i;
    return neg ? -v : v;
  }

  /** A double's bits written as `"x` + 16 hex digits + `"` (record.ts `encodeMetricValue`) at `at`, or NaN. */
  bits(buf: Buffer, at: number): number {
    if (at + 19 > buf.length || buf[at + 1] !== 0x78 || buf[at + 18] !== QUOTE) return Number.NaN;
    let high = 0;
    let low = 0;
    for (let i = 0; i < 8; i++) {
      const h = HEX_VALUE[buf[at + 2 + i] as number] as number;
      const l = HEX_VALUE[buf[at + 10 + i] as number] as number;
      if (h < 0 || l < 0) return Number.NaN;
      high = high * 16 + h;
      low = low * 16 + l;
    }
    BITS[HIGH] = high;
    BITS[1 - HIGH] = low;
    this.end = at + 19;
    return DOUBLE[0] as number;
  }

  /** A JSON number at `at`, up to the byte `stop`: exact by hand when short, else by `Number`. */
  double(buf: Buffer, at: number, stop: number): number {
    if (buf[at] === QUOTE) return this.bits(buf, at);
    let i = at;
    const neg = buf[i] === 0x2d;
    if (neg) i++;
    let m = 0;
    let digits = 0;
    let scale = 0;
    let dot = false;
    let plain = true;
    const first = i;
    for (; i < buf.length && buf[i] !== stop; i++) {
      const c = buf[i] as number;
      if (c >= 0x30 && c <= 0x39) {
        m = m * 10 + (c - 0x30);
        digits++;
        if (dot) scale++;
      } else if (c === 0x2e && !dot) dot = true;
      else plain = false; // an exponent (or a bad byte): Number decides
    }
    if (i === first || i === buf.length) return Number.NaN;
    this.end = i;
    if (plain && digits <= 15 && scale <= 22 && buf[i - 1] !== 0x2e && !(buf[first] === 0x30 && digits > 1 && buf[first + 1] !== 0x2e)) {
      const v = m / (POW10[scale] as number);
      return neg ? -v : v;
    }
    const text = buf.toString("latin1", at, i);
    return /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
  }
}

/** The keys met so far, so that a key's bytes become a string once. */
class KeyTable {
  private readonly bytes: Buffer[] = [];
  private readonly names: string[] = [];
  private last = 0;

  /** The key whose bytes are `buf[from, to)`. */
  name(buf: Buffer, from: number, to: number): string {
    const n = this.bytes.length;
    for (let t = 0; t < n; t++) {
      const k = (this.last + t) % n;
      const b = this.bytes[k] as Buffer;
      if (b.length !== to - from) continue;
      let same = true;
      for (let i = 0; i < b.length; i++) {
        if (b[i] !== buf[from + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.last = (k + 1) % n; // keys logged in turn: try the next one first
        return this.names[k] as string;
      }
    }
    const key = buf.toString("utf8", from, to);
    if (n < 256) {
      this.bytes.push(Buffer.from(buf.subarray(from, to)));
      this.names.push(key);
    }
    return key;
  }
}

const numbers = new NumberReader();

/**
 * Reads a fast-path metric line `buf[pos, nl)` into `keys` (only `key` when given). False when
 * the line is not one this fast path reads; the caller then checks it the general way.
 */
function fastLine(buf: Buffer, pos: number, nl: number, table: KeyTable, keys: Map<string, PointBuffer>, key: string | undefined): boolean {
  if (nl - pos < 10 || buf[pos + 8] !== 0x20) return false;
  let expected = 0;
  for (let i = 0; i < 8; i++) {
    const h = hexAt(buf[pos + i] as number);
    if (h < 0) return false;
    expected = expected * 16 + h;
  }
  const body = pos + 9;
  if (crc32Range(buf, body, nl) !== expected || !matches(buf, body, HEAD) || buf[nl - 1] !== 0x7d) return false;
  const seq = numbers.int(buf, body + HEAD.length, 0x2c);
  if (!(seq > 0) || !matches(buf, numbers.end, TYPE)) return false;
  const keyFrom = numbers.end + TYPE.length;
  let keyTo = keyFrom;
  for (; keyTo < nl; keyTo++) {
    const c = buf[keyTo];
    if (c === QUOTE) break;
    if (c === BACKSLASH || (c as number) < 0x20) return false;
  }
  if (!matches(buf, keyTo, VALUE)) return false;
  const value = numbers.double(buf, keyTo + VALUE.length, 0x2c);
  if (Number.isNaN(value) || !matches(buf, numbers.end, TS)) return false;
  const ts = numbers.int(buf, numbers.end + TS.length, 0x2c);
  if (Number.isNaN(ts) || !matches(buf, numbers.end, STEP)) return false;
  const step = numbers.int(buf, numbers.end + STEP.length, 0x7d);
  if (Number.isNaN(step) || numbers.end !== nl - 1) return false;
  const name = table.name(buf, keyFrom, keyTo);
  if (key !== undefined && name !== key) return true;
  pointsOf(keys, name).push(step, ts, value);
  return true;
}

function pointsOf(keys: Map<string, PointBuffer>, key: string): PointBuffer {
  let points = keys.get(key);
  if (points === undefined) {
    points = new PointBuffer();
    keys.set(key, points);
  }
  return points;
}

/**
 * Scans journal bytes as `scanSegment` does (lines that fail, followed by a good line, are
 * corrupt; `validEnd` is past the last good line) and adds the metric points of `key` (every
 * key when undefined) to `keys`, in logged order.
 */
export function scanPoints(buf: Buffer, segment: string, keys: Map<string, PointBuffer>, key?: string): LineScan {
  const table = new KeyTable();
  return scanLines(
    buf,
    segment,
    (r) => {
      if (r.t === "m" && (key === undefined || r.k === key)) pointsOf(keys, r.k).push(r.st, r.ts, r.v);
    },
    (pos, nl) => fastLine(buf, pos, nl, table, keys, key),
  );
}

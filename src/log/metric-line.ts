/**
 * A reader of the metric lines mltrail writes (record.ts `metricJson`, line-buffer.ts), straight
 * from a journal's bytes: the CRC is checked and the fields read one by one, with no string per
 * line, no JSON.parse and no substring. Any line it does not read (another record type, an
 * escaped key, a non-finite value, an unusual number, a bad checksum) is left to the journal's
 * general line check (segments.ts), so a scan through it gives exactly what the general check
 * gives for the same bytes. Used for every journal scan: the replicator's read-back, run reads
 * and the point files.
 */
import { crc32Range } from "./crc.js";
import { BITS, DOUBLE, HEX_VALUE, HIGH, POW10 } from "./double-bits.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEAD = Buffer.from('{"s":');
const TYPE = Buffer.from(',"t":"m","k":"');
const VALUE = Buffer.from('","v":');
const TS = Buffer.from(',"ts":');
const STEP = Buffer.from(',"st":');
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** The value of a hex digit's byte in a line's CRC prefix (either case), -1 for any other byte. */
function hexAt(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** The CRC written before a line at `pos` (8 hex digits and a space), or -1 when malformed. */
export function lineCrcAt(buf: Uint8Array, pos: number, nl: number): number {
  if (nl - pos < 10 || buf[pos + 8] !== 0x20) return -1;
  let expected = 0;
  for (let i = 0; i < 8; i++) {
    const h = hexAt(buf[pos + i] as number);
    if (h < 0) return -1;
    expected = expected * 16 + h;
  }
  return expected;
}

function matches(buf: Buffer, at: number, what: Buffer): boolean {
  if (at + what.length > buf.length) return false;
  for (let i = 0; i < what.length; i++) if (buf[at + i] !== what[i]) return false;
  return true;
}

/**
 * True when the line `buf[pos, nl)` (CRC prefix included) starts as a metric record does
 * (`{"s":<digits>,"t":"m",`): for scans that pass metric points over without reading them.
 */
export function looksLikeMetricLine(buf: Buffer, pos: number, nl: number): boolean {
  let at = pos + 9;
  if (nl - at < HEAD.length + TYPE.length || !matches(buf, at, HEAD)) return false;
  at += HEAD.length;
  while (at < nl && (buf[at] as number) >= 0x30 && (buf[at] as number) <= 0x39) at++;
  return matches(buf, at, TYPE);
}

/** The keys met so far, so that a key's bytes become a string once. */
export class KeyTable {
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

/**
 * Reads metric lines. After {@link read} returned true, its fields hold the line's record; the
 * key is {@link key}. One reader per scan (its key table remembers the keys seen).
 */
export class MetricLineReader {
  seq = 0;
  value = 0;
  timestamp = 0;
  step = 0;
  private keyFrom = 0;
  private keyTo = 0;
  /** Where the last number read ends. */
  private end = 0;
  private readonly keys = new KeyTable();

  /**
   * Reads the line `buf[pos, nl)` (without its newline). False when it is not a metric line this
   * reader takes, its checksum included: the caller then checks it the general way.
   */
  read(buf: Buffer, pos: number, nl: number): boolean {
    const expected = lineCrcAt(buf, pos, nl);
    const body = pos + 9;
    if (expected < 0 || crc32Range(buf, body, nl) !== expected || !matches(buf, body, HEAD) || buf[nl - 1] !== 0x7d) return false;
    const seq = this.int(buf, body + HEAD.length, 0x2c);
    if (!(seq > 0) || !matches(buf, this.end, TYPE)) return false;
    const keyFrom = this.end + TYPE.length;
    let keyTo = keyFrom;
    for (; keyTo < nl; keyTo++) {
      const c = buf[keyTo] as number;
      if (c === QUOTE) break;
      if (c === BACKSLASH || c < 0x20) return false;
    }
    if (!matches(buf, keyTo, VALUE)) return false;
    const value = this.double(buf, keyTo + VALUE.length, 0x2c);
    if (Number.isNaN(value) || !matches(buf, this.end, TS)) return false;
    const timestamp = this.int(buf, this.end + TS.length, 0x2c);
    if (Number.isNaN(timestamp) || !matches(buf, this.end, STEP)) return false;
    const step = this.int(buf, this.end + STEP.length, 0x7d);
    if (Number.isNaN(step) || this.end !== nl - 1) return false;
    this.seq = seq;
    this.value = value;
    this.timestamp = timestamp;
    this.step = step;
    this.keyFrom = keyFrom;
    this.keyTo = keyTo;
    return true;
  }

  /** The key of the line last read from `buf`. */
  key(buf: Buffer): string {
    return this.keys.name(buf, this.keyFrom, this.keyTo);
  }

  /** An integer (optionally negative) of at most 15 digits, at `at`, up to the byte `stop`. */
  private int(buf: Buffer, at: number, stop: number): number {
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
  private bits(buf: Buffer, at: number): number {
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
  private double(buf: Buffer, at: number, stop: number): number {
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
    return JSON_NUMBER.test(text) ? Number(text) : Number.NaN;
  }
}

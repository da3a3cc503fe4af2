/**
 * The journal writer's commit buffer: records queued in one event-loop turn, already as the
 * bytes of their lines (`<crc32 hex> <json>\n`), checksummed as they are queued.
 *
 * Metric records, nearly all of a run's records, are written byte by byte in plain
 * JavaScript: no JSON string is built. Safe integers and decimals of up to 15 significant
 * digits (`0.001`, `0.9375`) are written digit by digit, as `String(value)` would (a decimal's
 * 15 digits taken with 32-bit integer arithmetic, its trailing zeros dropped); any other
 * finite value (a full-precision double such as a loss) is written as its 64 bits in hex,
 * `"x3fd3333333333334"`, which costs a tenth of its shortest decimal. The digits of a
 * timestamp or step equal to the previous line's are copied, and a sequence number that
 * follows the previous line's adds one to its digits. The bytes are exactly those of
 * `metricJson` (record.ts `encodeMetricValue` is the reference). Other records are JSON text
 * from `record.ts`.
 */
import { crc32Range } from "./crc.js";
import { BITS, DOUBLE, HIGH, POW10 } from "./double-bits.js";

const HEX = Buffer.from("0123456789abcdef", "latin1");
const ascii = (s: string): Uint8Array => Buffer.from(s, "latin1");
const M_SEQ = ascii('{"s":');
const M_KEY = ascii(',"t":"m","k":');
const M_VALUE = ascii(',"v":');
const M_TS = ascii(',"ts":');
const M_STEP = ascii(',"st":');
const NAN = ascii('"NaN"');
const INF = ascii('"Infinity"');
const NEG_INF = ascii('"-Infinity"');
const NEG_ZERO = ascii("-0");
/** The two hex digits of each byte value. */
const HEX_HIGH = Uint8Array.from({ length: 256 }, (_, b) => HEX[b >> 4] as number);
const HEX_LOW = Uint8Array.from({ length: 256 }, (_, b) => HEX[b & 0xf] as number);
/** Scratch: the 15 digits of a short decimal. */
const DIGITS = new Uint8Array(15);

/** Most bytes a metric line takes besides its key's JSON (CRC, fixed parts, 3 numbers of ≤ 24 characters, value). */
const METRIC_FIXED_MAX = 160;

/** Bytes to reserve for a metric line with this key JSON. */
export function metricLineMax(keyJson: string): number {
  return METRIC_FIXED_MAX + keyJson.length * 3;
}

/** Bytes to reserve for a line of this JSON text. */
export function textLineMax(json: string): number {
  return 10 + json.length * 3;
}

function put(buf: Uint8Array, at: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) buf[at + i] = bytes[i] as number;
  return at + bytes.length;
}

/** Writes a non-negative integer below 2^31 in decimal. */
function putSmall(buf: Uint8Array, at: number, n: number): number {
  const digits = n < 1e5 ? (n < 10 ? 1 : n < 100 ? 2 : n < 1e3 ? 3 : n < 1e4 ? 4 : 5) : n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : 10;
  let end = at + digits;
  for (let x = n; end > at; x = (x / 10) | 0) buf[--end] = 48 + (x % 10);
  return at + digits;
}

/** Writes a safe integer in decimal, as `String(n)` would. */
function putInt(buf: Uint8Array, at: number, n: number): number {
  if (n < 0) {
    buf[at++] = 45; // -
    n = -n;
  }
  if (n < 0x80000000) return putSmall(buf, at, n);
  const high = Math.floor(n / 1e9);
  at = putSmall(buf, at, high);
  let low = n - high * 1e9;
  for (let i = at + 8; i >= at; i--) {
    buf[i] = 48 + (low % 10);
    low = (low / 10) | 0;
  }
  return at + 9;
}

/**
 * Writes a finite, non-integer value of at most 15 significant digits with `1e-6 ≤ |v| < 1e15`
 * (`0.001`, `0.9375`, `12.5`) as `String(v)` would, without building a string; returns -1 for
 * any other value. Exact: `d / 10^k` of integers below 2^53 and 10^k ≤ 10^22 is correctly
 * rounded, so `d / 10^k === v` proves the decimal reads back as `v`; and at 15 significant
 * digits at most one decimal lies within half an ulp of a double, so stripped of trailing
 * zeros it is the shortest such text, the one `String(v)` gives.
 */
function putShortDecimal(buf: Uint8Array, at: number, v: number): number {
  const a = v < 0 ? -v : v;
  if (!(a >= 1e-6 && a < 1e15)) return -1;
  // Digits after the point at 15 significant digits (0 … 20). Should the exponent still be off
  // by one, a decimal is only found later or not at all, never wrong: `top < 1e15` bounds them.
  let e = Math.floor(Math.log10(a));
  // Math.log10 rounds up for values just below a power of ten (99999999999999.9 gives 14).
  if (e >= 0 ? a < (POW10[e] as number) : a * (POW10[-e] as number) < 1) e--;
  const most = 14 - e;
  const top = Math.round(a * (POW10[most] as number));
  // More than 15 digits; or not 15 digits exactly (an exponent still off), left to the bits.
  if (top / (POW10[most] as number) !== a || top >= 1e15 || top < 1e14) return -1;
  // top's 15 digits, with int32 arithmetic: 7 from its high part, 8 from its low part.
  let high = Math.floor(top / 1e8);
  let low = top - high * 1e8;
  for (let i = 14; i >= 7; i--) {
    const q = (low / 10) | 0;
    DIGITS[i] = 48 + low - q * 10;
    low = q;
  }
  for (let i = 6; i >= 0; i--) {
    const q = (high / 10) | 0;
    DIGITS[i] = 48 + high - q * 10;
    high = q;
  }
  // The shortest decimal that reads back as `a`: top without its trailing zeros (at 15 digits
  // at most one decimal lies within half an ulp of a double), but never past the point.
  let last = 14;
  while (last > 14 - most && DIGITS[last] === 48) last--;
  if (v < 0) buf[at++] = 45; // -
  if (most >= 15) {
    buf[at++] = 48; // 0
    buf[at++] = 46; // .
    for (let i = 15; i < most; i++) buf[at++] = 48;
    for (let i = 0; i <= last; i++) buf[at++] = DIGITS[i] as number;
    return at;
  }
  const point = 15 - most; // digits before the point
  for (let i = 0; i < point; i++) buf[at++] = DIGITS[i] as number;
  if (last < point) return at;
  buf[at++] = 46; // .
  for (let i = point; i <= last; i++) buf[at++] = DIGITS[i] as number;
  return at;
}

/** Writes the 64 bits of a double as `"x` + 16 lowercase hex digits + `"` (see `encodeMetricValue`). */
function putBits(buf: Uint8Array, at: number, v: number): number {
  DOUBLE[0] = v;
  let high = BITS[HIGH] as number;
  let low = BITS[1 - HIGH] as number;
  buf[at] = 0x22; // "
  buf[at + 1] = 0x78; // x
  for (let i = at + 8; i >= at + 2; i -= 2) {
    const b = high & 0xff;
    buf[i] = HEX_HIGH[b] as number;
    buf[i + 1] = HEX_LOW[b] as number;
    high >>>= 8;
  }
  for (let i = at + 16; i >= at + 10; i -= 2) {
    const b = low & 0xff;
    buf[i] = HEX_HIGH[b] as number;
    buf[i + 1] = HEX_LOW[b] as number;
    low >>>= 8;
  }
  buf[at + 18] = 0x22;
  return at + 19;
}

/** Writes a metric value as `encodeMetricValue` does (numbers of ≤ 15 digits as JSON numbers, others as strings). */
function putValue(buf: Uint8Array, at: number, v: number): number {
  if ((v | 0) === v) return v === 0 && 1 / v < 0 ? put(buf, at, NEG_ZERO) : putInt(buf, at, v);
  if (v - v === 0) {
    const end = putShortDecimal(buf, at, v);
    return end >= 0 ? end : Number.isSafeInteger(v) ? putInt(buf, at, v) : putBits(buf, at, v);
  }
  if (Number.isNaN(v)) return put(buf, at, NAN);
  return put(buf, at, v > 0 ? INF : NEG_INF);
}

/** A growable buffer of checksummed journal lines. */
export class LineBuffer {
  /** The bytes (a `Buffer`, kept private so that the published types need no Node types). */
  private b: Buffer;
  /** Bytes queued. */
  len = 0;
  /** Lines queued. */
  lines = 0;
  /** The digits of the last timestamp written: calls of one millisecond share them. */
  private readonly tsDigits = new Uint8Array(24);
  private tsLength = 0;
  private lastTimestamp = Number.NaN;
  /** The same for the step: the metrics of one training step share it. */
  private readonly stepDigits = new Uint8Array(24);
  private stepLength = 0;
  private lastStep = Number.NaN;
  /** The digits of the last sequence number written: the next one adds one to them. */
  private readonly seqDigits = new Uint8Array(24);
  private seqLength = 0;
  private lastSeq = Number.NaN;

  constructor(private readonly initial: number) {
    this.b = Buffer.allocUnsafe(initial);
  }

  /** The queued bytes are `buf[0, len)`. */
  get buf(): Uint8Array {
    return this.b;
  }

  /** Room for `need` bytes in total (the caller checks bounds first). */
  grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(need, this.b.length * 2));
    this.b.copy(next, 0, 0, this.len);
    this.b = next;
  }

  /** Empties the buffer; one grown past `keepMax` is dropped, so memory does not stay high. */
  clear(keepMax: number): void {
    this.len = 0;
    this.lines = 0;
    if (this.b.length > keepMax) this.b = Buffer.allocUnsafe(this.initial);
  }

  /** Inserts `lines` whole lines (`bytes`) at byte offset `at`, before the lines queued after it. */
  insert(at: number, bytes: Uint8Array, lines: number): void {
    const need = this.len + bytes.length;
    if (need > this.b.length) this.grow(need);
    this.b.copyWithin(at + bytes.length, at, this.len);
    this.b.set(bytes, at);
    this.len = need;
    this.lines += lines;
  }

  /** Queues the line of a metric record (room reserved with {@link metricLineMax}). */
  metric(seq: number, keyJson: string, value: number, timestamp: number, step: number): void {
    const buf = this.b;
    const start = this.len;
    let at = put(buf, start + 9, M_SEQ);
    if (seq === this.lastSeq + 1 && seq <= Number.MAX_SAFE_INTEGER) {
      // The next number: add one to the last one's digits.
      const d = this.seqDigits;
      let i = this.seqLength - 1;
      while (i >= 0 && d[i] === 57) d[i--] = 48;
      if (i >= 0) d[i] = (d[i] as number) + 1;
      else {
        d.copyWithin(1, 0, this.seqLength);
        d[0] = 49;
        this.seqLength++;
      }
    } else this.seqLength = putInt(this.seqDigits, 0, seq);
    this.lastSeq = seq;
    for (let i = 0; i < this.seqLength; i++) buf[at + i] = this.seqDigits[i] as number;
    at += this.seqLength;
    at = put(buf, at, M_KEY);
    const keyAt = at;
    for (let i = 0; i < keyJson.length; i++) {
      const c = keyJson.charCodeAt(i);
      if (c > 0x7f) {
        at = keyAt + buf.write(keyJson, keyAt, "utf8"); // a key with letters beyond ASCII
        break;
      }
      buf[at++] = c;
    }
    at = put(buf, at, M_VALUE);
    at = putValue(buf, at, value);
    at = put(buf, at, M_TS);
    if (timestamp !== this.lastTimestamp) {
      this.lastTimestamp = timestamp;
      this.tsLength = putInt(this.tsDigits, 0, timestamp);
    }
    for (let i = 0; i < this.tsLength; i++) buf[at + i] = this.tsDigits[i] as number;
    at += this.tsLength;
    at = put(buf, at, M_STEP);
    if (step !== this.lastStep) {
      this.lastStep = step;
      this.stepLength = putInt(this.stepDigits, 0, step);
    }
    for (let i = 0; i < this.stepLength; i++) buf[at + i] = this.stepDigits[i] as number;
    at += this.stepLength;
    buf[at++] = 0x7d; // }
    this.seal(start, at);
  }

  /** Queues the line of a record given as JSON text (room reserved with {@link textLineMax}). */
  text(json: string): void {
    const start = this.len;
    this.seal(start, start + 9 + this.b.write(json, start + 9, "utf8"));
  }

  /** Fills the CRC prefix of the line `[start, end)` and ends it. JSON holds no raw newline. */
  private seal(start: number, end: number): void {
    const buf = this.b;
    let crc = crc32Range(buf, start + 9, end);
    for (let i = start + 7; i >= start; i--) {
      buf[i] = HEX[crc & 0xf] as number;
      crc >>>= 4;
    }
    buf[start + 8] = 0x20;
    buf[end] = 0x0a;
    this.len = end + 1;
    this.lines++;
  }
}

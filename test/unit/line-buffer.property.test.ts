/**
 * The hot path's byte encoder of metric lines writes exactly the line `metricJson` + CRC
 * would: same JSON bytes, same checksum, for any value (NaN, ±Infinity, -0, huge and tiny
 * doubles, integers past 2^31), any safe-integer step and timestamp, and any valid key
 * (letters beyond ASCII included), short decimals (written without `String(value)`) and
 * full-precision doubles alike. The JS CRC equals zlib's.
 */
import * as zlib from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32Range } from "../../src/log/crc.js";
import { LineBuffer, metricLineMax } from "../../src/log/line-buffer.js";
import { metricJson } from "../../src/log/record.js";

const line = (json: string): string => `${zlib.crc32(json).toString(16).padStart(8, "0")} ${json}\n`;

/** Decimals such as 0.001, 0.9375 or 12.5, of 1 to 17 significant digits, from 1e-8 to 1e16, and their neighbours. */
const decimal = fc
  .tuple(fc.integer({ min: -(10 ** 15), max: 10 ** 15 }), fc.integer({ min: 0, max: 17 }), fc.integer({ min: -8, max: 16 }), fc.integer({ min: -1, max: 1 }))
  .map(([digits, cut, exp, nudge]) => {
    const d = Math.trunc(digits / 10 ** (15 - Math.min(cut, 15)));
    const v = d * 10 ** (exp - 15);
    return nudge === 0 ? v : v + nudge * Number.EPSILON * Math.abs(v);
  });

const value = fc.oneof(
  fc.double(),
  decimal,
  fc.constantFrom(1e-6, 1e-7, 0.000001234, 999999999999999.9, 1e15 - 0.5, 0.1 + 0.2, 1.005, -0.001, 0.9375, 123456789012345.6),
  fc.integer(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 2 ** 31, -(2 ** 31), 2 ** 53, 1e21, 5e-324),
  fc.maxSafeInteger(),
);
const key = fc.oneof(fc.stringMatching(/^[a-z_/.:-]{1,20}$/), fc.constantFrom("损失", "précision/val", "ключ 1", "metric_00"));
const int = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constantFrom(0, -1, 2 ** 31 - 1, 2 ** 31, 1e9, 1e9 - 1, 1764170000000));

describe("LineBuffer.metric", () => {
  it("writes the bytes of metricJson with its CRC prefix, line after line", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), key, value, int, int), { minLength: 1, maxLength: 20 }), (records) => {
        const buf = new LineBuffer(64); // grows: every record reserves its room first
        let expected = "";
        for (const [seq, k, v, ts, step] of records) {
          const keyJson = JSON.stringify(k);
          if (buf.len + metricLineMax(keyJson) > buf.buf.length) buf.grow(buf.len + metricLineMax(keyJson));
          buf.metric(seq + 1, keyJson, v, Math.abs(ts), step);
          expected += line(metricJson(seq + 1, keyJson, v, Math.abs(ts), step));
        }
        expect(Buffer.from(buf.buf.subarray(0, buf.len)).toString("utf8")).toBe(expected);
        expect(buf.lines).toBe(records.length);
      }),
      { numRuns: 1000 },
    );
  });

  it("numbers consecutive records across digit boundaries, and after a jump, as putInt would", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(1, 8, 98, 998, 99_998, 999_999_998, 2 ** 31 - 3, 2 ** 53 - 7), fc.integer({ min: 1, max: 6 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (runs) => {
          const buf = new LineBuffer(64);
          let expected = "";
          for (const [first, count] of runs) {
            for (let seq = first; seq < first + count; seq++) {
              if (buf.len + metricLineMax('"k"') > buf.buf.length) buf.grow(buf.len + metricLineMax('"k"'));
              buf.metric(seq, '"k"', 0.5, 1764170000000, 1);
              expected += line(metricJson(seq, '"k"', 0.5, 1764170000000, 1));
            }
          }
          expect(Buffer.from(buf.buf.subarray(0, buf.len)).toString("utf8")).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("shares the digits of a repeated timestamp without mixing them up with a new one", () => {
    const buf = new LineBuffer(4096);
    const stamps = [1764170000000, 1764170000000, 1764170000001, 5, 1764170000001];
    for (const [i, ts] of stamps.entries()) buf.metric(i + 1, '"loss"', 0.5, ts, i);
    expect(Buffer.from(buf.buf.subarray(0, buf.len)).toString("utf8")).toBe(stamps.map((ts, i) => line(metricJson(i + 1, '"loss"', 0.5, ts, i))).join(""));
  });

  it("shares the digits of a repeated step without mixing them up with a new one", () => {
    const buf = new LineBuffer(4096);
    const steps = [3, 3, 4, -4, 2 ** 40, 2 ** 40, 3];
    for (const [i, step] of steps.entries()) buf.metric(i + 1, '"loss"', 0.25, 1764170000000, step);
    expect(Buffer.from(buf.buf.subarray(0, buf.len)).toString("utf8")).toBe(
      steps.map((step, i) => line(metricJson(i + 1, '"loss"', 0.25, 1764170000000, step))).join(""),
    );
  });
});

describe("crc32Range", () => {
  it("equals zlib.crc32 over any range of any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        expect(crc32Range(bytes, start, end)).toBe(zlib.crc32(bytes.subarray(start, end)));
      }),
      { numRuns: 500 },
    );
  });
});

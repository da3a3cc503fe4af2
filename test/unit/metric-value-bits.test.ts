/**
 * Metric values without a short decimal are journaled as their 64 bits (`"x" + 16 hex
 * digits`): they read back as exactly the logged double through the record parser's fast path
 * and its schema path (the point scanner is held to the parser by series-scan.property), and
 * text that only looks like bits is a corrupt line, never a wrong value.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeMetricValue, encodeMetricValue, metricJson, parseRecord } from "../../src/log/record.js";

const line = (v: string): string => `{"s":1,"t":"m","k":"loss","v":${v},"ts":1764170000000,"st":3}`;

describe("metric values as bits", () => {
  it("writes full-precision doubles, tiny values and integers past 2^53 as bits, short ones as numbers", () => {
    expect(encodeMetricValue(0.1 + 0.2)).toBe('"x3fd3333333333334"');
    expect(encodeMetricValue(1e-9)).toMatch(/^"x[0-9a-f]{16}"$/);
    expect(encodeMetricValue(2 ** 60)).toMatch(/^"x[0-9a-f]{16}"$/);
    expect(encodeMetricValue(-1 / 3)).toMatch(/^"xbfd5555555555555"$/);
    for (const short of [0.001, 0.9375, 12.5, -3, 2 ** 53 - 1, 0]) expect(encodeMetricValue(short)).toBe(String(short));
    expect(encodeMetricValue(-0)).toBe("-0");
    expect(encodeMetricValue(Number.NaN)).toBe('"NaN"');
  });

  it("reads back every finite double exactly, through the fast path and the schema path", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const json = metricJson(1, '"loss"', v, 1764170000000, 3);
        const fast = parseRecord(json);
        // An escaped key defeats the fast path: the same record through JSON.parse and the schema.
        const slow = parseRecord(json.replace('"k":"loss"', '"k":"lo\\u0073s"'));
        expect(fast.t === "m" && Object.is(fast.v, v)).toBe(true);
        expect(slow.t === "m" && slow.k === "loss" && Object.is(slow.v, v)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses text that only looks like bits", () => {
    for (const bad of [
      '"x3fd333333333333"',
      '"x3fd33333333333344"',
      '"X3fd3333333333334"',
      '"x3FD3333333333334"',
      '"x3fd333333333333g"',
      '"3fd3333333333334"',
    ]) {
      expect(() => parseRecord(line(bad)), bad).toThrow(TypeError);
    }
    expect(() => decodeMetricValue("x3fd333333333333z")).toThrow(TypeError);
    expect(decodeMetricValue("x3fd3333333333334")).toBe(0.1 + 0.2);
  });
});

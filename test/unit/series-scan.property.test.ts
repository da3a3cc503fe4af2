/**
 * The metric-line reader (src/log/metric-line.ts) reads journal bytes without JSON.parse, for
 * the journal's scans (`scanSegment`) and the point scanner (src/store/series/scan-points.ts).
 * For random lines (metric lines as the writer writes them and hand-made ones with odd numbers,
 * escaped or non-ASCII keys, non-finite values, other record types, bad checksums, blank lines,
 * a torn last line) both find exactly the records, corrupt lines and valid end that the general
 * line check (CRC, then `parseRecord`: `scanLines` with no fast path) finds.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { crc32 } from "../../src/log/crc.js";
import { metricJson } from "../../src/log/record.js";
import type { JournalRecord } from "../../src/log/record.js";
import { scanLines, scanSegment } from "../../src/log/segments.js";
import type { PointBuffer } from "../../src/store/series/points.js";
import { scanPoints } from "../../src/store/series/scan-points.js";

const line = (body: string): string => `${crc32(body).toString(16).padStart(8, "0")} ${body}\n`;

const key = fc.oneof(fc.constantFrom("loss", "acc", "__proto__", "lr/group 0", "é-ü", "a"), fc.string({ maxLength: 6 }));
const num = fc.oneof(
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom(
    "1e5",
    "1E+2",
    "-1e-7",
    "05",
    "-0",
    "0",
    "1.",
    ".5",
    "0.5",
    "-0.0",
    "12345678901234567",
    "123456789012345.5",
    "0x10",
    "1_0",
    "",
    "-",
    "+1",
    "9007199254740993",
    "1.0000000000000002",
    "0.1000000000000000055511151231257827",
  ),
);
const metric = fc.record({
  s: fc.integer({ min: 1, max: 1e6 }),
  k: key,
  v: fc.oneof(num, fc.constantFrom('"NaN"', '"Infinity"', '"-Infinity"', '"x"')),
  ts: num,
  st: num,
});
const body = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({ s: fc.integer({ min: 1, max: 1e6 }), k: key, v: fc.double(), st: fc.integer() })
      .map((m) => metricJson(m.s, JSON.stringify(m.k), m.v, 1764170000000, m.st)),
  },
  { weight: 4, arbitrary: metric.map((m) => `{"s":${m.s},"t":"m","k":${JSON.stringify(m.k)},"v":${m.v},"ts":${m.ts},"st":${m.st}}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"s":3,"t":"p","k":"lr","v":"0.1","ts":1}',
      '{"s":4,"t":"end","status":"FINISHED","ts":2}',
      '{"s":5,"t":"new","x":1}',
      '{"s":0,"t":"m","k":"a","v":1,"ts":1,"st":1}',
      '{"s":1,"t":"m","k":"a","v":1,"ts":1,"st":1} ',
    ),
  },
);
const entry = fc.oneof(
  { weight: 8, arbitrary: body.map(line) },
  { weight: 1, arbitrary: body.map((b) => `00000000 ${b}\n`) },
  { weight: 1, arbitrary: fc.constantFrom("\n", "garbage\n", "zzzzzzzz {}\n") },
);

function points(keys: Map<string, PointBuffer>): Record<string, number[]> {
  return Object.fromEntries([...keys].map(([k, b]) => [k, Array.from(b.view())]));
}

/** The general line check alone: every line's CRC, then `parseRecord`. */
function reference(buf: Buffer): { records: JournalRecord[]; corrupt: unknown[]; validEnd: number } {
  const records: JournalRecord[] = [];
  const scan = scanLines(buf, "0000000000000001.jsonl", (r) => records.push(r));
  return { records, ...scan };
}

const journal = fc
  .tuple(fc.array(entry, { maxLength: 40 }), fc.string({ maxLength: 12 }))
  .map(([lines, torn]) => Buffer.from(lines.join("") + torn.replace(/\n/g, ""), "utf8"));

it("scanSegment finds the records, corrupt lines and valid end of the general line check", () => {
  fc.assert(
    fc.property(journal, fc.integer({ min: 0, max: 1e6 }), (buf, fromSeq) => {
      const ref = reference(buf);
      const scan = scanSegment(buf, "0000000000000001.jsonl", fromSeq);
      expect(scan.records).toEqual(ref.records.filter((r) => r.s >= fromSeq));
      expect(scan.corrupt).toEqual(ref.corrupt);
      expect(scan.validEnd).toBe(ref.validEnd);
      expect(scan.tailBytes).toBe(buf.length - ref.validEnd);
    }),
    { numRuns: 400 },
  );
});

it("scanSegment passing metric points over finds every other record of the general line check", () => {
  fc.assert(
    fc.property(journal, (buf) => {
      const ref = reference(buf);
      const scan = scanSegment(buf, "0000000000000001.jsonl", 0, { skipMetrics: true });
      expect(scan.records).toEqual(ref.records.filter((r) => r.t !== "m"));
    }),
    { numRuns: 400 },
  );
});

it("scanPoints finds the points, corrupt lines and valid end of the general line check", () => {
  fc.assert(
    fc.property(journal, fc.option(key), (buf, only) => {
      const ref = reference(buf);
      const want = new Map<string, number[]>();
      for (const r of ref.records) {
        if (r.t !== "m" || (only !== null && r.k !== only)) continue;
        want.set(r.k, [...(want.get(r.k) ?? []), r.st, r.ts, r.v]);
      }
      const got = new Map<string, PointBuffer>();
      const scan = scanPoints(buf, "0000000000000001.jsonl", got, only ?? undefined);
      expect(points(got)).toEqual(Object.fromEntries(want));
      expect(scan.corrupt).toEqual(ref.corrupt);
      expect(scan.validEnd).toBe(ref.validEnd);
    }),
    { numRuns: 400 },
  );
});

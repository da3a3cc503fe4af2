/**
 * History reads through a run's point files (src/store/series) answer exactly what folding the
 * journal answers: every key, step ranges, maxResults and samples, for random logs (keys such
 * as `__proto__`, NaN/±Infinity/-0, steps out of order, runs still open) whose point files are
 * built, updated part way, left behind the journal, or made stale by a journal rewritten in
 * place.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, expect, it } from "vitest";
import { readJournal } from "../../src/log/segments.js";
import { RunPaths, StoreLayout } from "../../src/store/layout.js";
import { evenlySpacedIndices } from "../../src/store/series/history-options.js";
import { readHistories, readIndexedHistories, type HistoryQuery } from "../../src/store/series/history.js";
import { readManifest, seriesDir } from "../../src/store/series/manifest.js";
import { updateSeries } from "../../src/store/series/series-index.js";
import { Tracker } from "../../src/tracker.js";
import type { Metric } from "../../src/model/types.js";

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-series-"));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The reference: every point of `key` from the whole journal, then selected the plain way. */
async function expected(journal: string, key: string, q: HistoryQuery): Promise<Metric[]> {
  const all: Metric[] = [];
  for (const r of (await readJournal(journal)).records) if (r.t === "m" && r.k === key) all.push({ key, value: r.v, step: r.st, timestamp: r.ts });
  const inRange = all.filter((p) => p.step >= q.range.lo && p.step <= q.range.hi);
  if (!q.sampled) return inRange.slice(0, q.maxResults ?? inRange.length);
  // MLflow's SQL order: step, timestamp, value (NaN stored as 0), then the NaN flag.
  const v = (m: Metric): number => (Number.isNaN(m.value) ? 0 : m.value);
  const order = (a: Metric, b: Metric): number =>
    a.step - b.step || a.timestamp - b.timestamp || (v(a) < v(b) ? -1 : v(a) > v(b) ? 1 : 0) || Number(Number.isNaN(a.value)) - Number(Number.isNaN(b.value));
  const sorted = [...inRange].sort(order);
  return evenlySpacedIndices(sorted.length, q.maxResults ?? 2500).map((i) => sorted[i] as Metric);
}

const KEYS = ["loss", "acc", "__proto__", "lr/group 0"];
const value = fc.oneof(fc.double({ noNaN: false }), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0.5));
const point = fc.record({ key: fc.constantFrom(...KEYS), value, step: fc.integer({ min: -5, max: 60 }) });
const phase = fc.record({
  points: fc.array(point, { maxLength: 60 }),
  /** What happens to the point files after this phase. */
  files: fc.constantFrom("update", "leave", "delete-manifest"),
});
const query = fc.record({
  key: fc.constantFrom(...KEYS, "absent"),
  lo: fc.option(fc.integer({ min: -5, max: 60 })),
  width: fc.integer({ min: 0, max: 70 }),
  hi: fc.boolean(),
  maxResults: fc.option(fc.integer({ min: 1, max: 40 })),
  sampled: fc.boolean(),
});

it("reads through the point files equal the fold of the journal", async () => {
  let case_ = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(phase, { minLength: 1, maxLength: 4 }),
      fc.array(query, { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      async (phases, queries, end) => {
        const root = path.join(tmp, String(case_++));
        const tracker = new Tracker({ trackingUri: root, experiment: "e", captureContext: false, handleExit: false });
        const run = await tracker.startRun();
        const paths = new RunPaths(new StoreLayout(root).runDir(run.experimentId, run.id));
        let t = 0;
        for (const ph of phases) {
          for (const p of ph.points) run.logMetric(p.key, p.value, { step: p.step, timestamp: 1_700_000_000_000 + (t++ % 7) });
          await run.flush();
          if (ph.files === "update") await updateSeries(seriesDir(paths.dir), paths.journal);
          if (ph.files === "delete-manifest") fs.rmSync(path.join(seriesDir(paths.dir), "series.json"), { force: true });
        }
        if (end) await run.end();
        for (const q of queries) {
          const lo = q.lo ?? Number.NEGATIVE_INFINITY;
          const hi = q.hi ? (q.lo ?? 0) + q.width : Number.POSITIVE_INFINITY;
          const hq: HistoryQuery = { range: { lo, hi }, maxResults: q.maxResults ?? undefined, sampled: q.sampled };
          const want = await expected(paths.journal, q.key, hq);
          const got = await readIndexedHistories(paths, [q.key], hq);
          expect(got?.histories.get(q.key)).toEqual(want);
          expect((await readHistories(paths, [q.key], hq)).histories.get(q.key)).toEqual(want);
        }
        // Every key at once, through the files, equals the fold too.
        const all = await readIndexedHistories(paths, undefined, { range: { lo: -Infinity, hi: Infinity }, maxResults: undefined, sampled: false });
        for (const key of KEYS) {
          const want = await expected(paths.journal, key, { range: { lo: -Infinity, hi: Infinity }, maxResults: undefined, sampled: false });
          expect(all?.histories.get(key) ?? [], key).toEqual(want);
        }
        await tracker.close();
      },
    ),
    { numRuns: 30 },
  );
}, 120_000);

it("a sampled read of a key in step order (runs of equal steps included) equals the reference sampling of its full history", async () => {
  let case_ = 0;
  await fc.assert(
    fc.asyncProperty(
      // Step increments (0 = the same step again), values, and timestamps that may go back within a step.
      fc.array(fc.record({ inc: fc.constantFrom(0, 0, 1, 1, 1, 3), value, ts: fc.integer({ min: 0, max: 5 }) }), { minLength: 1, maxLength: 200 }),
      fc.array(
        fc.record({
          lo: fc.option(fc.integer({ min: -1, max: 120 })),
          width: fc.option(fc.integer({ min: 0, max: 150 })),
          max: fc.integer({ min: 1, max: 60 }),
        }),
        {
          minLength: 1,
          maxLength: 5,
        },
      ),
      async (points, queries) => {
        const root = path.join(tmp, `sorted-${case_++}`);
        const tracker = new Tracker({ trackingUri: root, experiment: "e", captureContext: false, handleExit: false });
        const run = await tracker.startRun();
        const paths = new RunPaths(new StoreLayout(root).runDir(run.experimentId, run.id));
        let step = 0;
        for (const p of points) {
          step += p.inc;
          run.logMetric("loss", p.value, { step, timestamp: 1_700_000_000_000 + p.ts });
        }
        await run.end();
        const manifest = await updateSeries(seriesDir(paths.dir), paths.journal);
        expect(manifest.keys.find((k) => k.key === "loss")?.sorted).toBe(true);
        for (const q of queries) {
          const lo = q.lo ?? Number.NEGATIVE_INFINITY;
          const hi = q.width === null ? Number.POSITIVE_INFINITY : (q.lo ?? 0) + q.width;
          const hq: HistoryQuery = { range: { lo, hi }, maxResults: q.max, sampled: true };
          const got = await readIndexedHistories(paths, ["loss"], hq);
          expect(got?.histories.get("loss")).toEqual(await expected(paths.journal, "loss", hq));
        }
        await tracker.close();
      },
    ),
    { numRuns: 40 },
  );
}, 120_000);

it("point files are rebuilt when the journal no longer holds what they were built from", async () => {
  const tracker = new Tracker({ trackingUri: tmp, experiment: "e", captureContext: false, handleExit: false });
  const run = await tracker.startRun();
  for (let i = 0; i < 100; i++) run.logMetric("loss", i, { step: i });
  await run.end();
  const paths = new RunPaths(new StoreLayout(tmp).runDir(run.experimentId, run.id));
  const dir = seriesDir(paths.dir);
  const first = await updateSeries(dir, paths.journal);
  expect(first.keys).toEqual([{ key: "loss", count: 100, sorted: true, lastStep: 99 }]);
  // A byte of a folded point changed in place (same size, new mtime): the files are stale.
  const [segment] = fs.readdirSync(paths.journal);
  const file = path.join(paths.journal, segment as string);
  const text = fs.readFileSync(file, "latin1").replace('"v":5,', '"v":7,');
  const before = fs.statSync(file).mtime;
  fs.writeFileSync(file, text, "latin1");
  // A later mtime set outright, not waited for: coarse clocks could give the same one.
  fs.utimesSync(file, before, new Date(before.getTime() + 1000));
  const q: HistoryQuery = { range: { lo: -Infinity, hi: Infinity }, maxResults: undefined, sampled: false };
  const got = await readIndexedHistories(paths, ["loss"], q);
  // The edited line fails its checksum: the fold skips it and reports it, and so does the read.
  expect(got?.histories.get("loss")).toEqual(await expected(paths.journal, "loss", q));
  expect(got?.histories.get("loss")).toHaveLength(99);
  expect(got?.corrupt).toHaveLength(1);
  expect(readManifest(dir)?.gen).not.toBe(first.gen);
  await tracker.close();
});

it("samples pick the points MLflow's SQL store picks (NTILE buckets, the last point kept)", () => {
  // NTILE(4) over 10 rows: buckets of 3, 3, 2, 2 starting at 0, 3, 6, 8; the last row (9) replaces 8.
  expect(evenlySpacedIndices(10, 4)).toEqual([0, 3, 6, 9]);
  // NTILE(3) over 7 rows: 3, 2, 2 starting at 0, 3, 5; 6 replaces 5.
  expect(evenlySpacedIndices(7, 3)).toEqual([0, 3, 6]);
  // NTILE(4) over 9 rows: 3, 2, 2, 2 starting at 0, 3, 5, 7; 8 replaces 7.
  expect(evenlySpacedIndices(9, 4)).toEqual([0, 3, 5, 8]);
  expect(evenlySpacedIndices(7, 1)).toEqual([6]);
  expect(evenlySpacedIndices(3, 5)).toEqual([0, 1, 2]);
  expect(evenlySpacedIndices(0, 5)).toEqual([]);
});

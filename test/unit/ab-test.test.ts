/**
 * AbTest lifecycle on a local store: frozen record, exposures once per unit, outcomes, analysis
 * and its decisions (ship B / keep A / keep collecting / SRM), joining and reopening a test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { analyzeData, createAbTest, openAbTest, type AbTestConfig } from "../../src/ab/index.js";
import { ConflictError, Tracker, ValidationError } from "../../src/index.js";

let root: string;
let tracker: Tracker;

beforeEach(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "mltrail-ab-test-"));
  tracker = new Tracker({ trackingUri: root, experiment: "models", captureContext: false, handleExit: false });
  for (const digest of [`sha256:${"a".repeat(64)}`, `sha256:${"b".repeat(64)}`]) {
    const run = await tracker.startRun();
    await run.end();
    await tracker.registerModel("toy", { runId: run.id, contentDigest: digest, rationale: "test", ...(digest.endsWith("a") ? { aliases: ["champion"] } : {}) });
  }
});

afterEach(async () => {
  await tracker.close();
  rmSync(root, { recursive: true, force: true });
});

const VARIANTS = [
  { model: "toy", ref: "champion" },
  { model: "toy", ref: "^1" },
] as const;

/** Deterministic pseudo-random in [0, 1) from a string. */
function u01(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32;
}

describe("createAbTest", () => {
  it("resolves refs once and freezes them in the run's params and tag", async () => {
    const test = await createAbTest(tracker, { key: "toy-ab", variants: VARIANTS });
    expect(test.config.variants.map((v) => v.version)).toEqual(["1.0.0", "1.1.0"]);
    const rec = await tracker.getRun(test.run.id);
    expect(rec.data.tags["mltrail.ab.key"]).toBe("toy-ab");
    expect(rec.data.params).toMatchObject({ "ab.key": "toy-ab", "ab.seed": "toy-ab", "ab.hashVersion": "2", "ab.coverage": "1", "ab.hashAttribute": "id" });
    expect(JSON.parse(rec.data.params["ab.variants"] ?? "")).toEqual([
      { model: "toy", ref: "champion", version: "1.0.0", weight: 0.5, range: [0, 0.5] },
      { model: "toy", ref: "^1", version: "1.1.0", weight: 0.5, range: [0.5, 1] },
    ]);
    // The alias moves: a second process joining the test still serves the frozen versions.
    await tracker.setAlias("toy", "champion", "1.1.0");
    const joined = await createAbTest(tracker, { key: "toy-ab", variants: VARIANTS });
    expect(joined.config.variants.map((v) => v.version)).toEqual(["1.0.0", "1.1.0"]);
    expect(joined.run.id).not.toBe(test.run.id);
    await expect(createAbTest(tracker, { key: "toy-ab", variants: VARIANTS, coverage: 0.5 })).rejects.toBeInstanceOf(ConflictError);
  });

  it("rejects bad options", async () => {
    await expect(createAbTest(tracker, { key: "x y", variants: VARIANTS })).rejects.toBeInstanceOf(ValidationError);
    await expect(createAbTest(tracker, { key: "k", variants: [VARIANTS[0]] })).rejects.toBeInstanceOf(ValidationError);
    await expect(
      createAbTest(tracker, {
        key: "k",
        variants: [
          { model: "toy", weight: 0.7 },
          { model: "toy", weight: 0.7 },
        ],
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(createAbTest(tracker, { key: "k", variants: VARIANTS, coverage: 1.5 })).rejects.toBeInstanceOf(ValidationError);
  });

  it("logs one exposure per unit, outcomes per variant, and serves the control outside the coverage", async () => {
    const test = await createAbTest(tracker, { key: "cov", variants: VARIANTS, coverage: 0.5 });
    let inside = 0;
    for (let i = 0; i < 1000; i++) {
      const a = test.assign(`u${i}`);
      test.assign({ id: `u${i}` }); // same unit again: no second exposure
      if (a.inExperiment) inside++;
      else expect(a).toMatchObject({ variantIndex: -1, modelVersion: { version: "1.0.0" } });
      expect(test.recordOutcome(`u${i}`, "latency", i)).toBe(a.variantIndex);
    }
    await test.flush();
    const e0 = await tracker.getMetricHistory(test.run.id, "ab.exposures.v0");
    const e1 = await tracker.getMetricHistory(test.run.id, "ab.exposures.v1");
    expect(e0.length + e1.length).toBe(inside);
    expect(inside).toBeGreaterThan(400);
    expect(inside).toBeLessThan(600);
    expect(e0.map((m) => m.step)).toEqual(e0.map((_, i) => i));
    const o1 = await tracker.getMetricHistory(test.run.id, "ab.latency.v1");
    expect(o1).toHaveLength(e1.length);
    expect(() => test.recordOutcome("u1", "exposures", 1)).toThrow(ValidationError);
  });

  it("ships B when B converts better, and openAbTest reads every run of the key", async () => {
    const a = await createAbTest(tracker, { key: "conv", variants: VARIANTS });
    const b = await createAbTest(tracker, { key: "conv", variants: VARIANTS }); // a second "process"
    for (let i = 0; i < 6000; i++) {
      const t = i % 2 === 0 ? a : b;
      const unit = `user-${i}`;
      const { variantIndex } = t.assign(unit);
      if (u01(`c${i}`) < (variantIndex === 1 ? 0.16 : 0.1)) t.recordOutcome(unit, "converted", 1);
    }
    const r = await a.analyze({ metric: "converted" });
    expect(r.kind).toBe("binary");
    expect(r.runIds).toHaveLength(2);
    expect((r.variants[0]?.exposures ?? 0) + (r.variants[1]?.exposures ?? 0)).toBe(6000);
    expect(r.srm.mismatch).toBe(false);
    expect(r.decision).toBe("ship B");
    expect(r.winner).toBe(1);
    expect(r.reason).toMatch(/v1 \(toy@1\.1\.0\) beats the control/);
    const c = r.variants[1]?.comparison;
    expect(c?.lift).toBeGreaterThan(0.3);
    expect(c?.sequentialPValue).toBeLessThan(0.05);
    expect(c?.sequentialPValue).toBeGreaterThanOrEqual(c?.pValue ?? 1); // always-valid is more conservative
    expect(c?.ci[0]).toBeGreaterThan(0);

    const view = await openAbTest(tracker, "conv");
    expect(view.config.variants.map((v) => v.version)).toEqual(["1.0.0", "1.1.0"]);
    expect((await view.analyze({ metric: "converted" })).variants.map((v) => v.n)).toEqual(r.variants.map((v) => v.n));
    await expect(openAbTest(tracker, "nope")).rejects.toThrow(/no A\/B test "nope"/);
  });

  it("keeps A when B is worse on a continuous metric, keeps collecting when equal or small", async () => {
    const test = await createAbTest(tracker, { key: "lat", variants: VARIANTS });
    for (let i = 0; i < 3000; i++) {
      const unit = `u${i}`;
      const { variantIndex } = test.assign(unit);
      test.recordOutcome(unit, "revenue", 10 + 4 * (u01(`r${i}`) - 0.5) - (variantIndex === 1 ? 0.5 : 0));
      test.recordOutcome(unit, "same", 10 + 4 * (u01(`s${i}`) - 0.5));
    }
    const worse = await test.analyze({ metric: "revenue" });
    expect(worse.kind).toBe("continuous");
    expect(worse.decision).toBe("keep A");
    expect(worse.variants[1]?.comparison?.diff).toBeCloseTo(-0.5, 1);
    const same = await test.analyze({ metric: "same" });
    expect(same.decision).toBe("keep collecting");
    const few = await test.analyze({ metric: "revenue", minSamples: 10_000 });
    expect(few.decision).toBe("keep collecting");
    expect(few.reason).toMatch(/fewer than minSamples = 10000/);
  });
});

it("the exposure set is bounded: a unit forgotten after many others is exposed again", async () => {
  const test = await createAbTest(tracker, { key: "lru", variants: VARIANTS, exposureCacheSize: 4 });
  test.assign("a");
  test.assign("b");
  test.assign("a"); // still remembered
  for (let i = 0; i < 10; i++) test.assign(`x${i}`);
  test.assign("a"); // forgotten: logged again
  const n = (await tracker.getMetricHistory(test.run.id, "ab.exposures.v0")).length + (await tracker.getMetricHistory(test.run.id, "ab.exposures.v1")).length;
  expect(n).toBe(13);
});

describe("SRM", () => {
  const config: AbTestConfig = {
    key: "srm",
    seed: "srm",
    hashVersion: 2,
    hashAttribute: "id",
    coverage: 1,
    experiment: "ab-tests",
    variants: [
      { model: "toy", ref: "1.0.0", version: "1.0.0", weight: 0.5, range: [0, 0.5] },
      { model: "toy", ref: "1.1.0", version: "1.1.0", weight: 0.5, range: [0.5, 1] },
    ],
  };
  it("flags a 50/50 test that exposed 5000 vs 5300 units even though B 'wins'", () => {
    // chisquare([5000, 5300]) = 8.74, p = 0.0031: not below 0.001 → no SRM at this size …
    const mild = analyzeData(
      config,
      [
        { exposures: 5000, values: Array(500).fill(1) },
        { exposures: 5300, values: Array(800).fill(1) },
      ],
      { metric: "c" },
      [],
    );
    expect(mild.srm.mismatch).toBe(false);
    // … 5000 vs 5600: expected 5300 each, chi-square = 2·300²/5300 = 33.96, p ≈ 5.6e-9 → SRM, whatever the outcome says.
    const skewed = analyzeData(
      config,
      [
        { exposures: 5000, values: Array(500).fill(1) },
        { exposures: 5600, values: Array(900).fill(1) },
      ],
      { metric: "c" },
      [],
    );
    expect(skewed.srm.chiSquare).toBeCloseTo((300 * 300 * 2) / 5300, 9);
    expect(skewed.srm.pValue).toBeLessThan(1e-8);
    expect(skewed.decision).toBe("SRM — investigate");
    expect(skewed.reason).toMatch(/5000 \/ 5600 do not match the weights/);
  });
});

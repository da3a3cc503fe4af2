/**
 * Explanations stored with runs and compared between releases, on the local store: the JSON
 * artifact and `importance/<feature>` metrics, read back through the registry, and a diff that
 * flags a release leaning on a new feature (a leak) while leaving an unchanged release alone.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CorruptDataError, NotFoundError, Tracker, ValidationError } from "../../src/index.js";
import {
  type ShapExplanation,
  compareExplanations,
  compareReleaseExplanations,
  explanationPath,
  kernelShap,
  loadExplanation,
  logExplanation,
  permutationImportance,
} from "../../src/explain/index.js";
import type { PredictFn } from "../../src/explain/index.js";
import { createRng } from "../../src/explain/rng.js";
import { fakeDigest } from "../support/registry.js";

const features = ["age", "income", "tenure", "leak"];
const rng = createRng(4);
const data = Array.from({ length: 30 }, () => features.map(() => rng.next() * 2 - 1));
const honest: PredictFn = (b) => b.map(([age = 0, income = 0, tenure = 0]) => 2 * income + age - 0.5 * tenure);
const honestRetrained: PredictFn = (b) => b.map(([age = 0, income = 0, tenure = 0]) => 2.1 * income + 0.95 * age - 0.5 * tenure);
const leaky: PredictFn = (b) => b.map(([age = 0, income = 0, tenure = 0, leak = 0]) => 0.3 * income + 0.1 * age - 0.05 * tenure + 4 * leak);

const explain = (f: PredictFn): Promise<ShapExplanation> => kernelShap(f, data.slice(0, 10), { background: data.slice(10), featureNames: features, seed: 1 });

let root: string;
let tracker: Tracker;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-explain-"));
  tracker = new Tracker({ trackingUri: root, experiment: "explain", captureContext: false, handleExit: false });
});
afterEach(async () => {
  await tracker.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function release(version: string, f: PredictFn): Promise<string> {
  const e = await explain(f);
  const runId = await tracker.withRun({ name: `train ${version}` }, async (run) => {
    await logExplanation(run, e, { name: "shap" });
    return run.id;
  });
  await tracker.registerModel("churn", { runId, contentDigest: fakeDigest(version), ...(version === "1.0.0" ? {} : { bump: "minor" as const }) });
  return runId;
}

describe("logExplanation", () => {
  it("stores the attributions as a JSON artifact and the mean |SHAP| per feature as metrics", async () => {
    const e = await explain(leaky);
    const run = await tracker.startRun({ name: "x" });
    const { artifactPath, stored } = await logExplanation(run, e, { name: "shap" });
    await run.end();
    expect(artifactPath).toBe("explanations/shap.json");
    const meanAbs = features.map((_, j) => e.values.reduce((s, r) => s + Math.abs(r[j] ?? 0), 0) / e.values.length);
    const rec = await tracker.getRun(run.id);
    features.forEach((f, j) => {
      expect(rec.data.metrics[`importance/${f}`]).toBeCloseTo(meanAbs[j] ?? Number.NaN, 12);
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-explain-dl-"));
    const local = await tracker.downloadArtifacts(run.id, artifactPath, dir);
    const json = JSON.parse(fs.readFileSync(fs.statSync(local).isDirectory() ? path.join(local, "shap.json") : local, "utf8")) as Record<string, unknown>;
    fs.rmSync(dir, { recursive: true, force: true });
    expect(json).toMatchObject({
      format: "mltrail.explanation/1",
      name: "shap",
      method: "kernel-shap",
      featureNames: features,
      values: e.values,
      baseValue: e.baseValue,
    });
    expect(json.globalImportance).toEqual(stored.globalImportance);
    expect(await loadExplanation(tracker, { runId: run.id }, { name: "shap" })).toEqual(JSON.parse(JSON.stringify(stored)));
  });

  it("stores permutation importances, and refuses a bad name or result before writing anything", async () => {
    const y = data.map((r) => (honest([r]) as number[])[0] ?? 0);
    const perm = await permutationImportance(honest, data, y, { featureNames: features, seed: 2 });
    const run = await tracker.startRun({ name: "p" });
    await logExplanation(run, perm, { name: "perm", metricPrefix: "perm" });
    for (const [name, result] of [
      ["../x", perm],
      ["ok", { method: "lime" }],
    ] as const) {
      const err = await logExplanation(run, result as typeof perm, { name }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(name === "ok" ? "result" : "options.name");
    }
    await run.end();
    const rec = await tracker.getRun(run.id);
    expect(Object.keys(rec.data.metrics).sort()).toEqual(features.map((f) => `perm/${f}`).sort());
    expect(rec.data.metrics["perm/income"]).toBeCloseTo(perm.importancesMean[1] ?? Number.NaN, 12);
    expect((await tracker.listArtifacts(run.id, "explanations")).map((a) => a.path)).toEqual([explanationPath("perm")]);
  });
});

describe("compareExplanations across releases", () => {
  it("flags the release that leans on a leaked feature, and names it in the verdict", async () => {
    await release("1.0.0", honest);
    await release("1.1.0", honestRetrained);
    await release("1.2.0", leaky);
    const calm = await compareReleaseExplanations(tracker, "churn@1.0.0", "churn@1.1.0", { name: "shap" });
    expect(calm.flagged).toEqual([]);
    expect(calm.verdict).toMatch(/^No feature's importance moved from churn@1\.0\.0 to churn@1\.1\.0/);

    const diff = await compareReleaseExplanations(tracker, "churn@1.1.0", "churn@1.2.0", { name: "shap" });
    const leak = diff.features.find((c) => c.feature === "leak");
    expect(leak).toMatchObject({ rankA: 4, rankB: 1, rankChange: 3 });
    expect(leak?.flags).toEqual(["rank", "share"]);
    expect(leak?.shareA).toBeLessThan(1e-9);
    expect(leak?.shareB).toBeGreaterThan(0.5);
    expect(diff.flagged[0]?.feature).toBe("leak");
    expect(diff.features[0]?.feature).toBe("leak");
    expect(diff.verdict).toMatch(/^\d of 4 features changed from churn@1\.1\.0 to churn@1\.2\.0: leak rank 4→1, share 0%→\d+%/);
  });

  it("uses the thresholds, shares across scales, and features on one side only", () => {
    const a = {
      format: "mltrail.explanation/1",
      name: "a",
      method: "permutation",
      featureNames: ["x", "y", "z"],
      globalImportance: { x: 3, y: 2, z: 1 },
    } as const;
    const b = { ...a, featureNames: ["x", "y", "w"], globalImportance: { x: 30, y: 25, w: 1 } };
    const diff = compareExplanations(a, b, { shareChanged: 0.2 });
    expect(diff.features.map((c) => c.feature)).toEqual(["x", "y", "w", "z"]);
    expect(diff.features.find((c) => c.feature === "w")?.flags).toEqual(["added"]);
    expect(diff.features.find((c) => c.feature === "z")?.flags).toEqual(["removed"]);
    expect(diff.features.find((c) => c.feature === "y")?.shareChange).toBeCloseTo(25 / 56 - 2 / 6, 12);
    expect(diff.features.find((c) => c.feature === "y")?.flags).toEqual([]);
    expect(compareExplanations(a, b, { shareChanged: 0.1 }).features.find((c) => c.feature === "y")?.flags).toEqual(["share"]);
    const err = (() => {
      try {
        compareExplanations(a, b, { rankMoved: 0 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe("options.rankMoved");
  });

  it("says which explanation is missing or damaged", async () => {
    const runId = await release("1.0.0", honest);
    await expect(loadExplanation(tracker, "churn@1.0.0", { name: "other" })).rejects.toBeInstanceOf(NotFoundError);
    const run = await tracker.startRun({ name: "damaged" });
    await run.logJSON({ format: "mltrail.explanation/1", name: "shap" }, explanationPath("shap"));
    await run.end();
    const err = await loadExplanation(tracker, { runId: run.id }, { name: "shap" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptDataError);
    expect((err as CorruptDataError).runId).toBe(run.id);
    expect((await loadExplanation(tracker, { runId }, { name: "shap" })).method).toBe("kernel-shap");
  });
});

/**
 * Explanations in release records: `registerModel` picks up what `logExplanation` announced on
 * the run (name, artifact, sha256, global importances), records without it (older releases)
 * still load, and `tracker.compareExplanations` diffs two releases from their records, reading
 * the artifact only when the record holds no importances.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CorruptDataError, NotFoundError, Tracker, ValidationError } from "../../src/index.js";
import { type PredictFn, type ShapExplanation, explanationPath, kernelShap, logExplanation, permutationImportance } from "../../src/explain/index.js";
import { createRng } from "../../src/explain/rng.js";
import { fakeDigest, modelFolder } from "../support/registry.js";

const features = ["age", "income", "tenure", "leak"];
const rng = createRng(9);
const data = Array.from({ length: 24 }, () => features.map(() => rng.next() * 2 - 1));
const honest: PredictFn = (b) => b.map(([age = 0, income = 0, tenure = 0]) => 2 * income + age - 0.5 * tenure);
const leaky: PredictFn = (b) => b.map(([age = 0, income = 0, tenure = 0, leak = 0]) => 0.3 * income + 0.1 * age - 0.05 * tenure + 4 * leak);
const explain = (f: PredictFn, names = features, rows = data): Promise<ShapExplanation> =>
  kernelShap(f, rows.slice(0, 6), { background: rows.slice(12), featureNames: names, seed: 1, nsamples: 64 });

let root: string;
let tracker: Tracker;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-explain-rel-"));
  tracker = new Tracker({ trackingUri: root, experiment: "explain", captureContext: false, handleExit: false });
});
afterEach(async () => {
  await tracker.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function release(label: string, log: (run: Parameters<Parameters<Tracker["withRun"]>[1]>[0]) => Promise<void>, first = false): Promise<string> {
  const runId = await tracker.withRun({ name: label }, async (run) => {
    await log(run);
    return run.id;
  });
  return (await tracker.registerModel("churn", { runId, contentDigest: fakeDigest(label), ...(first ? {} : { bump: "minor" as const }) })).version;
}

const sha256Of = async (runId: string, rel: string): Promise<string> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-dl-"));
  try {
    const local = await tracker.downloadArtifacts(runId, rel, dir);
    const file = fs.statSync(local).isDirectory() ? path.join(local, path.basename(rel)) : local;
    return `sha256:${createHash("sha256").update(fs.readFileSync(file)).digest("hex")}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};

describe("registerModel and explanations", () => {
  it("records every explanation the run logged: name, method, artifact, digest and global importances", async () => {
    const shap = await explain(leaky);
    const y = data.map((r) => (leaky([r]) as number[])[0] ?? 0);
    const perm = await permutationImportance(leaky, data, y, { featureNames: features, seed: 2, nRepeats: 2 });
    const logged: Record<string, Record<string, number>> = {};
    const version = await release(
      "v1",
      async (run) => {
        logged["shap"] = { ...(await logExplanation(run, shap, { name: "shap" })).stored.globalImportance };
        logged["perm"] = { ...(await logExplanation(run, perm, { name: "perm", metricPrefix: "perm" })).stored.globalImportance };
      },
      true,
    );
    const mv = await tracker.getModelVersion(`churn@${version}`);
    const runId = mv.runId ?? "";
    expect(mv.explanations).toEqual([
      {
        name: "perm",
        method: "permutation",
        artifactPath: explanationPath("perm"),
        digest: await sha256Of(runId, explanationPath("perm")),
        globalImportance: logged["perm"],
      },
      {
        name: "shap",
        method: "kernel-shap",
        artifactPath: explanationPath("shap"),
        digest: await sha256Of(runId, explanationPath("shap")),
        globalImportance: logged["shap"],
      },
    ]);
    // A reopened tracker reads the same record from disk.
    await tracker.close();
    tracker = new Tracker({ trackingUri: root, experiment: "explain", captureContext: false, handleExit: false });
    expect((await tracker.getModelVersion("churn@1.0.0")).explanations).toEqual(mv.explanations);
  });

  it("loads records without explanations (older releases) and drops only a damaged explanation entry", async () => {
    await release("plain", async () => undefined, true);
    expect((await tracker.getModelVersion("churn@1.0.0")).explanations).toBeUndefined();
    await release("explained", async (run) => void (await logExplanation(run, await explain(honest), { name: "shap" })));
    const file = path.join(modelFolder(root, "churn"), "versions", "2.json");
    const record = JSON.parse(fs.readFileSync(file, "utf8")) as { explanations: unknown[] };
    const good = record.explanations[0];
    fs.writeFileSync(file, JSON.stringify({ ...record, explanations: [{ name: 3 }, good, { ...(good as object), digest: "md5:1" }] }));
    const mv = await tracker.getModelVersion("churn@1.1.0");
    expect(mv.explanations).toEqual([good]);
    fs.writeFileSync(file, JSON.stringify({ ...record, explanations: "not a list" }));
    expect((await tracker.getModelVersion("churn@1.1.0")).explanations).toBeUndefined();
  });
});

describe("tracker.compareExplanations", () => {
  it("flags the release leaning on a leaked feature, from the release records", async () => {
    await release("honest", async (run) => void (await logExplanation(run, await explain(honest), { name: "shap" })), true);
    await release("leaky", async (run) => void (await logExplanation(run, await explain(leaky), { name: "shap" })));
    const diff = await tracker.compareExplanations("churn@1.0.0", "churn@1.1.0");
    expect(diff.name).toBe("shap");
    expect([diff.a.version, diff.b.version, diff.b.method]).toEqual(["1.0.0", "1.1.0", "kernel-shap"]);
    expect(diff.flagged[0]).toMatchObject({ feature: "leak", rankA: 4, rankB: 1, rankChange: 3 });
    expect(diff.flagged[0]?.flags).toEqual(["rank", "share"]);
    expect(diff.verdict).toMatch(/^\d of 4 features changed from churn@1\.0\.0 to churn@1\.1\.0: leak rank 4→1, share 0%→\d+%/);
    // Thresholds: a leak that must move 4 places and 99 points is not flagged.
    const lenient = await tracker.compareExplanations("churn@1.0.0", "churn@1.1.0", { rankMoved: 4, shareChanged: 0.99 });
    expect(lenient.features.find((c) => c.feature === "leak")?.flags).toEqual([]);
    const same = await tracker.compareExplanations("churn@1.0.0", "churn@1.0.0");
    expect(same.flagged).toEqual([]);
    expect(same.verdict).toMatch(/^No feature's importance moved from churn@1\.0\.0 to churn@1\.0\.0/);
    const err = await tracker.compareExplanations("churn@1.0.0", "churn@1.1.0", { shareChanged: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe("options.shareChanged");
  });

  it("reads the artifact when the importances did not fit in the run's tag, and checks it against the recorded digest", async () => {
    const many = Array.from({ length: 400 }, (_, j) => `feature_with_a_long_name_${j}`);
    const rows = Array.from({ length: 14 }, () => many.map(() => rng.next()));
    const f: PredictFn = (b) => b.map((r) => (r[0] ?? 0) * 3 + (r[1] ?? 0));
    let runId = "";
    let stored: Record<string, number> = {};
    await release(
      "wide",
      async (run) => {
        runId = run.id;
        stored = { ...(await logExplanation(run, await explain(f, many, rows), { name: "shap", metricPrefix: false })).stored.globalImportance };
      },
      true,
    );
    const entry = (await tracker.getModelVersion("churn@1.0.0")).explanations?.[0];
    expect(entry?.globalImportance).toBeUndefined();
    expect(entry?.digest).toBe(await sha256Of(runId, explanationPath("shap")));
    const diff = await tracker.compareExplanations("churn@1.0.0", "churn@1.0.0");
    expect(diff.a.globalImportance).toEqual(stored);
    expect(diff.features[0]?.feature).toBe("feature_with_a_long_name_0");

    // The same artifact path rewritten after the release no longer matches the record.
    const run = await tracker.startRun({ resume: runId });
    await run.logJSON({ method: "kernel-shap", globalImportance: { x: 1 } }, explanationPath("shap"));
    await run.end();
    const err = await tracker.compareExplanations("churn@1.0.0", "churn@1.0.0").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptDataError);
    expect((err as Error).message).toMatch(/does not match the release record's digest sha256:/);
  });

  it("falls back to the run's artifact for a release whose record carries no explanation, and says what is missing", async () => {
    await release("legacy", async (run) => void (await run.logJSON({ method: "permutation", globalImportance: { a: 2, b: 1 } }, explanationPath())), true);
    await release("two", async (run) => {
      await logExplanation(run, await explain(honest), { name: "shap" });
      await logExplanation(run, await explain(leaky), { name: "shap2" });
    });
    await release("other", async (run) => void (await logExplanation(run, await explain(leaky), { name: "lime" })));
    const legacy = await tracker.compareExplanations("churn@1.0.0", "churn@1.0.0");
    expect([legacy.name, legacy.a.method, legacy.a.globalImportance]).toEqual(["explanation", "permutation", { a: 2, b: 1 }]);
    const ambiguous = await tracker.compareExplanations("churn@1.1.0", "churn@1.1.0").catch((e: unknown) => e);
    expect(ambiguous).toBeInstanceOf(ValidationError);
    expect((ambiguous as ValidationError).rule).toMatch(/shap, shap2/);
    expect((await tracker.compareExplanations("churn@1.1.0", "churn@1.1.0", { name: "shap2" })).name).toBe("shap2");
    await expect(tracker.compareExplanations("churn@1.1.0", "churn@1.2.0")).rejects.toThrow(NotFoundError);
    await expect(tracker.compareExplanations("churn@1.1.0", "churn@1.2.0", { name: "shap" })).rejects.toThrow(
      /churn@1\.2\.0 carries no explanation "shap" \(it has lime\)/,
    );
    await expect(tracker.compareExplanations("churn@1.0.0", "churn@1.0.0", { name: "shap" })).rejects.toThrow(NotFoundError);
  });
});

/**
 * Explanations in release records on the real MLflow server: the run tag
 * `mltrail.explanation/<name>` and the `mltrail.release` tag hold what the local store holds
 * (checked through MLflow's own REST API), and a second tracker with an empty spool compares
 * the releases from the server, downloading the artifact when the record has no importances.
 */
import { afterEach, expect, it } from "vitest";
import type { Tracker } from "../../src/index.js";
import { type PredictFn, explanationPath, kernelShap, logExplanation } from "../../src/explain/index.js";
import { mlflowGet, uniqueName } from "../support/mlflow.js";
import { newTracker, tempDir } from "../fixtures/replication/harness.js";
import { fakeDigest } from "../support/registry.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tracker(experiment: string): Tracker {
  const spool = tempDir("explain-mlflow");
  const t = newTracker(spool.dir, experiment);
  cleanups.push(spool.cleanup, async () => void (await t.close({ timeoutMs: 5000 })));
  return t;
}

interface Tagged {
  version?: string;
  tags?: { key: string; value: string }[];
}
const tagsOf = (x: Tagged): Record<string, string> => Object.fromEntries((x.tags ?? []).map((t) => [t.key, t.value]));

it("release records carry the explanations on MLflow, and another tracker compares them from the server", async () => {
  const experiment = uniqueName("explain-exp");
  const model = uniqueName("explained");
  const t = tracker(experiment);
  const wide = Array.from({ length: 300 }, (_, j) => `feature_with_a_long_name_${j}`);
  const rows = Array.from({ length: 12 }, (_, i) => wide.map((_, j) => Math.sin(i * 3.7 + j)));
  const honest: PredictFn = (b) => b.map((r) => 2 * (r[1] ?? 0) + (r[2] ?? 0));
  const leaky: PredictFn = (b) => b.map((r) => 0.2 * (r[1] ?? 0) + (r[2] ?? 0) * 0.1 + 3 * (r[299] ?? 0));
  const runIds: string[] = [];
  for (const [i, f] of [honest, leaky].entries()) {
    const shap = await kernelShap(f, rows.slice(0, 3), { background: rows.slice(6), featureNames: wide, seed: 1, nsamples: 700 });
    const narrow = await kernelShap(
      (b) => f(b.map((r) => [...r, ...wide.slice(3).map(() => 0)])) as number[],
      rows.slice(0, 3).map((r) => r.slice(0, 3)),
      {
        background: rows.slice(6).map((r) => r.slice(0, 3)),
        featureNames: wide.slice(0, 3),
        seed: 1,
      },
    );
    const run = await t.startRun({ name: `v${i}` });
    await logExplanation(run, shap, { name: "wide", metricPrefix: false });
    await logExplanation(run, narrow, { name: "narrow" });
    await run.end();
    runIds.push(run.id);
  }
  expect(await t.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
  for (const [i, runId] of runIds.entries())
    await t.registerModel(model, { runId, contentDigest: fakeDigest(`${model}${i}`), ...(i === 0 ? {} : { bump: "minor" as const }) });

  // What the server holds: the run's tags and the release tag, read through MLflow's REST API.
  const run = await mlflowGet<{ run: { data: Tagged } }>("runs/get", { run_id: runIds[0] });
  const runTags = tagsOf(run.run.data);
  const narrowTag = JSON.parse(runTags["mltrail.explanation/narrow"] ?? "{}") as Record<string, unknown>;
  expect(narrowTag).toMatchObject({ method: "kernel-shap", artifactPath: explanationPath("narrow"), digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
  expect(Object.keys(narrowTag["globalImportance"] as object)).toEqual(wide.slice(0, 3));
  expect(JSON.parse(runTags["mltrail.explanation/wide"] ?? "{}")).not.toHaveProperty("globalImportance");
  const versions = await mlflowGet<{ model_versions?: Tagged[] }>("model-versions/search", { filter: `name='${model}'` });
  const releases = (versions.model_versions ?? [])
    .sort((a, b) => Number(a.version) - Number(b.version))
    .map((v) => JSON.parse(tagsOf(v)["mltrail.release"] ?? "{}") as { explanations?: { name: string; digest: string }[] });
  expect(releases.map((r) => r.explanations?.map((e) => e.name))).toEqual([
    ["narrow", "wide"],
    ["narrow", "wide"],
  ]);
  expect(releases[0]?.explanations?.[0]?.digest).toBe(narrowTag["digest"]);

  // A second tracker with an empty spool reads the records and the artifact from the server.
  const other = tracker(experiment);
  const diff = await other.compareExplanations(`${model}@1.0.0`, `${model}@1.1.0`, { name: "wide" });
  expect(diff.flagged[0]?.feature).toBe("feature_with_a_long_name_299");
  expect(Object.keys(diff.a.globalImportance)).toHaveLength(300);
  const narrowDiff = await other.compareExplanations(`${model}@1.0.0`, `${model}@1.1.0`, { name: "narrow" });
  expect(narrowDiff.a.globalImportance).toEqual(narrowTag["globalImportance"]);
  await expect(other.compareExplanations(`${model}@1.0.0`, `${model}@1.1.0`)).rejects.toThrow(/both carry: narrow, wide/);
}, 240_000);

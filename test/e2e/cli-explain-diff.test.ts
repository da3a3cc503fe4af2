/**
 * `mltrail models explain-diff`, run as a user would (`node dist/cli/main.js`; build first with
 * `npx tsup`): two releases whose explanations differ by a leaked feature, compared from the
 * release records; the table, the verdict, JSON, thresholds, `--fail-on-change` and the errors.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";
import { type PredictFn, kernelShap, logExplanation } from "../../src/explain/index.js";
import { fakeDigest } from "../support/registry.js";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const main = path.join(root, "dist", "cli", "main.js");
let store: string;

async function cli(args: readonly string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [main, ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", TZ: "UTC", MLFLOW_TRACKING_URI: store },
    });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

const features = ["age", "income", "tenure", "leak"];
const rows = Array.from({ length: 20 }, (_, i) => features.map((_, j) => Math.sin(i * 7.3 + j * 1.9)));
const honest: PredictFn = (b) => b.map(([age = 0, income = 0, tenure = 0]) => 2 * income + age - 0.5 * tenure);
const leaky: PredictFn = (b) => b.map(([age = 0, income = 0, tenure = 0, leak = 0]) => 0.3 * income + 0.1 * age - 0.05 * tenure + 4 * leak);

beforeAll(async () => {
  if (!fs.existsSync(main)) throw new Error("dist/cli/main.js is missing: run `npx tsup` first (npm test does)");
  store = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-cli-explain-"));
  const tracker = new Tracker({ trackingUri: store, experiment: "cli", captureContext: false, handleExit: false });
  for (const [label, f] of [
    ["v1", honest],
    ["v2", leaky],
  ] as const) {
    const shap = await kernelShap(f, rows.slice(0, 5), { background: rows.slice(10), featureNames: features, seed: 1 });
    const runId = await tracker.withRun({ name: label }, async (run) => {
      await logExplanation(run, shap, { name: "shap" });
      return run.id;
    });
    await tracker.registerModel("churn", { runId, contentDigest: fakeDigest(label), ...(label === "v1" ? {} : { bump: "minor" as const }) });
  }
  const plain = await tracker.withRun({ name: "plain" }, async (run) => run.id);
  await tracker.registerModel("churn", { runId: plain, contentDigest: fakeDigest("plain"), bump: "minor" });
  await tracker.close();
});
afterAll(() => fs.rmSync(store, { recursive: true, force: true }));

describe("mltrail models explain-diff", () => {
  it("prints one row per feature, marks the flagged ones, and ends with the verdict", async () => {
    const { stdout, code } = await cli(["models", "explain-diff", "churn@1.0.0", "churn@1.1.0"]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toBe('explanation "shap" (kernel-shap): churn@1.0.0 → churn@1.1.0');
    expect(lines[2]).toMatch(/^feature\s+rank\s+share\s+Δ points\s+importance\s+flags$/);
    const leak = lines.find((l) => l.includes("leak")) ?? "";
    expect(leak).toMatch(/^! leak\s+4 → 1 \(↑3\)\s+0\.0% → \d+\.\d% +\+\d+\.\d\s+\S+ → \d\.\d{3}\s+rank,share$/);
    expect(lines.filter((l) => l.startsWith("  ") || l.startsWith("! "))).toHaveLength(4);
    expect(lines.at(-1)).toMatch(/^\d of 4 features changed from churn@1\.0\.0 to churn@1\.1\.0: leak rank 4→1, share 0%→\d+%/);
  });

  it("prints JSON, takes thresholds, and exits 2 with --fail-on-change only when a feature is flagged", async () => {
    const json = await cli(["models", "explain-diff", "churn@1.0.0", "churn@1.1.0", "--json"]);
    const diff = JSON.parse(json.stdout) as { name: string; flagged: { feature: string }[]; a: { version: string }; b: { version: string } };
    expect([diff.name, diff.a.version, diff.b.version, diff.flagged[0]?.feature]).toEqual(["shap", "1.0.0", "1.1.0", "leak"]);
    const strict = await cli(["models", "explain-diff", "churn@1.0.0", "churn@1.1.0", "--fail-on-change"]);
    expect(strict.code).toBe(2);
    const lenient = await cli(["models", "explain-diff", "churn@1.0.0", "churn@1.1.0", "--rank-moved", "4", "--share-changed", "100%", "--fail-on-change"]);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/^No feature's importance moved from churn@1\.0\.0 to churn@1\.1\.0/m);
  });

  it("says what is wrong: a bad threshold, an unknown explanation, a release without one", async () => {
    const bad = await cli(["models", "explain-diff", "churn@1.0.0", "churn@1.1.0", "--share-changed", "2"]);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/--share-changed: "2" is not valid/)]);
    const unknown = await cli(["models", "explain-diff", "churn@1.0.0", "churn@1.1.0", "--name", "lime"]);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringMatching(/^mltrail: churn@1\.0\.0 carries no explanation "lime" \(it has shap\)/)]);
    const none = await cli(["models", "explain-diff", "churn@1.1.0", "churn@1.2.0"]);
    expect([none.code, none.stderr]).toEqual([1, expect.stringMatching(/^mltrail: churn@1\.2\.0 carries no explanation "shap"/)]);
  });
});

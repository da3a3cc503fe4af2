/**
 * examples/tfjs-train.ts, run as a user would (`npx tsx examples/tfjs-train.ts`): four
 * releases (1.0.0, 1.0.1 after a learning-rate tweak, 1.1.0 after more data, 2.0.0 after the
 * input shape changed, with the minor attempt refused) and a model loaded back from the registry.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { Tracker } from "../../src/index.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

it("npx tsx examples/tfjs-train.ts releases 1.0.0, 1.0.1, 1.1.0, refuses a minor for a new input shape, releases 2.0.0", async () => {
  const store = await fs.mkdtemp(path.join(os.tmpdir(), "mltrail-tfjs-example-"));
  try {
    const { stdout } = await run("npx", ["tsx", "examples/tfjs-train.ts"], { cwd: root, env: { ...process.env, MLFLOW_TRACKING_URI: store } });
    expect(stdout).toMatch(/released tfjs-churn 1\.0\.0 \(initial/);
    expect(stdout).toMatch(/released tfjs-churn 1\.0\.1 \(patch: weights changed \(same architecture\); params changed \(learning_rate\)/);
    expect(stdout).toMatch(/released tfjs-churn 1\.1\.0 \(minor: weights changed \(same architecture\); training data changed \(churn-train\)/);
    expect(stdout).toMatch(/refused: .*input "input_0" shape \[null,4\] → \[null,5\] → major required, got minor/);
    expect(stdout).toMatch(/released tfjs-churn 2\.0\.0 \(major: input "input_0" shape/);
    expect(stdout).toMatch(/Loaded tfjs-churn@\^1 → 1\.1\.0; P\(churn/);
    const tracker = new Tracker({ trackingUri: store, experiment: "tfjs-example", captureContext: false, handleExit: false });
    expect((await tracker.listModelVersions("tfjs-churn")).map((v) => v.version)).toEqual(["1.0.0", "1.0.1", "1.1.0", "2.0.0"]);
    const runs = await tracker.searchRuns({ orderBy: ["attributes.start_time ASC"] });
    expect(runs.map((r) => [r.info.name, r.info.status])).toEqual([
      ["baseline", "FINISHED"],
      ["lower-lr", "FINISHED"],
      ["more-data", "FINISHED"],
      ["new-feature-as-minor", "FAILED"],
      ["new-feature", "FINISHED"],
    ]);
    const first = runs[0]?.info.runId ?? "";
    expect((await tracker.getMetricHistory(first, "loss")).map((m) => m.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect((await tracker.getMetricHistory(first, "batch/loss")).length).toBeGreaterThan(0);
    expect(runs[0]?.data.params).toMatchObject({ optimizer: "Adam", learning_rate: "0.05", batch_size: "32", epochs: "8" });
    await tracker.close();
  } finally {
    await fs.rm(store, { recursive: true, force: true });
  }
}, 180_000);

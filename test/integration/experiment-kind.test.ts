/**
 * Experiments mltrail creates on the server open in MLflow's model-training view: they carry
 * `mlflow.experimentKind: custom_model_development`, as MLflow's own Python client reads it.
 * An experiment that already exists is left as it is.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "../../src/tracker.js";
import { tempDir, testOptions, toRecord } from "../faults/helpers.js";
import { createExperiment, mlflowGet, mlflowUri, uniqueName } from "../support/mlflow.js";

const run = promisify(execFile);
let spool: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  spool = await tempDir("kind");
});
afterAll(async () => {
  await spool?.cleanup();
});

async function kindOf(name: string): Promise<string | undefined> {
  const res = await mlflowGet<{ experiment: { tags?: { key: string; value: string }[] } }>("experiments/get-by-name", { experiment_name: name });
  return toRecord(res.experiment.tags)["mlflow.experimentKind"];
}

describe("experiment kind", () => {
  it("a created experiment is a model-training experiment for MLflow's UI and Python client", { timeout: 120_000 }, async () => {
    const name = uniqueName("kind");
    const tracker = new Tracker(testOptions(mlflowUri(), name, spool.dir));
    await tracker.withRun({ name: "k" }, (r) => r.logMetric("m", 1, { step: 0 }));
    await tracker.close({ timeoutMs: 30_000 });
    expect(await kindOf(name)).toBe("custom_model_development");

    // The test venv, as scripts/mlflow-server.mjs resolves it.
    const venv = process.env.MLTRAIL_MLFLOW_VENV ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", ".cache", "mlflow-venv");
    const python = path.join(venv, process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
    const script = "import sys, mlflow; c = mlflow.MlflowClient(sys.argv[1]); print(c.get_experiment_by_name(sys.argv[2]).tags.get('mlflow.experimentKind'))";
    const { stdout } = await run(python, ["-c", script, mlflowUri(), name], { timeout: 90_000 });
    expect(stdout.trim()).toBe("custom_model_development");
  });

  it("an existing experiment keeps its tags", { timeout: 60_000 }, async () => {
    const { name } = await createExperiment("kind-existing");
    const tracker = new Tracker(testOptions(mlflowUri(), name, spool.dir));
    await tracker.withRun({ name: "k" }, (r) => r.logMetric("m", 1, { step: 0 }));
    await tracker.close({ timeoutMs: 30_000 });
    expect(await kindOf(name)).toBeUndefined();
  });
});

/**
 * The TF.js integration against the real MLflow server: callback metrics reach the server
 * equal to TF.js's History, the model summary is an artifact, and a model saved and released
 * through the server's registry loads back (downloaded through the artifact proxy) and
 * predicts exactly what the trained model did; a changed input shape needs a major release.
 */
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/index.js";
import type { Tracker } from "../../src/index.js";
import { loadModel, mltrailCallback, saveModel } from "../../src/integrations/tfjs.js";
import { uniqueName } from "../support/mlflow.js";
import { newTracker, tempDir } from "../fixtures/replication/harness.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(async () => {
  await tf.setBackend("cpu");
});

function tracker(): Tracker {
  const spool = tempDir("tfjs-mlflow");
  const t = newTracker(spool.dir, uniqueName("tfjs"));
  cleanups.push(
    () => spool.cleanup(),
    async () => void (await t.close()),
  );
  return t;
}

function build(features: number): tf.LayersModel {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [features], units: 6, activation: "relu" }), tf.layers.dense({ units: 1 })] });
  m.compile({ optimizer: tf.train.adam(0.02), loss: "meanSquaredError", metrics: ["mae"] });
  return m;
}

function data(n: number, features: number): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const xs = tf.randomUniform([n, features], -1, 1, "float32", n + features) as tf.Tensor2D;
  return { xs, ys: xs.sum(1, true) as tf.Tensor2D };
}

function predictions(m: tf.LayersModel, features: number): number[] {
  const x = tf.tensor2d(
    Array.from({ length: 5 * features }, (_, i) => Math.sin(i)),
    [5, features],
  );
  return Array.from((m.predict(x) as tf.Tensor).dataSync());
}

describe("TF.js on MLflow", () => {
  it("logs epoch and batch metrics equal to History, params and the summary; save → release → load predicts identically", async () => {
    const t = tracker();
    const name = uniqueName("tfjs-model");
    const model = build(3);
    const { xs, ys } = data(48, 3);
    const { runId, history, version } = await t.withRun({ name: "fit" }, async (run) => {
      const h = await model.fit(xs, ys, { epochs: 3, batchSize: 16, validationSplit: 0.25, callbacks: [mltrailCallback(run, { logEvery: "batch" })] });
      const saved = await saveModel(run, model, { artifactPath: "model" });
      const mv = await t.registerModel(name, { runId: run.id, ...saved, rationale: "first" });
      return { runId: run.id, history: h.history, version: mv.version };
    });
    expect(version).toBe("1.0.0");
    await t.flush();
    const read = await t.getRun(runId);
    expect(read.data.params).toMatchObject({ optimizer: "Adam", learning_rate: "0.02", batch_size: "16", epochs: "3", layers: "2", total_params: "31" });
    for (const key of ["loss", "mae", "val_loss", "val_mae"]) {
      const server = (await t.getMetricHistory(runId, key)).map((m) => [m.step, m.value]).sort((a, b) => (a[0] as number) - (b[0] as number));
      expect(server, key).toEqual(history[key]?.map((v, i) => [i, v]));
    }
    // 36 training rows / 16 = 3 batches per epoch → global steps 0..8.
    expect((await t.getMetricHistory(runId, "batch/loss")).map((m) => m.step).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const files = (await t.listArtifacts(runId)).map((a) => a.path);
    expect(files).toContain("model_summary.txt");

    const loaded = await loadModel<tf.LayersModel>(t, `${name}@^1`);
    expect(predictions(loaded, 3)).toEqual(predictions(model, 3));
  });

  it("a changed input shape is refused below a major release, then released as 2.0.0", async () => {
    const t = tracker();
    const name = uniqueName("tfjs-shape");
    const release = (features: number, bump?: "minor") =>
      t.withRun({ name: `f${features}` }, async (run) => {
        const m = build(features);
        const { xs, ys } = data(32, features);
        await m.fit(xs, ys, { epochs: 1, batchSize: 16, callbacks: [mltrailCallback(run)] });
        const saved = await saveModel(run, m);
        return { model: m, mv: await t.registerModel(name, { runId: run.id, ...saved, ...(bump ? { bump } : {}), rationale: "test" }) };
      });
    expect((await release(3)).mv.version).toBe("1.0.0");
    await expect(release(4, "minor")).rejects.toThrow(ValidationError);
    const wide = await release(4);
    expect(wide.mv.version).toBe("2.0.0");
    expect(wide.mv.changes.join("; ")).toMatch(/input "input_0" shape \[null,3\] → \[null,4\]/);
    await t.flush();
    const loaded = await loadModel<tf.LayersModel>(t, `${name}@^2`);
    expect(predictions(loaded, 4)).toEqual(predictions(wide.model, 4));
  });
});

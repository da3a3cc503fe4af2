/**
 * TF.js models: signatures (and the breaking changes the registry infers from them), and the
 * save → register → load round trip: loaded models predict exactly what the saved ones did.
 * The round trip runs against an in-memory stand-in of the artifacts API (the structural
 * `ModelRun` / `ModelSource` types) and, when `run.logModel` exists, against the local store.
 */
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Tracker, ValidationError, diffSignatures } from "../../src/index.js";
import type { ModelVersion } from "../../src/index.js";
import { isGeneratedLayerName, loadModel, saveModel, signatureFromModel } from "../../src/integrations/tfjs.js";
import type { ModelRun, ModelSource } from "../../src/integrations/tfjs.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(async () => {
  await tf.setBackend("cpu");
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function dense(features: number, units = 1): tf.LayersModel {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [features], units: 5, activation: "tanh" }), tf.layers.dense({ units })] });
  m.compile({ optimizer: "sgd", loss: "meanSquaredError" });
  return m;
}

async function trained(features: number, n: number): Promise<tf.LayersModel> {
  const m = dense(features);
  const xs = tf.randomNormal([n, features], 0, 1, "float32", 7);
  const ys = xs.sum(1, true);
  await m.fit(xs, ys, { epochs: 2, batchSize: 16 });
  return m;
}

function predictions(m: tf.LayersModel, features: number): Float32Array {
  const x = tf.tensor2d(
    Array.from({ length: 6 * features }, (_, i) => Math.cos(i)),
    [6, features],
  );
  return (m.predict(x) as tf.Tensor).dataSync() as Float32Array;
}

describe("signatureFromModel", () => {
  it("gives dtype and shape with null for the batch dimension; generated names become positional", () => {
    expect(signatureFromModel(dense(4, 2))).toEqual({
      inputs: [{ name: "input_0", dtype: "float32", shape: [null, 4] }],
      outputs: [{ name: "output_0", dtype: "float32", shape: [null, 2] }],
    });
    // A rebuilt model gets new generated names (dense_Dense3…) but the same signature.
    expect(diffSignatures(signatureFromModel(dense(4, 2)), signatureFromModel(dense(4, 2)))).toEqual([]);
  });

  it("keeps names the user chose, for multi-input / multi-output models, with labels", () => {
    const age = tf.input({ name: "age", shape: [1] });
    const text = tf.input({ name: "tokens", shape: [8], dtype: "int32" });
    const joined = tf.layers.concatenate().apply([age, tf.layers.dense({ units: 3 }).apply(text) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const churn = tf.layers.dense({ name: "churn", units: 2, activation: "softmax" }).apply(joined) as tf.SymbolicTensor;
    const ltv = tf.layers.dense({ name: "ltv", units: 1 }).apply(joined) as tf.SymbolicTensor;
    const m = tf.model({ inputs: [age, text], outputs: [churn, ltv] });
    expect(signatureFromModel(m, { labels: ["stay", "churn"] })).toEqual({
      inputs: [
        { name: "age", dtype: "float32", shape: [null, 1] },
        { name: "tokens", dtype: "int32", shape: [null, 8] },
      ],
      outputs: [
        { name: "churn", dtype: "float32", shape: [null, 2] },
        { name: "ltv", dtype: "float32", shape: [null, 1] },
      ],
      labels: ["stay", "churn"],
    });
    expect(signatureFromModel(m, { inputNames: ["a", "t"], outputNames: ["c", "l"] }).inputs.map((s) => s.name)).toEqual(["a", "t"]);
    expect(() => signatureFromModel(m, { inputNames: ["a"] })).toThrow(ValidationError);
    expect(() => signatureFromModel({} as tf.LayersModel)).toThrow(ValidationError);
  });

  it("tells generated layer names from chosen ones", () => {
    for (const n of ["dense_Dense1", "dense_Dense12_input", "conv2d_Conv2D3", "batch_normalization_BatchNormalization2", "input4"])
      expect(isGeneratedLayerName(n), n).toBe(true);
    for (const n of ["features", "age", "dense", "hidden_input", "dense_1", "my_Layer"]) expect(isGeneratedLayerName(n), n).toBe(false);
  });

  it("lets the registry see breaking and compatible changes", () => {
    const v1 = signatureFromModel(dense(4));
    const kinds = (a: tf.LayersModel) => diffSignatures(v1, signatureFromModel(a)).map((c) => [c.kind, c.bump]);
    expect(kinds(dense(4))).toEqual([]);
    expect(kinds(dense(5))).toEqual([["input-shape-changed", "major"]]);
    expect(kinds(dense(4, 3))).toEqual([["output-shape-changed", "major"]]);
    const i = tf.input({ name: "input_0", shape: [4], dtype: "int32" });
    const o = tf.layers.dense({ units: 1 }).apply(i) as tf.SymbolicTensor;
    expect(kinds(tf.model({ inputs: i, outputs: o }))).toEqual([["input-dtype-changed", "major"]]);
    const i2 = tf.input({ shape: [4] });
    const o2 = tf.layers.dense({ units: 1 }).apply(i2) as tf.SymbolicTensor;
    const extra = tf.layers.dense({ name: "score", units: 1 }).apply(i2) as tf.SymbolicTensor;
    expect(kinds(tf.model({ inputs: i2, outputs: [o2, extra] }))).toEqual([["output-added", "minor"]]);
  });
});

/** A stand-in for the artifacts API: logModel copies the folder, downloadArtifacts copies it back. */
function fakeArtifacts(): { run: ModelRun; source(mv: Partial<ModelVersion>): ModelSource; store: string } {
  const store = tempDir("mltrail-tfjs-store-");
  const run: ModelRun = {
    id: "run1",
    async logModel(dir, options) {
      const to = path.join(store, "run1", options.artifactPath);
      mkdirSync(to, { recursive: true });
      cpSync(dir, to, { recursive: true });
      const h = createHash("sha256");
      for (const f of readdirSync(dir).sort()) h.update(`${f}\0`).update(readFileSync(path.join(dir, f)));
      expect(options.flavor).toBe("tfjs-layers");
      return { artifactPath: options.artifactPath, contentDigest: `sha256:${h.digest("hex")}` };
    },
  };
  const source = (mv: Partial<ModelVersion>): ModelSource => ({
    getModelVersion: async () => mv as ModelVersion,
    async downloadArtifacts(runId, artifactPath, destDir) {
      const to = path.join(destDir, path.basename(artifactPath));
      cpSync(path.join(store, runId, artifactPath), to, { recursive: true });
      return to;
    },
  });
  return { run, source, store };
}

describe("saveModel / loadModel", () => {
  it("round-trips model.json + weights.bin through the artifacts API; the loaded model predicts identically", async () => {
    const fake = fakeArtifacts();
    const m = await trained(3, 64);
    const saved = await saveModel(fake.run, m, { artifactPath: "models/dense" });
    expect(saved.artifactPath).toBe("models/dense");
    expect(saved.contentDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(saved.signature).toEqual(signatureFromModel(m));
    expect(readdirSync(path.join(fake.store, "run1", "models/dense")).sort()).toEqual(["model.json", "weights.bin"]);
    const json = JSON.parse(readFileSync(path.join(fake.store, "run1", "models/dense", "model.json"), "utf8")) as {
      format: string;
      weightsManifest: { paths: string[] }[];
    };
    expect(json.format).toBe("layers-model");
    expect(json.weightsManifest[0]?.paths).toEqual(["./weights.bin"]);

    const again = await saveModel(fake.run, m, { artifactPath: "again" });
    expect(again.contentDigest).toBe(saved.contentDigest); // same weights, same files

    const loaded = await loadModel<tf.LayersModel>(fake.source({ name: "dense", version: "1.0.0", source: "runs:/run1/models/dense" }), "dense@^1");
    expect(Array.from(predictions(loaded, 3))).toEqual(Array.from(predictions(m, 3)));
    expect(signatureFromModel(loaded)).toEqual(saved.signature);
  });

  it("says clearly what is missing", async () => {
    const m = dense(2);
    await expect(saveModel({ id: "r" }, m)).rejects.toThrow(/run\.logModel/);
    await expect(loadModel({ getModelVersion: async () => ({}) as ModelVersion }, "x@1")).rejects.toThrow(/downloadArtifacts/);
    const fake = fakeArtifacts();
    await expect(loadModel(fake.source({ name: "x", version: "1.0.0", source: "s3://bucket/model" }), "x@1")).rejects.toThrow(ValidationError);
  });

  it("on the local store: save, release 1.0.0, retrain (same architecture) → 1.0.1, input shape changed → major only", async () => {
    const root = tempDir("mltrail-tfjs-local-");
    const tracker = new Tracker({ trackingUri: root, experiment: "tfjs", captureContext: false, handleExit: false });
    cleanups.push(async () => void (await tracker.close()));
    const release = async (m: tf.LayersModel, opts: { bump?: "minor" | "major" } = {}) =>
      tracker.withRun({ name: "train" }, async (run) => {
        const saved = await saveModel(run, m);
        return tracker.registerModel("dense", { runId: run.id, ...saved, ...opts, rationale: "test" });
      });
    const m1 = await trained(3, 64);
    expect((await release(m1)).version).toBe("1.0.0");
    const loaded = await loadModel<tf.LayersModel>(tracker, "dense@^1");
    expect(Array.from(predictions(loaded, 3))).toEqual(Array.from(predictions(m1, 3)));
    expect((await release(await trained(3, 128))).version).toBe("1.0.1");
    const wide = await trained(4, 64);
    await expect(release(wide, { bump: "minor" })).rejects.toThrow(ValidationError);
    expect((await release(wide)).version).toBe("2.0.0");
    const v2 = await loadModel<tf.LayersModel>(tracker, "dense@^2");
    expect(Array.from(predictions(v2, 4))).toEqual(Array.from(predictions(wide, 4)));
  });
});

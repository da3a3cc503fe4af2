/**
 * TensorFlow.js training with mltrail: a small model trained on generated data with the
 * callback, saved into the run's artifacts and released as 1.0.0; retrained with another
 * learning rate (same architecture, same data: → 1.0.1, a patch); retrained on more data
 * (→ 1.1.0, a minor release); then the input shape changes and the registry refuses anything
 * below a major bump, so it becomes 2.0.0. Finally 1.x is loaded back from the registry.
 *
 * Run it with `npx tsx examples/tfjs-train.ts` (needs the pure-JS `@tensorflow/tfjs`; no
 * tfjs-node). Set MLFLOW_TRACKING_URI to log to a folder or an MLflow server instead of ./mltrail.
 */
import { createHash } from "node:crypto";
import * as tf from "@tensorflow/tfjs";
import { Tracker, ValidationError } from "mltrail";
import { loadModel, mltrailCallback, saveModel } from "mltrail/tfjs";

const MODEL = process.env["MLTRAIL_EXAMPLE_MODEL"] ?? "tfjs-churn";
await tf.setBackend("cpu");

/** Generated data: churn is likely when the weighted feature sum is high. */
function generate(n: number, features: number, seed: number): { xs: tf.Tensor2D; ys: tf.Tensor2D; digest: string } {
  let s = seed;
  const rand = (): number => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 2 - 1;
  };
  const x: number[][] = [];
  const y: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: features }, rand);
    const score = row.reduce((sum, v, j) => sum + v * (j + 1), 0) + 0.3 * rand();
    x.push(row);
    y.push([score > 0 ? 1 : 0]);
  }
  return {
    xs: tf.tensor2d(x),
    ys: tf.tensor2d(y),
    digest: createHash("sha256")
      .update(JSON.stringify([x, y]))
      .digest("hex"),
  };
}

function build(features: number, learningRate: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [features], units: 8, activation: "relu" }), tf.layers.dense({ units: 1, activation: "sigmoid" })],
  });
  model.compile({ optimizer: tf.train.adam(learningRate), loss: "binaryCrossentropy", metrics: ["accuracy"] });
  return model;
}

const tracker = new Tracker({ experiment: "tfjs-example" });

/** Trains on `samples` generated rows, saves the model, releases it; `bump` overrides the inferred bump. */
async function trainAndRelease(name: string, features: number, samples: number, learningRate: number, bump?: "minor"): Promise<string> {
  return tracker.withRun({ name, params: { samples, features }, tags: { example: "tfjs" } }, async (run) => {
    const model = build(features, learningRate);
    const { xs, ys, digest } = generate(samples, features, samples + features);
    await run.logDataset({ name: "churn-train", digest, context: "training" });
    const history = await model.fit(xs, ys, {
      epochs: 8,
      batchSize: 32,
      validationSplit: 0.2,
      callbacks: [mltrailCallback(run, { logEvery: 5 })],
    });
    const last = (key: string) => Number(history.history[key]?.at(-1) ?? Number.NaN).toFixed(3);
    console.log(`  ${name}: ${samples} rows × ${features} features → loss ${last("loss")}, val_acc ${last("val_acc")}`);
    const saved = await saveModel(run, model, { artifactPath: "model" });
    const mv = await tracker.registerModel(MODEL, { runId: run.id, ...saved, ...(bump ? { bump } : {}), rationale: name });
    console.log(`  released ${MODEL} ${mv.version} (${mv.bump}: ${mv.changes.join("; ") || "first release"})`);
    return mv.version;
  });
}

console.log("1. a first model");
await trainAndRelease("baseline", 4, 400, 0.05);
console.log("2. a hyperparameter tweak: another learning rate, same architecture and data");
await trainAndRelease("lower-lr", 4, 400, 0.03);
console.log("3. retrained on more data");
await trainAndRelease("more-data", 4, 1200, 0.03);
console.log("4. a new input feature: the input shape changes from [null, 4] to [null, 5]");
try {
  await trainAndRelease("new-feature-as-minor", 5, 1200, 0.03, "minor");
} catch (err) {
  if (!(err instanceof ValidationError)) throw err;
  console.log(`  refused: ${err.message}`);
}
await trainAndRelease("new-feature", 5, 1200, 0.03);

const v1 = await loadModel<tf.LayersModel>(tracker, `${MODEL}@^1`);
const row = [0.5, 0.2, -0.1, 0.4];
const probe = tf.tensor2d([row]);
const p = (v1.predict(probe) as tf.Tensor).dataSync()[0] as number;
console.log(`Loaded ${MODEL}@^1 → ${(await tracker.getModelVersion(`${MODEL}@^1`)).version}; P(churn | ${JSON.stringify(row)}) = ${p.toFixed(3)}`);
console.log(`Versions: ${(await tracker.listModelVersions(MODEL)).map((v) => v.version).join(", ")}`);
await tracker.close();

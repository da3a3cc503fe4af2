/**
 * The TF.js callback with the real @tensorflow/tfjs (CPU backend) on the local store: epoch
 * metrics equal the History values, batch steps, params, prefix, fitDataset, the plain-object
 * (CustomCallback) path, and option validation.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Run, Tracker, ValidationError } from "../../src/index.js";
import { mltrailCallback } from "../../src/integrations/tfjs.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function newTracker(): Tracker {
  const root = mkdtempSync(path.join(os.tmpdir(), "mltrail-tfjs-"));
  const tracker = new Tracker({ trackingUri: root, experiment: "tfjs", captureContext: false, handleExit: false });
  cleanups.push(
    () => rmSync(root, { recursive: true, force: true }),
    async () => void (await tracker.close()),
  );
  return tracker;
}

function data(n: number, features = 3): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const x: number[][] = [];
  const y: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: features }, (_, j) => Math.sin(i * 0.37 + j));
    x.push(row);
    y.push([row.reduce((a, b) => a + b, 0) > 0 ? 1 : 0]);
  }
  return { xs: tf.tensor2d(x), ys: tf.tensor2d(y) };
}

function model(features = 3, lr = 0.05): tf.LayersModel {
  const m = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [features], units: 4, activation: "relu" }), tf.layers.dense({ units: 1, activation: "sigmoid" })],
  });
  m.compile({ optimizer: tf.train.adam(lr), loss: "binaryCrossentropy", metrics: ["accuracy"] });
  return m;
}

async function history(tracker: Tracker, run: Run, key: string): Promise<[number, number][]> {
  await run.flush();
  return (await tracker.getMetricHistory(run.id, key)).map((m) => [m.step, m.value]);
}

describe("mltrailCallback", () => {
  it("logs every epoch value, with step = epoch, equal to History", async () => {
    const tracker = newTracker();
    const run = await tracker.startRun({ name: "epochs" });
    const { xs, ys } = data(40);
    const h = await model().fit(xs, ys, { epochs: 4, batchSize: 10, validationSplit: 0.25, callbacks: [mltrailCallback(run)] });
    expect(Object.keys(h.history).sort()).toEqual(["acc", "loss", "val_acc", "val_loss"]);
    for (const key of Object.keys(h.history)) {
      expect(await history(tracker, run, key)).toEqual(h.history[key]?.map((v, i) => [i, v]));
    }
    const read = await tracker.getRun(run.id);
    expect(Object.keys(read.data.metrics).sort()).toEqual(["acc", "loss", "val_acc", "val_loss"]);
    expect(read.data.params).toEqual({ optimizer: "Adam", learning_rate: "0.05", batch_size: "10", epochs: "4", layers: "2", total_params: "21" });
    await run.end();
  });

  it('logs batch values with a global batch step ("batch" and every N)', async () => {
    const tracker = newTracker();
    const run = await tracker.startRun({ name: "batches" });
    const { xs, ys } = data(50);
    const every = mltrailCallback(run, { logEvery: "batch", prefix: "a/" });
    const nth = mltrailCallback(run, { logEvery: 3, prefix: "b/", logParams: false });
    const seen: { epoch: number; batch: number; loss: number }[] = [];
    let epoch = 0;
    const spy = {
      onEpochBegin: (e: number) => void (epoch = e),
      onBatchEnd: (b: number, logs?: tf.Logs) => void seen.push({ epoch, batch: b, loss: logs?.["loss"] as number }),
    };
    await model().fit(xs, ys, { epochs: 3, batchSize: 20, callbacks: [every, nth, new tf.CustomCallback(spy)] });
    // 50 samples / 20 = 3 batches per epoch (20, 20, 10) → global steps 0..8.
    expect(seen).toHaveLength(9);
    expect(every.globalStep).toBe(9);
    const batchLoss = await history(tracker, run, "a/batch/loss");
    expect(batchLoss.map(([s]) => s)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(batchLoss.map(([, v]) => v)).toEqual(seen.map((s) => s.loss));
    expect((await history(tracker, run, "b/batch/loss")).map(([s]) => s)).toEqual([0, 3, 6]);
    expect((await history(tracker, run, "a/loss")).map(([s]) => s)).toEqual([0, 1, 2]);
    const read = await tracker.getRun(run.id);
    expect(Object.keys(read.data.metrics).sort()).toEqual(["a/acc", "a/batch/acc", "a/batch/loss", "a/loss", "b/acc", "b/batch/acc", "b/batch/loss", "b/loss"]);
    expect(read.data.params["a/epochs"]).toBe("3");
    expect(read.data.params["b/epochs"]).toBeUndefined();
    await run.end();
  });

  it("works with fitDataset (params without batch size) and continues the global step across fits", async () => {
    const tracker = newTracker();
    const run = await tracker.startRun({ name: "dataset" });
    const { xs, ys } = data(30);
    const ds = tf.data.zip({ xs: tf.data.array(xs.arraySync()), ys: tf.data.array(ys.arraySync()) }).batch(10);
    const cb = mltrailCallback(run, { logEvery: "batch" });
    const m = model();
    const h = await m.fitDataset(ds as unknown as tf.data.Dataset<tf.TensorContainer>, { epochs: 2, callbacks: [cb] });
    expect(await history(tracker, run, "loss")).toEqual(h.history["loss"]?.map((v, i) => [i, v]));
    expect((await history(tracker, run, "batch/loss")).map(([s]) => s)).toEqual([0, 1, 2, 3, 4, 5]);
    await m.fitDataset(ds as unknown as tf.data.Dataset<tf.TensorContainer>, { epochs: 1, callbacks: [cb] });
    expect((await history(tracker, run, "batch/loss")).map(([s]) => s)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const read = await tracker.getRun(run.id);
    // The second fit had epochs = 1: params are immutable, the first value stays and fit is not broken.
    expect(read.data.params).toEqual({ optimizer: "Adam", learning_rate: "0.05", epochs: "2", layers: "2", total_params: "21" });
    await run.end();
  });

  it("lets the event loop turn at each epoch end (TF.js's fit never does), and every yieldEveryMs when asked", async () => {
    const run = { logMetrics() {}, logParam() {}, logParams() {} };
    const { xs, ys } = data(64);
    const m = model();
    const turnsDuring = async (callbacks: tf.CustomCallbackArgs[] | tf.Callback[]): Promise<number> => {
      let turns = 0;
      let stop = false;
      const tick = (): void => {
        turns++;
        if (!stop) setImmediate(tick);
      };
      setImmediate(tick);
      await m.fit(xs, ys, { epochs: 3, batchSize: 8, callbacks });
      stop = true;
      return turns;
    };
    expect(await turnsDuring([])).toBe(0);
    expect(await turnsDuring([mltrailCallback(run, { logEvery: "batch" }) as unknown as tf.Callback])).toBe(3);
    // yieldEveryMs: 0.001 → a turn after (nearly) every one of the 24 batches, on top of the 3 epoch ends.
    expect(await turnsDuring([mltrailCallback(run, { logEvery: "batch", yieldEveryMs: 0.001 }) as unknown as tf.Callback])).toBeGreaterThan(12);
    expect(() => mltrailCallback(run, { yieldEveryMs: -1 })).toThrow(ValidationError);
  });

  it("is a tf.Callback in Node, so TF.js hands it the model", () => {
    const cb = mltrailCallback({ logMetrics() {}, logParam() {}, logParams() {} });
    expect(cb).toBeInstanceOf(tf.Callback);
  });

  it("validates its options and its run", () => {
    const run = { logMetrics() {}, logParam() {}, logParams() {} };
    expect(() => mltrailCallback(run, { logEvery: 0 })).toThrow(ValidationError);
    expect(() => mltrailCallback(run, { logEvery: 1.5 })).toThrow(ValidationError);
    expect(() => mltrailCallback(run, { logEvery: "step" as "batch" })).toThrow(ValidationError);
    expect(() => mltrailCallback(undefined as unknown as Run)).toThrow(ValidationError);
  });

  it("puts model_summary.txt among the run's artifacts on the local store", async () => {
    const tracker = newTracker();
    const run = await tracker.startRun({ name: "summary" });
    const { xs, ys } = data(10);
    await model().fit(xs, ys, { epochs: 1, callbacks: [mltrailCallback(run, { prefix: "enc/" })] });
    await run.end();
    const files = (await tracker.listArtifacts(run.id)).map((a) => a.path);
    expect(files).toContain("enc_model_summary.txt");
    const dest = mkdtempSync(path.join(os.tmpdir(), "mltrail-tfjs-dl-"));
    cleanups.push(() => rmSync(dest, { recursive: true, force: true }));
    const local = await tracker.downloadArtifacts(run.id, "enc_model_summary.txt", dest);
    expect(readFileSync(local, "utf8")).toMatch(/Total params: 21/);
  });

  it("logs the model summary as model_summary.txt once, and waits for it at the end of training", async () => {
    const texts: [string, string][] = [];
    let resolved = false;
    const run = {
      logMetrics() {},
      logParam() {},
      logParams() {},
      logText: async (text: string, file: string) => {
        await new Promise((r) => setTimeout(r, 30));
        texts.push([file, text]);
        resolved = true;
      },
    };
    const { xs, ys } = data(10);
    const m = model();
    const cb = mltrailCallback(run);
    await m.fit(xs, ys, { epochs: 1, callbacks: [cb] });
    expect(resolved).toBe(true);
    await m.fit(xs, ys, { epochs: 1, callbacks: [cb] });
    expect(texts).toHaveLength(1);
    expect(texts[0]?.[0]).toBe("model_summary.txt");
    expect(texts[0]?.[1]).toContain("Total params: 21");
  });
});

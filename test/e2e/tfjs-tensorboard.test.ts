/**
 * TF.js training logged to TensorBoard with no other backend: a tracker whose trackingUri is
 * `tensorboard:<folder>` (the run log stays local, the TensorBoard sink receives its records)
 * and the `mltrail/tfjs` callback. The event file grows epoch by epoch while `fit` runs, and
 * TensorBoard's EventAccumulator reads back exactly TF.js's History (as float32).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";
import { mltrailCallback } from "../../src/integrations/tfjs.js";
// @ts-expect-error: plain ESM script without type declarations
import { ensureTensorboardVenv } from "../../scripts/tensorboard-venv.mjs";

const exec = promisify(execFile);
let work: string;
beforeAll(async () => {
  await tf.setBackend("cpu");
  work = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-tfjs-tb-"));
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("TF.js callback to a TensorBoard tracker", () => {
  it("appends each epoch while fit runs, and TensorBoard reads back the History", async () => {
    const python = ((await ensureTensorboardVenv()) as { python: string }).python;
    const tb = path.join(work, "tb");
    const tracker = new Tracker({
      trackingUri: `tensorboard:${tb}`,
      spoolDir: path.join(work, "log"),
      experiment: "tfjs é",
      captureContext: false,
      handleExit: false,
      logLevel: "silent",
      replicationIntervalMs: 50,
    });
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4, activation: "relu" }), tf.layers.dense({ units: 1 })] });
    model.compile({ optimizer: tf.train.adam(0.05), loss: "meanSquaredError", metrics: ["mae"] });
    const xs = tf.randomUniform([64, 3], -1, 1, "float32", 7) as tf.Tensor2D;
    const ys = xs.sum(1, true);
    const runDir = path.join(tb, "tfjs é", "dense");
    const eventBytes = (): number => {
      const files = fs.existsSync(runDir) ? fs.readdirSync(runDir).filter((f) => f.includes(".tfevents.")) : [];
      return files.reduce((n, f) => n + fs.statSync(path.join(runDir, f)).size, 0);
    };
    const sizes: number[] = [];
    const run = await tracker.startRun({ name: "dense" });
    const history = await model.fit(xs, ys, {
      epochs: 4,
      batchSize: 16,
      callbacks: [
        mltrailCallback(run, { model }),
        new tf.CustomCallback({
          // While fit runs: what the epoch logged reaches the event file.
          onEpochEnd: async () => {
            await tracker.flush({ timeoutMs: 60_000 });
            sizes.push(eventBytes());
          },
        }),
      ],
    });
    await run.end();
    const closed = await tracker.close();
    expect(closed.pending).toBe(0);
    expect(tracker.stats().state).toBe("UP");
    for (let i = 1; i < sizes.length; i++) expect(sizes[i], `epoch ${i}`).toBeGreaterThan(sizes[i - 1] as number);

    const { stdout } = await exec(python, [path.join(import.meta.dirname, "tensorboard-export.py"), tb], { maxBuffer: 64 * 1024 * 1024 });
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { run: string; tag?: string; step?: number; value?: string; hparams?: Record<string, unknown> });
    const f32 = (hex: string) => Buffer.from(hex, "hex").readFloatLE(0);
    for (const key of ["loss", "mae"]) {
      const got = lines.filter((l) => l.tag === key).map((l) => [l.step, f32(l.value as string)]);
      const want = (history.history[key] as number[]).map((v, epoch) => [epoch, Math.fround(v)]);
      expect(got, key).toEqual(want);
    }
    // The training params the callback logs are in the HParams session.
    expect(lines.find((l) => l.hparams !== undefined)?.hparams).toMatchObject({ epochs: ["number_value", 4], batch_size: ["number_value", 16] });
  }, 300_000);
});

/**
 * A TF.js `model.fit` in a page, logged with the browser `mltrail/tfjs` callback, in real
 * headless Chromium against a real MLflow 3.18 server that allows the page's origin only through
 * `--cors-allowed-origins`. The page records what TF.js itself reported (the `History` that
 * `fit` returns, and every batch's logs through a callback of its own); the test then reads each
 * metric's history back through MLflow's REST API (`metrics/get-history`) and requires exactly
 * those values at exactly those steps, each once, the training params, and a FINISHED run.
 *
 * Needs `npx tsup` first (dist/browser/). Without Chromium the suite is skipped with a loud
 * message, unless env CI is set: then it fails.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserStack, startBrowserStack } from "../support/browser-stack.js";
import { metricHistory, mlflowJson, runsByKey } from "../support/browser-store-page.js";
import { executablePath, haveChromium } from "../support/chromium.js";
import { until } from "../support/wait.js";

const MISSING = `Chromium was not found at ${executablePath} (set CHROMIUM_PATH, or apt-get install chromium): the browser TF.js test`;
if (!haveChromium && !process.env["CI"]) process.stderr.write(`\n${"!".repeat(78)}\nSKIPPED: ${MISSING} is skipped.\n${"!".repeat(78)}\n`);
if (!haveChromium && process.env["CI"]) throw new Error(`CI is set and ${MISSING} cannot run.`);

/** What the page has loaded (harness.html?tf). */
declare const mltrail: typeof import("../../src/browser/index.js");
declare const mltrailTfjs: typeof import("../../src/integrations/tfjs-browser.js");
declare const tf: typeof import("@tensorflow/tfjs");

/** What TF.js reported in the page, and what the page's run was. */
interface PageFit {
  readonly runKey: string;
  readonly pending: number;
  /** `History.history` of `fit`: per epoch, index = epoch. */
  readonly epochs: Record<string, number[]>;
  /** Every batch's logs in order, as TF.js handed them to a callback of the page's own. */
  readonly batches: Record<string, number>[];
}

const HARNESS = "/test/fixtures/browser/harness.html?tf";
const EPOCHS = 6;
let stack: BrowserStack;

describe.skipIf(!haveChromium)("mltrail/tfjs in headless Chromium", () => {
  beforeAll(async () => {
    stack = await startBrowserStack();
    // MLflow's first start (or another process installing it) is slow on a loaded machine.
  }, 600_000);
  afterAll(async () => {
    await stack?.close();
  });

  it("a model.fit logged from the page arrives on the server exactly as TF.js reported it: every epoch and batch value once, the params, FINISHED", async () => {
    const context = await stack.browser.newContext();
    const page = await stack.open(HARNESS, context);
    const experiment = "browser-tfjs";
    const fit = await page.evaluate(
      async ({ uri, experiment, epochs }): Promise<PageFit> => {
        await tf.setBackend("cpu");
        const tracker = new mltrail.Tracker({ trackingUri: uri, experiment, requestTimeoutMs: 10_000, retryMaxMs: 1000, replicationIntervalMs: 200 });
        const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 4, activation: "relu" }), tf.layers.dense({ units: 1 })] });
        model.compile({ optimizer: tf.train.adam(0.05), loss: "meanSquaredError", metrics: ["mae"] });
        // y = x0 + 2·x1 on a fixed grid: 40 samples, 10 per batch, 8 of them held out for validation.
        const xs: number[][] = [];
        const ys: number[][] = [];
        for (let i = 0; i < 40; i++) {
          const a = (i % 8) / 8;
          const b = Math.floor(i / 8) / 5;
          xs.push([a, b]);
          ys.push([a + 2 * b]);
        }
        const batches: Record<string, number>[] = [];
        const own = new tf.CustomCallback({
          onBatchEnd: async (_batch, logs) => {
            const copy: Record<string, number> = {};
            for (const [k, v] of Object.entries(logs ?? {})) if (typeof v === "number") copy[k] = v;
            batches.push(copy);
          },
        });
        const run = await tracker.startRun({ name: "dense" });
        const history = await model.fit(tf.tensor2d(xs), tf.tensor2d(ys), {
          epochs,
          batchSize: 10,
          validationSplit: 0.2,
          shuffle: false,
          callbacks: [mltrailTfjs.mltrailCallback(run, { logEvery: "batch" }), own],
        });
        await run.end();
        const { pending } = await tracker.flush({ timeoutMs: 120_000 });
        await tracker.close({ timeoutMs: 1000 });
        const epochValues: Record<string, number[]> = {};
        for (const [k, values] of Object.entries(history.history)) epochValues[k] = values.map((v) => (typeof v === "number" ? v : Number.NaN));
        return { runKey: run.key, pending, epochs: epochValues, batches };
      },
      { uri: stack.mlflow.url, experiment, epochs: EPOCHS },
    );
    expect(fit.pending).toBe(0);
    expect(Object.keys(fit.epochs).sort()).toEqual(["loss", "mae", "val_loss", "val_mae"]);
    // 32 training samples in batches of 10: 4 batches an epoch.
    expect(fit.batches).toHaveLength(EPOCHS * 4);

    // What the server must hold: each epoch value at step = epoch, each batch value as batch/<key> at its global batch step.
    const want: Record<string, { step: number; value: number }[]> = {};
    for (const [key, values] of Object.entries(fit.epochs)) want[key] = values.map((value, step) => ({ step, value }));
    fit.batches.forEach((logs, step) => {
      for (const [key, value] of Object.entries(logs)) {
        if (key === "batch" || key === "size") continue;
        want[`batch/${key}`] ??= [];
        want[`batch/${key}`]?.push({ step, value });
      }
    });
    expect(Object.keys(want).sort()).toEqual(["batch/loss", "batch/mae", "loss", "mae", "val_loss", "val_mae"]);

    let runId = "";
    await until("the run FINISHED on the server", async () => {
      const runs = await runsByKey(stack.mlflow.url, experiment, fit.runKey);
      runId = runs[0]?.info.run_id ?? "";
      return runs[0]?.info.status === "FINISHED";
    });
    const runs = await runsByKey(stack.mlflow.url, experiment, fit.runKey);
    expect(runs).toHaveLength(1);
    const params = Object.fromEntries((runs[0]?.data.params ?? []).map((p) => [p.key, p.value]));
    expect(params).toEqual({ optimizer: "Adam", learning_rate: "0.05", batch_size: "10", epochs: String(EPOCHS), layers: "2", total_params: "17" });

    // Nothing else was logged as a metric.
    const latest = await mlflowJson<{ run: { data: { metrics?: { key: string }[] } } }>(stack.mlflow.url, "GET", `runs/get?run_id=${runId}`);
    expect((latest.run.data.metrics ?? []).map((m) => m.key).sort()).toEqual(Object.keys(want).sort());
    for (const [key, points] of Object.entries(want)) {
      const got = await metricHistory(stack.mlflow.url, runId, key);
      got.sort((a, b) => a.step - b.step);
      expect({ key, points: got }).toEqual({ key, points });
    }
    await context.close();
  }, 600_000);
});

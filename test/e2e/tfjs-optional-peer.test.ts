/**
 * `@tensorflow/tfjs` is an optional peer dependency: the built main entry loads and works in a
 * project without it, and so does the TF.js integration (its callback falls back to a plain
 * object; saving says to install tfjs). With tfjs loaded from elsewhere, that plain-object
 * callback still logs through TF.js's CustomCallback wrapper.
 *
 * Uses dist/ (npm run build); the integration comes from dist/tfjs.js when the build has it,
 * else from an esbuild bundle of src/integrations/tfjs.ts.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
let work: string;

async function node(script: string): Promise<Record<string, unknown>> {
  const file = path.join(work, `script-${Math.random().toString(36).slice(2)}.mjs`);
  await fs.writeFile(file, script);
  const { stdout } = await exec(process.execPath, [file], { cwd: work, env: { ...process.env, MLFLOW_TRACKING_URI: "", NODE_PATH: "" } });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
}

beforeAll(async () => {
  await fs.access(path.join(root, "dist/index.js")).catch(() => {
    throw new Error("dist/ is missing: run `npm run build` (npm test does) before the system tests");
  });
  work = await fs.mkdtemp(path.join(os.tmpdir(), "mltrail-no-tfjs-"));
  // A project whose node_modules has every dependency of mltrail except @tensorflow/*.
  const modules = path.join(work, "node_modules");
  await fs.mkdir(modules);
  for (const entry of await fs.readdir(path.join(root, "node_modules"))) {
    if (entry === "@tensorflow" || entry === ".bin") continue;
    await fs.symlink(path.join(root, "node_modules", entry), path.join(modules, entry));
  }
  // The built files, outside node_modules (their bare imports resolve from the project's).
  const lib = path.join(work, "lib");
  await fs.cp(path.join(root, "dist"), lib, { recursive: true });
  // dist/tfjs.* import the SDK as the package "mltrail": install the build as that package too.
  const pkg = path.join(modules, "mltrail");
  await fs.mkdir(pkg);
  await fs.copyFile(path.join(root, "package.json"), path.join(pkg, "package.json"));
  await fs.cp(path.join(root, "dist"), path.join(pkg, "dist"), { recursive: true });
  if (!(await fs.stat(path.join(lib, "tfjs.js")).catch(() => undefined))) {
    const { build } = await import("esbuild");
    await build({
      entryPoints: [path.join(root, "src/integrations/tfjs.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile: path.join(lib, "tfjs.js"),
      packages: "external",
      define: { __MLTRAIL_VERSION__: '"test"' },
      logLevel: "error",
    });
  }
  await fs.writeFile(path.join(work, "package.json"), JSON.stringify({ name: "no-tfjs", private: true, type: "module" }));
}, 120_000);

afterAll(async () => {
  if (work !== undefined) await fs.rm(work, { recursive: true, force: true });
});

describe("without @tensorflow/tfjs installed", () => {
  it("the project really cannot resolve it, and the main entry never names it", async () => {
    const out = await node(`import { createRequire } from "node:module";
let found = true; try { createRequire(import.meta.url).resolve("@tensorflow/tfjs"); } catch { found = false; }
console.log(JSON.stringify({ found }));`);
    expect(out).toEqual({ found: false });
    for (const f of ["index.js", "index.cjs"]) expect(await fs.readFile(path.join(root, "dist", f), "utf8")).not.toContain("@tensorflow");
  });

  it("the main entry loads and logs", async () => {
    const out = await node(`import { Tracker } from "./lib/index.js";
const tracker = new Tracker({ trackingUri: "store", experiment: "no-tfjs", captureContext: false, handleExit: false });
const run = await tracker.startRun({ name: "plain" });
run.logMetric("loss", 0.5, { step: 1 });
await run.end();
const read = await tracker.getRun(run.id);
await tracker.close();
console.log(JSON.stringify({ status: read.info.status, loss: read.data.metrics.loss }));`);
    expect(out).toEqual({ status: "FINISHED", loss: 0.5 });
  });

  it("the integration loads; the callback is a plain object; saving asks for tfjs", async () => {
    const out = await node(`import * as t from "./lib/tfjs.js";
const logged = [];
const run = { id: "r", logMetrics: (m, o) => logged.push([o.step, m]), logParam() {}, logParams: (p) => logged.push(["params", p]), logModel: async () => ({ artifactPath: "m", contentDigest: "x" }) };
const cb = t.mltrailCallback(run, { logEvery: "batch" });
cb.setParams({ epochs: 2, batchSize: 8 });
await cb.onTrainBegin({});
await cb.onBatchEnd(0, { batch: 0, size: 8, loss: 0.9 });
await cb.onEpochEnd(0, { loss: 0.8, val_loss: 0.85 });
const fakeModel = { inputs: [{ name: "features", dtype: "float32", shape: [null, 3] }], outputs: [{ name: "dense_Dense2/dense_Dense2", dtype: "float32", shape: [null, 1] }], inputNames: ["features"], outputNames: ["dense_Dense2"], layers: [], countParams: () => 0, summary() {}, save: async () => ({}) };
let error = null;
try { await t.saveModel(run, fakeModel); } catch (e) { error = { name: e.name, message: e.message }; }
console.log(JSON.stringify({ exports: Object.keys(t).sort(), proto: Object.getPrototypeOf(cb) === Object.prototype, logged, signature: t.signatureFromModel(fakeModel), error }));`);
    expect(out["exports"]).toEqual(expect.arrayContaining(["isGeneratedLayerName", "loadModel", "mltrailCallback", "saveModel", "signatureFromModel"]));
    expect(out["proto"]).toBe(true);
    expect(out["logged"]).toEqual([
      ["params", { batch_size: 8, epochs: 2 }],
      [0, { "batch/loss": 0.9 }],
      [0, { loss: 0.8, val_loss: 0.85 }],
    ]);
    expect(out["signature"]).toEqual({
      inputs: [{ name: "features", dtype: "float32", shape: [null, 3] }],
      outputs: [{ name: "output_0", dtype: "float32", shape: [null, 1] }],
    });
    expect(out["error"]).toMatchObject({ name: "StateError", message: expect.stringMatching(/npm install @tensorflow\/tfjs/) as unknown });
  });

  it("the plain-object callback works through TF.js's CustomCallback wrapper (tfjs loaded from elsewhere)", async () => {
    const tfjsUrl = pathToFileURL(path.join(root, "node_modules/@tensorflow/tfjs/dist/tf.node.js")).href;
    const out = await node(`import tf from ${JSON.stringify(tfjsUrl)};
import { Tracker } from "./lib/index.js";
import { mltrailCallback } from "./lib/tfjs.js";
await tf.setBackend("cpu");
const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
model.compile({ optimizer: tf.train.sgd(0.1), loss: "meanSquaredError" });
const tracker = new Tracker({ trackingUri: "store2", experiment: "plain", captureContext: false, handleExit: false });
const run = await tracker.startRun({ name: "wrapped" });
const cb = mltrailCallback(run, { logEvery: 2, model });
const xs = tf.tensor2d([[0, 1], [1, 0], [1, 1], [0, 0], [2, 1], [1, 2]]), ys = tf.tensor2d([[1], [1], [2], [0], [3], [3]]);
const h = await model.fit(xs, ys, { epochs: 3, batchSize: 2, callbacks: [cb] });
await run.end();
const loss = (await tracker.getMetricHistory(run.id, "loss")).map((m) => [m.step, m.value]);
const batch = (await tracker.getMetricHistory(run.id, "batch/loss")).map((m) => m.step);
const params = (await tracker.getRun(run.id)).data.params;
await tracker.close();
console.log(JSON.stringify({ isTfCallback: cb instanceof tf.Callback, loss, expected: h.history.loss.map((v, i) => [i, v]), batch, params }));`);
    expect(out["isTfCallback"]).toBe(false);
    expect(out["loss"]).toEqual(out["expected"]);
    expect(out["batch"]).toEqual([0, 2, 4, 6, 8]);
    expect(out["params"]).toEqual({ optimizer: "SGD", learning_rate: "0.1", batch_size: "2", epochs: "3", layers: "1", total_params: "3" });
  });
});

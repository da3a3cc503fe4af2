// Benchmark: overhead of the TF.js callback (mltrail/tfjs) on model.fit.
// A dense model (64 → 128 → 128 → 1) trains on generated data with the pure-JS CPU backend,
// sized so one fit takes ≥ 2 s. A = fit without callbacks; B = fit with
// mltrailCallback(run, { logEvery: "batch" }) (every batch's loss and mse, plus epoch values);
// C = the callback with the default logEvery "epoch". A/B/C run alternately 3 times after one
// warm-up of each; overhead = median(B)/median(A) − 1 (goal ≤ 2 %), wall and CPU time, and
// min(B)/min(A) − 1 of CPU time (the least disturbed fit of each: steadier on a busy machine).
// On a busy machine those ratios move by several % between identical fits, so the callback's
// own time is also measured directly: hrtime around every onBatchEnd / onEpochEnd call
// (until its promise resolves, so the epoch-end event-loop turn and the group commit it lets
// run are included), as a share of the fit's wall time.
//
// Usage: node bench/tfjs.mjs [--quick] [--epochs N] [--reps N]
// Needs dist/ (npm run build). Uses dist/tfjs.js when the build has it, else bundles
// src/integrations/tfjs.ts with esbuild into a temp folder.
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { BENCH_DIR, fmt, fmtInt, loadMltrail, median, parseArgs, printTable, tempDir, trackerOptions, writeResult } from "./common.mjs";

const args = parseArgs();
const QUICK = args.quick;
const EPOCHS = Number(args.epochs ?? (QUICK ? 2 : 4));
const REPS = Number(args.reps ?? 3);
const SAMPLES = 4096;
const BATCH = 32;
const FEATURES = 64;

const { Tracker } = await loadMltrail();
const tf = await import("@tensorflow/tfjs");
await tf.setBackend("cpu");

async function loadIntegration() {
  const built = path.join(BENCH_DIR, "..", "dist", "tfjs.js");
  if (fs.existsSync(built)) return { mod: await import(pathToFileURL(built).href), from: "dist/tfjs.js" };
  const { build } = await import("esbuild");
  const out = tempDir("tfjs-build");
  const file = path.join(out.dir, "tfjs.mjs");
  await build({
    entryPoints: [path.join(BENCH_DIR, "..", "src", "integrations", "tfjs.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: file,
    packages: "external",
    define: { __MLTRAIL_VERSION__: '"bench"' },
    logLevel: "error",
  });
  const mod = await import(pathToFileURL(file).href);
  out.cleanup();
  return { mod, from: "src/integrations/tfjs.ts (esbuild bundle; dist/tfjs.js not built)" };
}
const { mod: integration, from } = await loadIntegration();
const { mltrailCallback } = integration;

function data() {
  const xs = tf.randomUniform([SAMPLES, FEATURES], -1, 1, "float32", 1);
  const w = tf.randomNormal([FEATURES, 1], 0, 1, "float32", 2);
  const ys = tf.tidy(() => tf.tanh(tf.matMul(xs, w)));
  return { xs, ys };
}

function build() {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [FEATURES], units: 128, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      tf.layers.dense({ units: 128, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "meanSquaredError", metrics: ["mse"] });
  return model;
}

const { xs, ys } = data();
const store = tempDir("tfjs");
const tracker = new Tracker(trackerOptions(store.dir));

async function fitOnce(variant) {
  const model = build();
  const run = variant === "none" ? undefined : await tracker.startRun({ name: `fit-${variant}` });
  const callbacks = run === undefined ? [] : [mltrailCallback(run, { logEvery: variant === "batch" ? "batch" : "epoch", logModelSummary: false })];
  let selfNs = 0n;
  for (const cb of callbacks) {
    for (const method of ["onBatchEnd", "onEpochEnd"]) {
      const original = cb[method].bind(cb);
      cb[method] = (...a) => {
        const s0 = process.hrtime.bigint();
        const p = original(...a);
        return p.then(() => {
          selfNs += process.hrtime.bigint() - s0;
        });
      };
    }
  }
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await model.fit(xs, ys, { epochs: EPOCHS, batchSize: BATCH, shuffle: false, callbacks, verbose: 0 });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  let metrics = 0;
  if (run !== undefined) {
    await run.end();
    const read = await tracker.getRun(run.id);
    for (const key of Object.keys(read.data.metrics)) metrics += (await tracker.getMetricHistory(run.id, key)).length;
  }
  model.dispose();
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, metrics, selfMs: Number(selfNs) / 1e6 };
}

const variants = ["none", "batch", "epoch"];
const results = Object.fromEntries(variants.map((v) => [v, []]));
console.log(
  `TF.js ${tf.version.tfjs} (${tf.getBackend()} backend); ${SAMPLES} samples × ${FEATURES} features, batch ${BATCH}, ${EPOCHS} epochs = ${fmtInt((SAMPLES / BATCH) * EPOCHS)} batches per fit; callback from ${from}`,
);
for (const v of variants) await fitOnce(v); // warm-up
for (let rep = 0; rep < REPS; rep++) {
  for (const v of variants) {
    const r = await fitOnce(v);
    results[v].push(r);
    const self = r.metrics
      ? `, ${fmtInt(r.metrics)} metric values logged, callback ${fmt(r.selfMs, 1)} ms (${fmt((r.selfMs / r.wallMs) * 100, 3)} % of the fit)`
      : "";
    console.log(`  rep ${rep + 1} ${v.padEnd(5)} ${fmt(r.wallMs / 1000, 3)} s wall, ${fmt(r.cpuMs / 1000, 3)} s CPU${self}`);
  }
}
await tracker.close();
store.cleanup();

const med = (v, k) => median(results[v].map((r) => r[k]));
const min = (v, k) => Math.min(...results[v].map((r) => r[k]));
const base = { wall: med("none", "wallMs"), cpu: med("none", "cpuMs") };
const rows = variants.map((v) => {
  const wall = med(v, "wallMs");
  const cpu = med(v, "cpuMs");
  return [
    v === "none" ? "A: no callback" : v === "batch" ? 'B: logEvery "batch"' : 'C: logEvery "epoch"',
    fmt(wall / 1000, 3),
    fmt(cpu / 1000, 3),
    v === "none" ? "" : `${fmt((wall / base.wall - 1) * 100, 2)} %`,
    v === "none" ? "" : `${fmt((cpu / base.cpu - 1) * 100, 2)} %`,
    v === "none" ? "" : `${fmt((min(v, "cpuMs") / min("none", "cpuMs") - 1) * 100, 2)} %`,
    v === "none" ? "" : `${fmt(median(results[v].map((r) => (r.selfMs / r.wallMs) * 100)), 3)} %`,
    fmtInt(results[v][0]?.metrics ?? 0),
  ];
});
printTable(
  `model.fit overhead of mltrailCallback (medians of ${REPS}; goal ≤ 2 %)`,
  ["variant", "wall s", "CPU s", "wall overhead", "CPU overhead", "CPU overhead (min)", "callback time / fit", "metric values"],
  rows,
);
writeResult("tfjs", {
  config: {
    samples: SAMPLES,
    features: FEATURES,
    batchSize: BATCH,
    epochs: EPOCHS,
    reps: REPS,
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
    integration: from,
  },
  medians: Object.fromEntries(variants.map((v) => [v, { wallMs: med(v, "wallMs"), cpuMs: med(v, "cpuMs") }])),
  overhead: {
    batchWallPct: (med("batch", "wallMs") / base.wall - 1) * 100,
    batchCpuPct: (med("batch", "cpuMs") / base.cpu - 1) * 100,
    epochWallPct: (med("epoch", "wallMs") / base.wall - 1) * 100,
    epochCpuPct: (med("epoch", "cpuMs") / base.cpu - 1) * 100,
    batchCpuMinPct: (min("batch", "cpuMs") / min("none", "cpuMs") - 1) * 100,
    epochCpuMinPct: (min("epoch", "cpuMs") / min("none", "cpuMs") - 1) * 100,
    batchSelfPct: median(results.batch.map((r) => (r.selfMs / r.wallMs) * 100)),
    epochSelfPct: median(results.epoch.map((r) => (r.selfMs / r.wallMs) * 100)),
  },
  runs: results,
});

// Kernel SHAP benchmark (issue 17): a 20-feature MLP (20→32 tanh→1, weights from a seeded
// generator) defined identically in JavaScript and NumPy; 100 explained rows (--quick: 10),
// 20 background rows, nsamples 2048. Times mltrail/explain's kernelShap and, in the same
// command, the `shap` package's KernelExplainer (l1_reg=False, as mltrail) in the cached venv
// of scripts/shap-venv.mjs (--no-python skips it). Prints wall-clock seconds and the ratio
// shap / mltrail (goal ≥ 1: mltrail at least as fast). Asserts nothing on timings.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { BENCH_DIR, RESULTS_DIR, fmt, parseArgs, printTable, tempDir } from "./common.mjs";

const args = parseArgs();
const DIST = path.join(BENCH_DIR, "..", "dist", "explain.js");
if (!fs.existsSync(DIST)) {
  console.error("dist/explain.js is missing: build first (`npm run build`, or `npm run bench`).");
  process.exit(2);
}
const { kernelShap } = await import(pathToFileURL(DIST).href);

const M = 20;
const H = 32;
const ROWS = args.quick ? 10 : 100;
const BG = 20;
const NSAMPLES = 2048;
let s = 12345;
const rand = () => {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  return s / 2 ** 32;
};
const w1 = Array.from({ length: M }, () => Array.from({ length: H }, () => (rand() - 0.5) / 2));
const b1 = Array.from({ length: H }, () => rand() - 0.5);
const w2 = Array.from({ length: H }, () => rand() - 0.5);
const data = Array.from({ length: ROWS + BG }, () => Array.from({ length: M }, () => rand() * 2 - 1));
const rows = data.slice(0, ROWS);
const background = data.slice(ROWS);

/** The MLP in plain JavaScript, over a batch. */
function predict(batch) {
  const out = new Array(batch.length);
  const h = new Float64Array(H);
  for (let r = 0; r < batch.length; r++) {
    const x = batch[r];
    h.set(b1);
    for (let i = 0; i < M; i++) {
      const xi = x[i];
      const wi = w1[i];
      for (let k = 0; k < H; k++) h[k] += xi * wi[k];
    }
    let y = 0;
    for (let k = 0; k < H; k++) y += Math.tanh(h[k]) * w2[k];
    out[r] = y;
  }
  return out;
}

const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const ours = await kernelShap(predict, rows, { background, nsamples: NSAMPLES, seed: 1 });
const mltrailS = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const mltrailCpuS = (cpu.user + cpu.system) / 1e6;
const additivity = Math.max(...ours.values.map((v, i) => Math.abs(ours.baseValue + v.reduce((a, b) => a + b, 0) - ours.predictions[i])));

const SCRIPT = `
import json, sys, time
import numpy as np
import shap
d = json.load(open(sys.argv[1]))
w1, b1, w2 = np.array(d["w1"]), np.array(d["b1"]), np.array(d["w2"])
f = lambda X: np.tanh(np.asarray(X) @ w1 + b1) @ w2
ex = shap.KernelExplainer(f, np.array(d["background"]))
t = time.perf_counter()
sv = ex.shap_values(np.array(d["rows"]), nsamples=d["nsamples"], l1_reg=False, silent=True)
print(json.dumps({"seconds": time.perf_counter() - t, "values": np.asarray(sv).tolist()}))
`;
let shapS = Number.NaN;
let maxDiff = Number.NaN;
if (!args["no-python"]) {
  const { ensureShapVenv } = await import(pathToFileURL(path.join(BENCH_DIR, "..", "scripts", "shap-venv.mjs")).href);
  const python = await ensureShapVenv();
  const tmp = tempDir("explain");
  try {
    const input = path.join(tmp.dir, "input.json");
    fs.writeFileSync(input, JSON.stringify({ w1, b1, w2, background, rows, nsamples: NSAMPLES }));
    const { stdout } = await promisify(execFile)(python, ["-c", SCRIPT, input], {
      env: { ...process.env, PYTHONWARNINGS: "ignore" },
      maxBuffer: 64 * 1024 * 1024,
    });
    const theirs = JSON.parse(stdout.trim().split("\n").pop());
    shapS = theirs.seconds;
    maxDiff = Math.max(...theirs.values.flatMap((row, i) => row.map((v, j) => Math.abs(v - ours.values[i][j]))));
  } finally {
    tmp.cleanup();
  }
}

printTable(
  `Kernel SHAP: ${M}-feature MLP, ${ROWS} rows, ${BG} background rows, nsamples ${NSAMPLES}`,
  ["implementation", "wall s", "cpu s", "shap / mltrail"],
  [
    ["mltrail/explain kernelShap", fmt(mltrailS), fmt(mltrailCpuS), ""],
    ["shap KernelExplainer (Python)", fmt(shapS), "", fmt(shapS / mltrailS)],
  ],
);
console.log(`additivity (max |base + Σφ − f(x)|): ${additivity.toExponential(1)}; max |φ_mltrail − φ_shap|: ${fmt(maxDiff, 4)} (sampling error)`);
fs.mkdirSync(RESULTS_DIR, { recursive: true });
fs.writeFileSync(
  path.join(RESULTS_DIR, "explain.json"),
  `${JSON.stringify({ rows: ROWS, nsamples: NSAMPLES, mltrailS, mltrailCpuS, shapS, ratio: shapS / mltrailS, additivity, maxDiff }, null, 2)}\n`,
);

/**
 * Differential test of mltrail/explain's Kernel SHAP against the `shap` package's
 * KernelExplainer (a cached venv, scripts/shap-venv.mjs), on functions defined identically in
 * NumPy and JavaScript and the same data: equal to 1e-9 when both enumerate every coalition
 * (a linear model, where both give w·(x − E[x]), and a nonlinear one with 3-way interactions),
 * and within sampling error when both sample coalitions (shap with l1_reg=False, as mltrail).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { kernelShap } from "../../src/explain/index.js";
import type { PredictFn } from "../../src/explain/index.js";
import { createRng } from "../../src/explain/rng.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
let python: string;
beforeAll(async () => {
  // A computed specifier keeps tsc from wanting the plain-JS script's types.
  const mod = (await import(pathToFileURL(path.join(root, "scripts", "shap-venv.mjs")).href)) as { ensureShapVenv(): Promise<string> };
  python = await mod.ensureShapVenv();
}, 600_000);

const SCRIPT = `
import json, sys
import numpy as np
import shap
d = json.load(open(sys.argv[1]))
w = np.array(d["w"])
def f(X):
    X = np.asarray(X, dtype=float)
    if d["kind"] == "linear":
        return X @ w + 0.5
    if d["kind"] == "nonlinear":
        a, b, c, e4, e = X[:, 0], X[:, 1], X[:, 2], X[:, 3], X[:, 4]
        return a * b + np.sin(c) * e4 * e + e4 * e4 - 0.5 * e + np.maximum(0, a - e + b)
    return X @ w + X[:, 0] * X[:, 1] + np.tanh(X[:, 2] + X[:, 3]) * X[:, 4] + X[:, 5] * X[:, 6] * X[:, 7]
np.random.seed(0)
ex = shap.KernelExplainer(f, np.array(d["bg"]))
sv = ex.shap_values(np.array(d["rows"]), nsamples=d["nsamples"], l1_reg=False, silent=True)
print(json.dumps({"values": np.asarray(sv).tolist(), "base": float(np.asarray(ex.expected_value).ravel()[0])}))
`;

const fns: Record<string, (w: number[]) => PredictFn> = {
  linear: (w) => (batch) => batch.map((r) => r.reduce((s, v, j) => s + v * (w[j] ?? 0), 0.5)),
  nonlinear: () => (batch) => batch.map(([a = 0, b = 0, c = 0, d = 0, e = 0]) => a * b + Math.sin(c) * d * e + d * d - 0.5 * e + Math.max(0, a - e + b)),
  wide: (w) => (batch) =>
    batch.map((r) => {
      const x = (j: number): number => r[j] ?? 0;
      return r.reduce((s, v, j) => s + v * (w[j] ?? 0), 0) + x(0) * x(1) + Math.tanh(x(2) + x(3)) * x(4) + x(5) * x(6) * x(7);
    }),
};

async function both(kind: string, m: number, nsamples: number, seed: number) {
  const rng = createRng(seed);
  const mat = (n: number) => Array.from({ length: n }, () => Array.from({ length: m }, () => Math.round((rng.next() * 4 - 2) * 1e6) / 1e6));
  const w = Array.from({ length: m }, (_, j) => ((j * 7) % 5) - 2 + 0.25);
  const bg = mat(12);
  const rows = mat(4);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-explain-shap-"));
  try {
    const input = path.join(dir, "input.json");
    fs.writeFileSync(input, JSON.stringify({ kind, w, bg, rows, nsamples }));
    const { stdout } = await promisify(execFile)(python, ["-c", SCRIPT, input], { env: { ...process.env, PYTHONWARNINGS: "ignore" }, timeout: 300_000 });
    const theirs = JSON.parse(stdout.trim().split("\n").pop() ?? "") as { values: number[][]; base: number };
    const fn = fns[kind] as (w: number[]) => PredictFn;
    const ours = await kernelShap(fn(w), rows, { background: bg, nsamples, seed });
    return { ours, theirs, w, bg, rows };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const maxDiff = (a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number =>
  Math.max(...b.flatMap((row, i) => row.map((v, j) => Math.abs((a[i]?.[j] ?? Number.NaN) - v))));

describe("kernelShap against shap.KernelExplainer", () => {
  it("equals it on a linear model: both w·(x − E[x])", async () => {
    const { ours, theirs, w, bg, rows } = await both("linear", 6, 2048, 1);
    const mean = w.map((_, j) => bg.reduce((s, r) => s + (r[j] ?? 0), 0) / bg.length);
    expect(maxDiff(theirs.values, ours.values)).toBeLessThan(1e-9);
    expect(
      maxDiff(
        ours.values,
        rows.map((x) => w.map((wj, j) => wj * ((x[j] ?? 0) - (mean[j] ?? 0)))),
      ),
    ).toBeLessThan(1e-9);
    expect(ours.baseValue).toBeCloseTo(theirs.base, 9);
  }, 300_000);

  it("equals it on a nonlinear function when every coalition is enumerated", async () => {
    const { ours, theirs } = await both("nonlinear", 5, 2048, 2);
    expect(maxDiff(theirs.values, ours.values)).toBeLessThan(1e-9);
    expect(ours.baseValue).toBeCloseTo(theirs.base, 9);
  }, 300_000);

  it("agrees within sampling error when both sample coalitions (10 features, nsamples 300)", async () => {
    const { ours, theirs } = await both("wide", 10, 300, 3);
    const scale = Math.max(...theirs.values.flat().map(Math.abs));
    expect(maxDiff(theirs.values, ours.values)).toBeLessThan(0.1 * scale);
    expect(ours.baseValue).toBeCloseTo(theirs.base, 9);
  }, 300_000);
});

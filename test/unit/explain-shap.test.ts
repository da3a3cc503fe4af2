/**
 * Kernel SHAP (mltrail/explain): exact on linear models (attribution_i = w_i·(x_i − E[x_i])),
 * equal to the Shapley values computed from their definition when every coalition is
 * enumerated, additive (base + Σ = prediction) when coalitions are sampled, reproducible from a
 * seed, batched, and strict about its input. A tiny TF.js MLP goes through `tfjsPredict`.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/index.js";
import { kernelShap, tfjsPredict } from "../../src/explain/index.js";
import type { PredictFn } from "../../src/explain/index.js";
import { createRng } from "../../src/explain/rng.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function matrix(rows: number, cols: number, seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round((rng.next() * 4 - 2) * 1000) / 1000));
}

const linear =
  (w: number[], b: number): PredictFn =>
  (batch) =>
    batch.map((r) => r.reduce((s, v, i) => s + v * (w[i] ?? 0), b));

/** Shapley values from their definition: Σ_S |S|!(M−|S|−1)!/M! · (v(S ∪ i) − v(S)), v(S) = E_bg f(x_S, bg_¬S). */
async function exactShapley(f: PredictFn, x: number[], bg: number[][]): Promise<number[]> {
  const m = x.length;
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const v = new Map<number, number>();
  for (let s = 0; s < 2 ** m; s++) {
    const rows = bg.map((r) => r.map((val, j) => ((s >> j) & 1 ? (x[j] as number) : val)));
    const ys = ((await f(rows)) as (number | number[])[]).map((y) => (typeof y === "number" ? y : (y[0] ?? Number.NaN)));
    v.set(s, ys.reduce((a, b) => a + b, 0) / ys.length);
  }
  return x.map((_, i) => {
    let phi = 0;
    for (let s = 0; s < 2 ** m; s++) {
      if ((s >> i) & 1) continue;
      const size = s
        .toString(2)
        .split("")
        .filter((c) => c === "1").length;
      phi += ((fact(size) * fact(m - size - 1)) / fact(m)) * ((v.get(s | (1 << i)) ?? 0) - (v.get(s) ?? 0));
    }
    return phi;
  });
}

const nonlinear: PredictFn = (batch) =>
  batch.map(([a = 0, b = 0, c = 0, d = 0, e = 0]) => a * b + Math.sin(c) * d * e + d * d - 0.5 * e + Math.max(0, a - e + b));

/** Largest absolute difference; NaN (failing any bound) when `a` is missing a value. */
function maxDiff(a: readonly number[] | undefined, b: readonly number[]): number {
  return Math.max(...b.map((v, j) => Math.abs((a?.[j] ?? Number.NaN) - v)));
}

function expectAdditive(e: { baseValue: number; values: readonly (readonly number[])[]; predictions: readonly number[] }): void {
  expect(
    maxDiff(
      e.values.map((row) => e.baseValue + row.reduce((s, v) => s + v, 0)),
      e.predictions,
    ),
  ).toBeLessThan(1e-6);
}

describe("kernelShap on linear models", () => {
  it("is exact with every coalition enumerated: w_i·(x_i − E[x_i])", async () => {
    const w = [1.5, -2, 0.25, 3];
    const bg = matrix(20, 4, 1);
    const rows = matrix(5, 4, 2);
    const e = await kernelShap(linear(w, 0.7), rows, { background: bg, featureNames: ["a", "b", "c", "d"] });
    const mean = w.map((_, j) => bg.reduce((s, r) => s + (r[j] ?? 0), 0) / bg.length);
    for (const [i, x] of rows.entries())
      expect(
        maxDiff(
          e.values[i],
          w.map((wj, j) => wj * ((x[j] ?? 0) - (mean[j] ?? 0))),
        ),
      ).toBeLessThan(1e-9);
    expect(e.baseValue).toBeCloseTo(
      mean.reduce((s, m, j) => s + m * (w[j] ?? 0), 0.7),
      9,
    );
    expect(e.featureNames).toEqual(["a", "b", "c", "d"]);
    expectAdditive(e);
  });

  it("is exact with sampled coalitions and a weighted background", async () => {
    const m = 12;
    const w = Array.from({ length: m }, (_, j) => (j % 3) - 1 + j / 10);
    const bg = matrix(8, m, 3);
    const bw = [1, 2, 3, 4, 1, 2, 3, 4];
    const rows = matrix(3, m, 4);
    const e = await kernelShap(linear(w, -1), rows, { background: bg, backgroundWeights: bw, nsamples: 100, seed: 5 });
    const total = bw.reduce((a, b) => a + b, 0);
    const mean = w.map((_, j) => bg.reduce((s, r, b) => s + (r[j] ?? 0) * (bw[b] ?? 0), 0) / total);
    for (const [i, x] of rows.entries())
      expect(
        maxDiff(
          e.values[i],
          w.map((wj, j) => wj * ((x[j] ?? 0) - (mean[j] ?? 0))),
        ),
      ).toBeLessThan(1e-8);
  });
});

describe("kernelShap on a nonlinear function", () => {
  it("equals the Shapley values from their definition when all coalitions fit in nsamples", async () => {
    const bg = matrix(10, 5, 6);
    const rows = matrix(3, 5, 7);
    const e = await kernelShap(nonlinear, rows, { background: bg });
    for (const [i, x] of rows.entries()) {
      const exact = await exactShapley(nonlinear, x, bg);
      expect(maxDiff(e.values[i], exact)).toBeLessThan(1e-9);
    }
    expectAdditive(e);
  });

  it("is additive and close to the exact values with sampled coalitions; seeds reproduce", async () => {
    const bg = matrix(10, 5, 8);
    const rows = matrix(4, 5, 9);
    const options = { background: bg, nsamples: 14, seed: 11 };
    const a = await kernelShap(nonlinear, rows, options);
    expectAdditive(a);
    expect(await kernelShap(nonlinear, rows, options)).toEqual(a);
    const other = await kernelShap(nonlinear, rows, { ...options, seed: 12 });
    expect(other.values).not.toEqual(a.values);
    expectAdditive(other);
    const exact = await exactShapley(nonlinear, rows[0] as number[], bg);
    const scale = Math.max(...exact.map(Math.abs));
    expect(maxDiff(a.values[0], exact)).toBeLessThan(0.5 * scale);
  });

  it("gives 0 to a feature equal to every background value, and explains the chosen output", async () => {
    const bg = matrix(6, 3, 10).map((r) => [r[0] ?? 0, 5, r[2] ?? 0]);
    const twoOutputs: PredictFn = (batch) => batch.map(([a = 0, b = 0, c = 0]) => [a + b * c, 10 * a * b - c]);
    const e = await kernelShap(twoOutputs, [[1, 5, 2]], { background: bg, output: 1 });
    expect(e.values[0]?.[1]).toBe(0);
    expect(e.predictions[0]).toBe(10 * 1 * 5 - 2);
    expectAdditive(e);
  });
});

describe("kernelShap batching", () => {
  it("sends coalitions in batches spanning rows, never splitting a coalition's background block", async () => {
    const sizes: number[] = [];
    const counting: PredictFn = (batch) => {
      sizes.push(batch.length);
      return nonlinear(batch);
    };
    const bg = matrix(7, 5, 12);
    const rows = matrix(6, 5, 13);
    const whole = await kernelShap(counting, rows, { background: bg });
    // background, rows, then all 6 × 30 coalitions × 7 background rows in one call.
    expect(sizes).toEqual([7, 6, 6 * 30 * 7]);
    sizes.length = 0;
    const chunked = await kernelShap(counting, rows, { background: bg, batchSize: 100 });
    expect(sizes.slice(2).every((n) => n <= 100 && n % 7 === 0)).toBe(true);
    expect(sizes.slice(2).reduce((a, b) => a + b, 0)).toBe(6 * 30 * 7);
    for (const [i, r] of chunked.values.entries()) expect(maxDiff(whole.values[i], r)).toBeLessThan(1e-12);
  });

  it("reuses the batch's row arrays only after predict settled: an async predict reading rows late sees its own batch", async () => {
    const bg = matrix(7, 5, 12);
    const rows = matrix(6, 5, 13);
    const seen: number[][][] = [];
    const late: PredictFn = async (batch) => {
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(batch.map((r) => [...r]));
      return nonlinear(batch);
    };
    const whole = await kernelShap(nonlinear, rows, { background: bg });
    const chunked = await kernelShap(late, rows, { background: bg, batchSize: 70 });
    for (const [i, r] of chunked.values.entries()) expect(maxDiff(whole.values[i], r)).toBeLessThan(1e-12);
    // Each batch's blocks are background rows with some features set from an explained row.
    expect(seen.length).toBeGreaterThan(3);
    for (const batch of seen.slice(2)) for (const [b, row] of batch.entries()) expect(row.some((v, j) => v === bg[b % 7]?.[j])).toBe(true);
  });
});

describe("kernelShap on a TF.js model", () => {
  it("is additive and equals the Shapley values of a tiny MLP, through tfjsPredict", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [4],
          units: 8,
          activation: "tanh",
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
          biasInitializer: "ones",
        }),
        tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    const calls: number[] = [];
    const inner = tfjsPredict(model);
    const predict: PredictFn = (batch) => {
      calls.push(batch.length);
      return inner(batch);
    };
    const bg = matrix(8, 4, 14);
    const rows = matrix(3, 4, 15);
    const e = await kernelShap(predict, rows, { background: bg, seed: 3 });
    expectAdditive(e);
    expect(calls).toHaveLength(3);
    const exact = await exactShapley(inner, rows[0] as number[], bg);
    expect(maxDiff(e.values[0], exact)).toBeLessThan(1e-5);
    model.dispose();
  });
});

describe("kernelShap input validation", () => {
  const bg = [
    [0, 0],
    [1, 1],
  ];
  const f = linear([1, 1], 0);
  const cases: [string, () => Promise<unknown>, string][] = [
    ["ragged rows", () => kernelShap(f, [[1, 2], [3]], { background: bg }), "rows[1]"],
    ["a NaN", () => kernelShap(f, [[1, Number.NaN]], { background: bg }), "rows[0][1]"],
    ["background of another width", () => kernelShap(f, [[1, 2]], { background: [[1, 2, 3]] }), "options.background[0]"],
    ["feature names of another length", () => kernelShap(f, [[1, 2]], { background: bg, featureNames: ["a"] }), "options.featureNames"],
    ["duplicate feature names", () => kernelShap(f, [[1, 2]], { background: bg, featureNames: ["a", "a"] }), "options.featureNames"],
    ["nsamples 0", () => kernelShap(f, [[1, 2]], { background: bg, nsamples: 0 }), "options.nsamples"],
    ["a fractional seed", () => kernelShap(f, [[1, 2]], { background: bg, seed: 1.5 }), "options.seed"],
    ["negative background weights", () => kernelShap(f, [[1, 2]], { background: bg, backgroundWeights: [1, -1] }), "options.backgroundWeights"],
    ["a predict of the wrong length", () => kernelShap(() => [1], [[1, 2]], { background: bg }), "predict(batch) result"],
    ["a predict returning NaN", () => kernelShap((b) => b.map(() => Number.NaN), [[1, 2]], { background: bg }), "predict(batch) result[0]"],
    ["an output the model lacks", () => kernelShap(f, [[1, 2]], { background: bg, output: 2 }), "options.output"],
  ];
  it.each(cases)("rejects %s with a ValidationError naming the field", async (_, call, field) => {
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(field);
    expect((err as ValidationError).message).toMatch(/is not valid: /);
  });
});

/**
 * Permutation importance (mltrail/explain) as scikit-learn defines it: baseline score minus the
 * score with one column shuffled, per repeat; the same row orders for every column; seeded.
 */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/index.js";
import { permutationImportance } from "../../src/explain/index.js";
import type { MetricFn, PredictFn } from "../../src/explain/index.js";
import { createRng } from "../../src/explain/rng.js";

const rng = createRng(21);
const x = Array.from({ length: 40 }, () => [rng.next() * 2 - 1, rng.next() * 2 - 1, rng.next() * 2 - 1]);
const y = x.map(([a = 0, b = 0]) => 3 * a - b + 0.1 * rng.next());
const model: PredictFn = (batch) => batch.map(([a = 0, b = 0]) => 3 * a - b);

function r2(t: readonly number[], p: readonly number[]): number {
  const mean = t.reduce((s, v) => s + v, 0) / t.length;
  return 1 - t.reduce((s, v, i) => s + (v - (p[i] ?? 0)) ** 2, 0) / t.reduce((s, v) => s + (v - mean) ** 2, 0);
}

describe("permutationImportance", () => {
  it("is the baseline score minus the score with the column reordered, for given row orders", async () => {
    const perms = [createRng(1).permutation(40), createRng(2).permutation(40)];
    const r = await permutationImportance(model, x, y, { permutations: perms, featureNames: ["a", "b", "noise"] });
    const base = r2(
      y,
      x.map(([a = 0, b = 0]) => 3 * a - b),
    );
    expect(r.baselineScore).toBeCloseTo(base, 12);
    for (let j = 0; j < 3; j++) {
      const drops = perms.map(
        (p) =>
          base -
          r2(
            y,
            x.map((row, i) => {
              const c = [...row];
              c[j] = x[p[i] ?? 0]?.[j] ?? 0;
              return 3 * (c[0] ?? 0) - (c[1] ?? 0);
            }),
          ),
      );
      const [d0 = Number.NaN, d1 = Number.NaN] = drops;
      expect(r.importances[j]?.[0]).toBeCloseTo(d0, 12);
      expect(r.importances[j]?.[1]).toBeCloseTo(d1, 12);
      expect(r.importancesMean[j]).toBeCloseTo((d0 + d1) / 2, 12);
      expect(r.importancesStd[j]).toBeCloseTo(Math.abs((d0 - d1) / 2), 12);
    }
    expect(r.importancesMean[0]).toBeGreaterThan(r.importancesMean[1] ?? Number.NaN);
    expect(r.importancesMean[1]).toBeGreaterThan(0);
    expect(r.importancesMean[2]).toBe(0);
    expect(r.featureNames).toEqual(["a", "b", "noise"]);
  });

  it("reproduces from its seed, differs across seeds, and calls predict once per column", async () => {
    let calls = 0;
    const counting: PredictFn = (b) => {
      calls++;
      return model(b);
    };
    const a = await permutationImportance(counting, x, y, { nRepeats: 4, seed: 9 });
    expect(calls).toBe(1 + 3);
    expect(a.importances[0]).toHaveLength(4);
    expect(await permutationImportance(model, x, y, { nRepeats: 4, seed: 9 })).toEqual(a);
    expect((await permutationImportance(model, x, y, { nRepeats: 4, seed: 10 })).importances).not.toEqual(a.importances);
  });

  it("turns a lower-is-better metric into positive importances", async () => {
    const mse = await permutationImportance(model, x, y, { metric: "mse", seed: 1 });
    expect(mse.importancesMean[0]).toBeGreaterThan(0);
    const custom: MetricFn = (t, p) => t.reduce((s, v, i) => s + Math.abs(v - (p[i] ?? 0)), 0);
    const mae = await permutationImportance(model, x, y, { metric: custom, higherIsBetter: false, seed: 1 });
    expect(mae.importancesMean[0]).toBeGreaterThan(mae.importancesMean[1] ?? Number.NaN);
    expect(mae.importancesMean[1]).toBeGreaterThan(0);
  });

  it("scores accuracy on rounded predictions of a classifier", async () => {
    const labels = x.map(([a = 0]) => (a > 0 ? 1 : 0));
    const clf: PredictFn = (b) => b.map(([a = 0]) => [1 / (1 + Math.exp(-10 * a))]);
    const r = await permutationImportance(clf, x, labels, { metric: "accuracy", seed: 2 });
    expect(r.baselineScore).toBe(1);
    expect(r.importancesMean[0]).toBeGreaterThan(0.2);
    expect(r.importancesMean[1]).toBe(0);
  });

  const cases: [string, () => Promise<unknown>, string][] = [
    ["y of another length", () => permutationImportance(model, x, y.slice(1)), "y"],
    ["an unknown metric", () => permutationImportance(model, x, y, { metric: "auc" as "r2" }), "options.metric"],
    ["nRepeats 0", () => permutationImportance(model, x, y, { nRepeats: 0 }), "options.nRepeats"],
    [
      "a row order that is no permutation",
      () => permutationImportance(model, x, y, { permutations: [new Array<number>(40).fill(0)] }),
      "options.permutations[0]",
    ],
    ["a metric returning NaN", () => permutationImportance(model, x, y, { metric: () => Number.NaN }), "options.metric result"],
    ["an empty x", () => permutationImportance(model, [], []), "x"],
  ];
  it.each(cases)("rejects %s with a ValidationError naming the field", async (_, call, field) => {
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(field);
  });
});

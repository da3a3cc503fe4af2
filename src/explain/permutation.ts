/**
 * Permutation importance (Breiman 2001, as scikit-learn's `permutation_importance` defines it):
 * how much a score drops when one column's values are shuffled across rows, over `nRepeats`
 * shuffles.
 */
import { ValidationError } from "../index.js";
import { createRng } from "./rng.js";
import { type PredictFn, checkMatrix, featureNamesOf, intOption, predictColumn } from "./validate.js";

/** A score of predictions against targets; higher is better unless `higherIsBetter: false`. */
export type MetricFn = (yTrue: readonly number[], yPred: readonly number[]) => number;

/** Built-in metrics: `r2` (the default, as scikit-learn's regressors score), `accuracy` (predictions rounded), `mse` (lower is better). */
export type MetricName = "r2" | "accuracy" | "mse";

const METRICS: Record<MetricName, { fn: MetricFn; higherIsBetter: boolean }> = {
  r2: {
    higherIsBetter: true,
    fn: (y, p) => {
      const mean = y.reduce((a, b) => a + b, 0) / y.length;
      const ssRes = y.reduce((a, v, i) => a + (v - (p[i] ?? 0)) ** 2, 0);
      const ssTot = y.reduce((a, v) => a + (v - mean) ** 2, 0);
      if (ssTot === 0) return ssRes === 0 ? 1 : 0;
      return 1 - ssRes / ssTot;
    },
  },
  accuracy: { higherIsBetter: true, fn: (y, p) => y.reduce((a, v, i) => a + (Math.round(p[i] ?? Number.NaN) === v ? 1 : 0), 0) / y.length },
  mse: { higherIsBetter: false, fn: (y, p) => y.reduce((a, v, i) => a + (v - (p[i] ?? 0)) ** 2, 0) / y.length },
};

/**
 * Options of {@link permutationImportance}.
 *
 * @example
 * ```ts
 * const options: PermutationImportanceOptions = { metric: "mse", nRepeats: 10, seed: 1 };
 * ```
 */
export interface PermutationImportanceOptions {
  /** The score: a built-in name or a function of (targets, predictions). @default "r2" */
  readonly metric?: MetricName | MetricFn;
  /** Whether a higher score is better; a built-in metric knows its own. @default true */
  readonly higherIsBetter?: boolean;
  /** Shuffles per column. @default 5 */
  readonly nRepeats?: number;
  /** Seed of the shuffles. @default 0 */
  readonly seed?: number;
  /**
   * The row orders to use instead of seeded shuffles, one per repeat (each a permutation of
   * 0..n−1), applied to every column as scikit-learn does: in repeat r, row i gets column j of
   * row `permutations[r][i]` of the original data. To reproduce scikit-learn exactly, pass
   * its effective orders (it shuffles the already-shuffled column again each repeat, so
   * repeat r's order is the composition of its first r shuffles).
   */
  readonly permutations?: readonly (readonly number[])[];
  /** One name per column. @default `f0`, `f1`, … */
  readonly featureNames?: readonly string[];
  /** Which model output to score when `predict` returns a vector per row. @default 0 */
  readonly output?: number;
}

/**
 * Permutation importances per feature.
 *
 * @example
 * ```ts
 * const r: PermutationImportance = await permutationImportance(predict, x, y);
 * r.importancesMean[0]; // mean score drop when column 0 is shuffled
 * ```
 */
export interface PermutationImportance {
  /** How the importances were computed. */
  readonly method: "permutation";
  /** One name per column. */
  readonly featureNames: readonly string[];
  /** The score on the unshuffled data. */
  readonly baselineScore: number;
  /** Mean over repeats of the score drop (positive = the feature matters). */
  readonly importancesMean: readonly number[];
  /** Standard deviation (population, as numpy's `std`) of the drop over repeats. */
  readonly importancesStd: readonly number[];
  /** The drop per feature and repeat. */
  readonly importances: readonly (readonly number[])[];
}

function permutationsOf(o: PermutationImportanceOptions, n: number, repeats: number, seed: number): number[][] {
  if (o.permutations === undefined) {
    // One index array shuffled again for each repeat, the same sequence for every column (as scikit-learn).
    const rng = createRng(seed);
    const idx = Array.from({ length: n }, (_, i) => i);
    return Array.from({ length: repeats }, () => rng.shuffle(idx).slice());
  }
  if (!Array.isArray(o.permutations) || o.permutations.length === 0)
    throw new ValidationError("options.permutations", o.permutations, "must be a non-empty array of row orders");
  return o.permutations.map((p, r) => {
    const sorted = Array.isArray(p) ? [...p].sort((a, b) => a - b) : [];
    if (sorted.length !== n || sorted.some((v, i) => v !== i))
      throw new ValidationError(`options.permutations[${r}]`, p, `must be a permutation of 0..${n - 1}`);
    return [...p];
  });
}

/**
 * Permutation importance: for each column and repeat, the rows' values in that column are
 * shuffled, the model re-scored, and the importance is the baseline score minus the shuffled
 * score (negated for lower-is-better metrics). One `predict` call per column (all repeats).
 *
 * @param predict - The model.
 * @param x - Rows (number[][]).
 * @param y - One target per row.
 * @throws ValidationError on malformed data or options.
 * @example
 * ```ts
 * const r = await permutationImportance((b) => b.map(([a]) => 2 * a), x, y, { nRepeats: 10, seed: 3, featureNames: ["a", "b"] });
 * ```
 */
export async function permutationImportance(
  predict: PredictFn,
  x: readonly (readonly number[])[],
  y: readonly number[],
  options: PermutationImportanceOptions = {},
): Promise<PermutationImportance> {
  if (typeof predict !== "function") throw new ValidationError("predict", predict, "must be a function (batch: number[][]) => predictions");
  const width = checkMatrix("x", x);
  if (!Array.isArray(y) || y.length !== x.length || y.some((v) => typeof v !== "number" || !Number.isFinite(v))) {
    throw new ValidationError("y", y, `must be ${x.length} finite numbers, one per row of x`);
  }
  const names = featureNamesOf(options.featureNames, width);
  const output = intOption("options.output", options.output, 0, 0);
  const seed = intOption("options.seed", options.seed, 0, 0, 2 ** 32 - 1);
  const metric = options.metric ?? "r2";
  const builtIn = typeof metric === "string" ? METRICS[metric] : undefined;
  if (typeof metric !== "function" && builtIn === undefined)
    throw new ValidationError("options.metric", metric, `must be a function or one of ${Object.keys(METRICS).join(", ")}`);
  const score = typeof metric === "function" ? metric : (builtIn as { fn: MetricFn }).fn;
  const sign = (options.higherIsBetter ?? builtIn?.higherIsBetter ?? true) ? 1 : -1;
  const scoreOf = (pred: readonly number[]): number => {
    const s = score(y, pred);
    if (typeof s !== "number" || Number.isNaN(s)) throw new ValidationError("options.metric result", s, "must be a number");
    return s;
  };
  const perms = permutationsOf(options, x.length, intOption("options.nRepeats", options.nRepeats, 5, 1), seed);

  const baselineScore = scoreOf(
    await predictColumn(
      predict,
      x.map((r) => [...r]),
      output,
    ),
  );
  const importances: number[][] = [];
  for (let j = 0; j < width; j++) {
    const batch = perms.flatMap((perm) => x.map((r, i) => r.map((v, c) => (c === j ? (x[perm[i] ?? i]?.[j] ?? v) : v))));
    const ys = await predictColumn(predict, batch, output);
    importances.push(perms.map((_, r) => sign * (baselineScore - scoreOf(ys.slice(r * x.length, (r + 1) * x.length)))));
  }
  const mean = (a: readonly number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
  return {
    method: "permutation",
    featureNames: names,
    baselineScore,
    importancesMean: importances.map(mean),
    importancesStd: importances.map((a) => Math.sqrt(mean(a.map((v) => (v - mean(a)) ** 2)))),
    importances,
  };
}

/**
 * Kernel SHAP (Lundberg & Lee 2017): model-agnostic Shapley value estimates from coalitions of
 * features, each evaluated against a background data set, solved by weighted least squares
 * under the efficiency constraint (base value + Σ attributions = prediction).
 */
import { ValidationError } from "../index.js";
import { designCoalitions } from "./coalitions.js";
import { createRng } from "./rng.js";
import { type PredictFn, checkMatrix, featureNamesOf, intOption, predictColumn } from "./validate.js";

/**
 * Options of {@link kernelShap}.
 *
 * @example
 * ```ts
 * const options: KernelShapOptions = { background: train.slice(0, 50), nsamples: 512, seed: 7, featureNames: ["age", "income"] };
 * ```
 */
export interface KernelShapOptions {
  /** Rows standing in for "feature unknown": a sample of the training data (10–100 rows is typical), or `kmeansBackground(train, k)`. */
  readonly background: readonly (readonly number[])[];
  /** A weight per background row (e.g. k-means cluster sizes). @default equal weights */
  readonly backgroundWeights?: readonly number[];
  /** One name per column. @default `f0`, `f1`, … */
  readonly featureNames?: readonly string[];
  /** Coalitions evaluated per explained row; all 2^M − 2 are enumerated (exact) when that is fewer. @default 2·M + 2048 */
  readonly nsamples?: number;
  /** Seed of the coalition sampling: equal seeds give equal results. @default 0 */
  readonly seed?: number;
  /** Which model output to explain when `predict` returns a vector per row. @default 0 */
  readonly output?: number;
  /** Most rows sent to one `predict` call; whole coalitions (background-size blocks) are never split. @default 65536 */
  readonly batchSize?: number;
}

/**
 * Kernel SHAP attributions for a set of rows.
 *
 * @example
 * ```ts
 * const e: ShapExplanation = await kernelShap(predict, rows, { background });
 * e.baseValue + e.values[0].reduce((a, b) => a + b, 0); // === e.predictions[0] (within 1e-6)
 * ```
 */
export interface ShapExplanation {
  /** How the attributions were computed. */
  readonly method: "kernel-shap";
  /** One name per column. */
  readonly featureNames: readonly string[];
  /** The expected prediction over the background: the attribution's starting point. */
  readonly baseValue: number;
  /** One row of attributions per explained row, one value per feature. */
  readonly values: readonly (readonly number[])[];
  /** The model's prediction for each explained row (of the explained output). */
  readonly predictions: readonly number[];
  /** The explained rows. */
  readonly data: readonly (readonly number[])[];
  /** Coalition budget per row (fewer are used when all coalitions fit). */
  readonly nsamples: number;
  /** The seed used, for reproduction. */
  readonly seed: number;
  /** The model output explained. */
  readonly output: number;
}

/** Solves A·x = b (A square) by Gaussian elimination with partial pivoting; unidentifiable unknowns are 0. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const scale = Math.max(1e-300, ...a.map((r, i) => Math.abs(r[i] ?? 0)));
  const m = a.map((r, i) => [...r, b[i] ?? 0]);
  const pivotOf: number[] = new Array<number>(n).fill(-1);
  let row = 0;
  for (let col = 0; col < n && row < n; col++) {
    let best = row;
    for (let r = row + 1; r < n; r++) if (Math.abs(m[r]?.[col] ?? 0) > Math.abs(m[best]?.[col] ?? 0)) best = r;
    if (Math.abs(m[best]?.[col] ?? 0) <= 1e-12 * scale) continue;
    [m[row], m[best]] = [m[best] as number[], m[row] as number[]];
    const p = m[row] as number[];
    for (let r = 0; r < n; r++) {
      const q = m[r] as number[];
      if (r === row || q[col] === 0) continue;
      const f = (q[col] ?? 0) / (p[col] ?? 1);
      for (let c = col; c <= n; c++) q[c] = (q[c] ?? 0) - f * (p[c] ?? 0);
    }
    pivotOf[col] = row++;
  }
  return pivotOf.map((r, col) => (r < 0 ? 0 : (m[r]?.[n] ?? 0) / (m[r]?.[col] ?? 1)));
}

/** The attribution of one row over its varying features, from the coalitions' mean predictions. */
function attribute(masks: readonly Uint8Array[], weights: readonly number[], ey: readonly number[], fx: number, fnull: number, m: number): number[] {
  const total = fx - fnull;
  const k = m - 1;
  // AᵀWA is symmetric: accumulate its upper triangle in one flat array, mirror it after.
  const ata = new Float64Array(k * k);
  const atb = new Float64Array(k);
  const e = new Float64Array(k);
  for (let s = 0; s < masks.length; s++) {
    const mask = masks[s] as Uint8Array;
    const w = weights[s] ?? 0;
    const last = mask[k] ?? 0;
    const y = (ey[s] ?? 0) - fnull - last * total;
    for (let j = 0; j < k; j++) e[j] = (mask[j] ?? 0) - last;
    for (let i = 0; i < k; i++) {
      const ei = (e[i] as number) * w;
      if (ei === 0) continue;
      atb[i] = (atb[i] as number) + ei * y;
      const row = i * k;
      for (let j = i; j < k; j++) ata[row + j] = (ata[row + j] as number) + ei * (e[j] as number);
    }
  }
  const a = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i <= j ? ata[i * k + j] : ata[j * k + i]) as number));
  const phi = solve(a, [...atb]);
  phi.push(total - phi.reduce((x, y) => x + y, 0));
  return phi;
}

/** Checks the options shared by the Kernel SHAP entry points; returns them resolved. */
function resolve(rows: unknown, options: KernelShapOptions) {
  if (options === null || typeof options !== "object") throw new ValidationError("options", options, "must be an object with at least `background`");
  const width = checkMatrix("rows", rows);
  checkMatrix("options.background", options.background, width);
  const nb = options.background.length;
  const bw = options.backgroundWeights ?? new Array<number>(nb).fill(1);
  if (!Array.isArray(bw) || bw.length !== nb || bw.some((w) => typeof w !== "number" || !Number.isFinite(w) || w < 0) || bw.every((w) => w === 0)) {
    throw new ValidationError("options.backgroundWeights", options.backgroundWeights, `must be ${nb} finite weights >= 0, not all 0`);
  }
  return {
    width,
    bw,
    names: featureNamesOf(options.featureNames, width),
    nsamples: intOption("options.nsamples", options.nsamples, 2 * width + 2048, 1),
    seed: intOption("options.seed", options.seed, 0, 0, 2 ** 32 - 1),
    output: intOption("options.output", options.output, 0, 0),
    batchSize: Math.max(intOption("options.batchSize", options.batchSize, 65536, 1), nb),
  };
}

/**
 * Explains `rows` with Kernel SHAP. Features whose value equals every background row's get 0
 * (they cannot change the prediction); for the rest, coalitions are enumerated or sampled as
 * the `shap` package does, each evaluated on the whole background, and the attributions solved
 * by weighted least squares with the efficiency constraint. Coalitions go to `predict` in
 * batches (one call per `batchSize` rows, across explained rows), never one call per row.
 *
 * For a linear model f(x) = w·x + b the result is exact: attribution_i = w_i·(x_i − E[x_i]),
 * E over the (weighted) background.
 *
 * @param predict - The model: a batch of rows in, one prediction (or vector of outputs) per row out.
 * @param rows - The rows to explain.
 * @param options - The background and sampling options.
 * @throws ValidationError on malformed rows, options or predictions.
 * @example
 * ```ts
 * const predict = (batch: number[][]) => batch.map(([a, b]) => 3 * a - 2 * b);
 * const e = await kernelShap(predict, [[1, 2]], { background: [[0, 0], [2, 2]], featureNames: ["a", "b"] });
 * // e.values[0] → [0, -2]; e.baseValue → 1
 * ```
 */
export async function kernelShap(predict: PredictFn, rows: readonly (readonly number[])[], options: KernelShapOptions): Promise<ShapExplanation> {
  if (typeof predict !== "function") throw new ValidationError("predict", predict, "must be a function (batch: number[][]) => predictions");
  const o = resolve(rows, options);
  const bg = options.background;
  const bwSum = o.bw.reduce((a, b) => a + b, 0);
  const weightedMean = (ys: readonly number[], from: number): number => o.bw.reduce((acc, w, b) => acc + w * (ys[from + b] ?? 0), 0) / bwSum;

  const fnull = weightedMean(
    await predictColumn(
      predict,
      bg.map((r) => [...r]),
      o.output,
    ),
    0,
  );
  const fxs = await predictColumn(
    predict,
    rows.map((r) => [...r]),
    o.output,
  );
  const rng = createRng(o.seed);

  // Plan every row's coalitions first, so the predict batches can span rows.
  const plans = rows.map((x) => {
    const varying = x.flatMap((v, j) => (bg.some((r) => Math.abs((r[j] ?? 0) - v) > 1e-8 * (1 + Math.abs(v))) ? [j] : []));
    const design = varying.length >= 2 ? designCoalitions(varying.length, o.nsamples, rng) : { masks: [], weights: [] };
    return { x, varying, ...design, ey: new Array<number>(design.masks.length).fill(0) };
  });

  // The coalition rows live in one pool of row arrays, refilled for every batch: a batch is
  // built, predicted and read before the next one overwrites it, so millions of synthetic rows
  // cost one batch's worth of arrays (no garbage to collect per coalition).
  const pool: number[][] = [];
  let filled = 0;
  let pending: { plan: (typeof plans)[number]; s: number }[] = [];
  const flush = async (): Promise<void> => {
    if (filled === 0) return;
    const ys = await predictColumn(predict, filled === pool.length ? pool : pool.slice(0, filled), o.output);
    pending.forEach(({ plan, s }, i) => {
      plan.ey[s] = weightedMean(ys, i * bg.length);
    });
    pending = [];
    filled = 0;
  };
  for (const plan of plans) {
    const on = new Array<number>(plan.varying.length);
    for (let s = 0; s < plan.masks.length; s++) {
      if (filled + bg.length > o.batchSize) await flush();
      const mask = plan.masks[s] as Uint8Array;
      let n = 0;
      for (let k = 0; k < plan.varying.length; k++) if (mask[k] === 1) on[n++] = plan.varying[k] as number;
      for (const r of bg) {
        let synth = pool[filled];
        if (synth === undefined) {
          synth = r.slice();
          pool.push(synth);
        } else {
          for (let j = 0; j < r.length; j++) synth[j] = r[j] as number;
        }
        for (let q = 0; q < n; q++) {
          const j = on[q] as number;
          synth[j] = plan.x[j] as number;
        }
        filled++;
      }
      pending.push({ plan, s });
    }
  }
  await flush();

  const values = plans.map((plan, i) => {
    const phi = new Array<number>(o.width).fill(0);
    const fx = fxs[i] ?? 0;
    if (plan.varying.length === 1) phi[plan.varying[0] ?? 0] = fx - fnull;
    if (plan.varying.length >= 2) {
      const v = attribute(plan.masks, plan.weights, plan.ey, fx, fnull, plan.varying.length);
      plan.varying.forEach((j, k) => {
        phi[j] = v[k] ?? 0;
      });
    }
    return phi;
  });
  return {
    method: "kernel-shap",
    featureNames: o.names,
    baseValue: fnull,
    values,
    predictions: fxs,
    data: rows.map((r) => [...r]),
    nsamples: o.nsamples,
    seed: o.seed,
    output: o.output,
  };
}

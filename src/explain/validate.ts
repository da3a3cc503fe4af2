/**
 * Input checks shared by the explainers: a matrix of finite numbers, feature names, options,
 * and the shape of what a `predict` function returned.
 */
import { ValidationError } from "../index.js";

/**
 * A batch of rows in, one prediction per row out: a number, or a vector (one per output).
 * `kernelShap` refills the batch's row arrays for its next call once this returned (or its
 * promise settled): copy rows that must outlive the call.
 */
export type PredictFn = (batch: number[][]) => number[] | number[][] | Promise<number[] | number[][]>;

/** Checks a non-empty rectangular matrix of finite numbers; returns its width. */
export function checkMatrix(field: string, m: unknown, width?: number): number {
  if (!Array.isArray(m) || m.length === 0) throw new ValidationError(field, m, "must be a non-empty array of rows (number[][])");
  const w = width ?? (Array.isArray(m[0]) ? (m[0] as unknown[]).length : -1);
  if (w < 1) throw new ValidationError(`${field}[0]`, m[0], "must be a non-empty array of numbers");
  m.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== w)
      throw new ValidationError(`${field}[${i}]`, row, `must be an array of ${w} numbers (as wide as the other rows)`);
    row.forEach((v: unknown, j) => {
      if (typeof v !== "number" || !Number.isFinite(v)) throw new ValidationError(`${field}[${i}][${j}]`, v, "must be a finite number");
    });
  });
  return w;
}

/** Feature names: given ones checked (one per column, unique, non-empty), else `f0`, `f1`, …. */
export function featureNamesOf(names: readonly string[] | undefined, width: number): string[] {
  if (names === undefined) return Array.from({ length: width }, (_, i) => `f${i}`);
  if (!Array.isArray(names) || names.length !== width) throw new ValidationError("options.featureNames", names, `must list ${width} names, one per column`);
  const seen = new Set<string>();
  for (const n of names) {
    if (typeof n !== "string" || n.trim() === "") throw new ValidationError("options.featureNames", n, "each name must be a non-empty string");
    if (seen.has(n)) throw new ValidationError("options.featureNames", n, "names must be unique");
    seen.add(n);
  }
  return [...names];
}

/** An integer option in [min, max]; `fallback` when undefined. */
export function intOption(field: string, v: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ValidationError(field, v, max === Number.MAX_SAFE_INTEGER ? `must be an integer >= ${min}` : `must be an integer in [${min}, ${max}]`);
  }
  return v;
}

/**
 * Calls `predict` and returns output `output` of each row's prediction, checked (a number per
 * row, or a vector of outputs per row), without copying the predictions row by row.
 */
export async function predictColumn(predict: PredictFn, batch: number[][], output: number): Promise<number[]> {
  const out: unknown = await predict(batch);
  if (!Array.isArray(out) || out.length !== batch.length) {
    throw new ValidationError(
      "predict(batch) result",
      Array.isArray(out) ? `an array of ${out.length}` : out,
      `must be an array with one prediction per row (${batch.length})`,
    );
  }
  const col = new Array<number>(out.length);
  for (let i = 0; i < out.length; i++) {
    const p: unknown = out[i];
    const v: unknown = typeof p === "number" ? (output === 0 ? p : undefined) : Array.isArray(p) ? p[output] : null;
    if (typeof v === "number" && Number.isFinite(v)) {
      col[i] = v;
      continue;
    }
    if (v === undefined && (typeof p === "number" || (Array.isArray(p) && p.length > 0))) {
      throw new ValidationError("options.output", output, `must be less than the model's ${typeof p === "number" ? 1 : (p as unknown[]).length} output(s)`);
    }
    throw new ValidationError(`predict(batch) result[${i}]`, p, "must be a finite number or a non-empty array of finite numbers");
  }
  return col;
}

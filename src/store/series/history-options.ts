/**
 * Options of metric history reads, and how they select points: a step range, the first
 * `maxResults` points (logged order), or a sample for charts (MLflow's
 * `get-history-bulk-interval`: at most `maxResults` points spread evenly over the range in
 * (step, timestamp, value) order, the first and the last always kept). The same rules answer
 * on the local store and on a tracking server.
 */
import { ValidationError } from "../../errors.js";
import type { Metric } from "../../model/types.js";

/**
 * Which points of a history to read.
 * @example `await tracker.getMetricHistory(id, "loss", { startStep: 1000, endStep: 1999 })`
 */
export interface MetricHistoryOptions {
  /** Only points with `step >= startStep`. @default no lower bound */
  readonly startStep?: number | undefined;
  /** Only points with `step <= endStep`. @default no upper bound */
  readonly endStep?: number | undefined;
  /** At most this many points: the first ones in logged order. @default all */
  readonly maxResults?: number | undefined;
}

/** Largest `maxResults` of a sampled read (MLflow's `get-history-bulk-interval` limit). */
export const SAMPLED_MAX_RESULTS = 2500;

/**
 * A sampled read for charts.
 * @example `await tracker.getSampledMetricHistory(id, "loss", { maxResults: 500 })`
 */
export interface SampledHistoryOptions {
  /** Only points with `step >= startStep`. @default no lower bound */
  readonly startStep?: number | undefined;
  /** Only points with `step <= endStep`. @default no upper bound */
  readonly endStep?: number | undefined;
  /** At most this many points, from 1 to 2500. @default 2500 */
  readonly maxResults?: number | undefined;
}

/** A step range with both ends set (±Infinity when open). */
export interface StepRange {
  readonly lo: number;
  readonly hi: number;
}

function checkStep(field: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "number" || !Number.isSafeInteger(value))) {
    throw new ValidationError(field, value, "must be an integer step");
  }
}

/** Checks history options (throws `ValidationError` naming the field) and returns the range. */
export function checkHistoryOptions(options: unknown, sampled: boolean): { range: StepRange; maxResults: number | undefined } {
  if (options === undefined) return { range: { lo: -Infinity, hi: Infinity }, maxResults: sampled ? SAMPLED_MAX_RESULTS : undefined };
  if (typeof options !== "object" || options === null || Array.isArray(options)) throw new ValidationError("options", options, "must be an object");
  const o = options as Record<string, unknown>;
  checkStep("options.startStep", o.startStep);
  checkStep("options.endStep", o.endStep);
  const lo = (o.startStep as number | undefined) ?? -Infinity;
  const hi = (o.endStep as number | undefined) ?? Infinity;
  if (lo > hi) throw new ValidationError("options.endStep", o.endStep, `must not be below startStep (${String(o.startStep)})`);
  const max = o.maxResults;
  const limit = sampled ? SAMPLED_MAX_RESULTS : Number.MAX_SAFE_INTEGER;
  if (max !== undefined && (typeof max !== "number" || !Number.isInteger(max) || max < 1 || max > limit)) {
    throw new ValidationError("options.maxResults", max, sampled ? `must be an integer from 1 to ${SAMPLED_MAX_RESULTS}` : "must be a positive integer");
  }
  return { range: { lo, hi }, maxResults: (max as number | undefined) ?? (sampled ? SAMPLED_MAX_RESULTS : undefined) };
}

/** The points in `range`, at most `maxResults`, in logged order. */
export function selectPoints(points: readonly Metric[], range: StepRange, maxResults: number | undefined): Metric[] {
  const max = maxResults ?? Number.POSITIVE_INFINITY;
  const out: Metric[] = [];
  for (const p of points) {
    if (out.length >= max) break;
    if (p.step >= range.lo && p.step <= range.hi) out.push(p);
  }
  return out;
}

/**
 * Which of `total` ordered points a sample of at most `max` keeps, as MLflow 3's SQL store
 * picks them (`get-history-bulk-interval`): the points are cut into `max` buckets of sizes
 * differing by at most one, the larger first (SQL's NTILE), the first point of each bucket is
 * kept, and the last point too (in place of the last kept one when there are already `max`).
 * Every point when `total <= max`; only the last when `max` is 1.
 */
export function evenlySpacedIndices(total: number, max: number): number[] {
  if (total <= 0) return [];
  if (total <= max) return Array.from({ length: total }, (_, i) => i);
  const size = Math.floor(total / max);
  const larger = total % max;
  const out: number[] = [];
  for (let b = 0; b < max; b++) out.push(b < larger ? b * (size + 1) : larger * (size + 1) + (b - larger) * size);
  if (out[out.length - 1] !== total - 1) out[out.length - 1] = total - 1;
  return out;
}

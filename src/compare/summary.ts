/**
 * Pure summaries of metric histories and params: last/min/max/best step, the best of several,
 * and which params differ.
 *
 * @packageDocumentation
 */
import type { Metric } from "../model/types.js";
import { setOwn } from "../internal/keyed.js";
import { isBetter, type Direction } from "./direction.js";

/**
 * One metric of one run (or model version), summarised over its history.
 * @example `{ last: 0.21, min: 0.2, max: 0.9, best: 0.2, bestStep: 90, points: 100 }`
 */
export interface MetricSummary {
  /** The latest value: greatest (step, timestamp) as MLflow; `null` when the metric is absent. */
  readonly last: number | null;
  /** Smallest non-NaN value; `null` when absent or all NaN. */
  readonly min: number | null;
  /** Largest non-NaN value; `null` when absent or all NaN. */
  readonly max: number | null;
  /** The best value in the metric's direction (`min` or `max`). */
  readonly best: number | null;
  /** Step of the first point holding the best value; `null` when unknown. */
  readonly bestStep: number | null;
  /** Points in the history (0 when only a final value is known). */
  readonly points: number;
}

/** A summary with nothing in it. @example `EMPTY_SUMMARY.last // null` */
export const EMPTY_SUMMARY: MetricSummary = Object.freeze({ last: null, min: null, max: null, best: null, bestStep: null, points: 0 });

/**
 * Summarises a metric history in `direction`.
 * @example `summarize(await tracker.getMetricHistory(id, "loss"), "min").bestStep`
 */
export function summarize(history: readonly Metric[], direction: Direction): MetricSummary {
  if (history.length === 0) return EMPTY_SUMMARY;
  let min = NaN;
  let max = NaN;
  let lastPoint: Metric | undefined;
  let bestPoint: Metric | undefined;
  for (const p of history) {
    const v = p.value;
    if (!Number.isNaN(v)) {
      if (Number.isNaN(min) || v < min) min = v;
      if (Number.isNaN(max) || v > max) max = v;
    }
    if (bestPoint === undefined || isBetter(v, bestPoint.value, direction)) bestPoint = p;
    if (lastPoint === undefined || p.step > lastPoint.step || (p.step === lastPoint.step && p.timestamp >= lastPoint.timestamp)) lastPoint = p;
  }
  const best = bestPoint === undefined || Number.isNaN(bestPoint.value) ? null : bestPoint.value;
  return {
    last: lastPoint === undefined || Number.isNaN(lastPoint.value) ? null : lastPoint.value,
    min: Number.isNaN(min) ? null : min,
    max: Number.isNaN(max) ? null : max,
    best,
    bestStep: best === null || bestPoint === undefined ? null : bestPoint.step,
    points: history.length,
  };
}

/**
 * A summary from a final value only (a release's recorded metrics when its run is gone).
 * @example `summaryOfValue(0.91).last // 0.91`
 */
export function summaryOfValue(value: number | undefined): MetricSummary {
  if (value === undefined || Number.isNaN(value)) return EMPTY_SUMMARY;
  return { last: value, min: value, max: value, best: value, bestStep: null, points: 0 };
}

/**
 * Which value picks the best run: its `last` value or its `best` value over the history.
 * @example `"last"`
 */
export type BestBy = "last" | "best";

/**
 * Index of the best entry by `by` in `direction`; ties go to the first. `-1` when none has a value.
 * @example `bestIndex([{ last: 0.3, … }, { last: 0.2, … }], "min", "last") // 1`
 */
export function bestIndex(summaries: readonly MetricSummary[], direction: Direction, by: BestBy): number {
  let best = -1;
  let bestValue = NaN;
  summaries.forEach((s, i) => {
    const v = by === "last" ? s.last : s.best;
    if (v !== null && (best === -1 || isBetter(v, bestValue, direction))) {
      best = i;
      bestValue = v;
    }
  });
  return best;
}

/**
 * Params split into those that differ between entries (values aligned with the entries,
 * `null` where a param is missing) and those equal everywhere.
 * @example `diffParams([{ lr: "0.1", bs: "32" }, { lr: "0.2", bs: "32" }]) // { differing: { lr: ["0.1", "0.2"] }, same: { bs: "32" } }`
 */
export function diffParams(params: readonly Readonly<Record<string, string>>[]): {
  differing: Record<string, (string | null)[]>;
  same: Record<string, string>;
} {
  const keys = [...new Set(params.flatMap((p) => Object.keys(p)))].sort();
  const differing: Record<string, (string | null)[]> = {};
  const same: Record<string, string> = {};
  for (const key of keys) {
    const values = params.map((p) => (Object.hasOwn(p, key) ? (p[key] ?? null) : null));
    const first = values[0] ?? null;
    if (first !== null && values.every((v) => v === first)) setOwn(same, key, first);
    else setOwn(differing, key, values);
  }
  return { differing, same };
}

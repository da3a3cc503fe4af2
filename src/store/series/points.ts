/**
 * Metric points held as float64 triples (step, timestamp, value), and the selections of
 * history-options.ts made on them, so that only returned points become objects.
 */
import type { Metric } from "../../model/types.js";
import { evenlySpacedIndices, type StepRange } from "./history-options.js";

/** A growable run of points. */
export class PointBuffer {
  data = new Float64Array(3 * 64);
  n = 0;

  push(step: number, timestamp: number, value: number): void {
    if (3 * this.n === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    const at = 3 * this.n++;
    this.data[at] = step;
    this.data[at + 1] = timestamp;
    this.data[at + 2] = value;
  }

  /** The points held, without copying. */
  view(): Float64Array {
    return this.data.subarray(0, 3 * this.n);
  }

  clear(): void {
    this.n = 0;
  }
}

/** A point as the API returns it. */
function metricAt(key: string, d: Float64Array, i: number): Metric {
  return { key, value: d[3 * i + 2] as number, step: d[3 * i] as number, timestamp: d[3 * i + 1] as number };
}

/** Points of `blocks` (in order) whose step is in `range`, at most `max`, in logged order. */
export function selectFrom(key: string, blocks: readonly Float64Array[], range: StepRange, max: number | undefined): Metric[] {
  const all = range.lo === -Infinity && range.hi === Infinity;
  // Counted first, so the answer is allocated once at its size (long histories are millions of points).
  let count = 0;
  for (const d of blocks) {
    if (all) count += d.length / 3;
    else for (let i = 0; i < d.length; i += 3) if ((d[i] as number) >= range.lo && (d[i] as number) <= range.hi) count++;
  }
  const out = new Array<Metric>(Math.min(count, max ?? count));
  let at = 0;
  for (const d of blocks) {
    const n = d.length / 3;
    for (let i = 0; i < n && at < out.length; i++) {
      const step = d[3 * i] as number;
      if (all || (step >= range.lo && step <= range.hi)) out[at++] = metricAt(key, d, i);
    }
  }
  return out;
}

/**
 * Orders points i, j of `d` as MLflow's SQL store does: step, timestamp, value, then NaN
 * (stored there as the value 0 with a NaN flag, so NaN sorts as 0, after a real 0).
 */
export function compareAt(d: Float64Array, i: number, j: number): number {
  for (let f = 0; f < 2; f++) {
    const a = d[3 * i + f] as number;
    const b = d[3 * j + f] as number;
    if (a !== b) return a - b;
  }
  const a = d[3 * i + 2] as number;
  const b = d[3 * j + 2] as number;
  const av = Number.isNaN(a) ? 0 : a;
  const bv = Number.isNaN(b) ? 0 : b;
  if (av !== bv) return av < bv ? -1 : 1;
  return Number(Number.isNaN(a)) - Number(Number.isNaN(b));
}

/**
 * A sample for charts of the points of `blocks` in `range`: in (step, timestamp, value)
 * order, at most `max`, the first and the last kept (MLflow's rule, history-options.ts).
 */
export function sampleFrom(key: string, blocks: readonly Float64Array[], range: StepRange, max: number): Metric[] {
  const merged = new PointBuffer();
  for (const d of blocks) {
    const n = d.length / 3;
    for (let i = 0; i < n; i++) {
      const step = d[3 * i] as number;
      if (step >= range.lo && step <= range.hi) merged.push(step, d[3 * i + 1] as number, d[3 * i + 2] as number);
    }
  }
  const d = merged.view();
  const n = merged.n;
  let order: Uint32Array | undefined;
  for (let i = 1; i < n; i++) {
    if (compareAt(d, i - 1, i) > 0) {
      order = Uint32Array.from({ length: n }, (_, k) => k).sort((a, b) => compareAt(d, a, b));
      break;
    }
  }
  return evenlySpacedIndices(n, max).map((i) => metricAt(key, d, order === undefined ? i : (order[i] as number)));
}

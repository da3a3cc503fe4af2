/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013): keeps the visual shape of a
 * line with far fewer points. Pure; O(n).
 *
 * @packageDocumentation
 */

/**
 * A series as two aligned arrays: `x` ascending, `y` finite.
 * @example `{ x: [0, 1, 2], y: [0.9, 0.5, 0.4] }`
 */
export interface Series {
  /** X values (steps), ascending. */
  readonly x: ArrayLike<number>;
  /** Y values, same length as `x`. */
  readonly y: ArrayLike<number>;
}

/**
 * Indices of the points LTTB keeps: the first, the last, and one per bucket in between (the
 * one forming the largest triangle with the previous kept point and the next bucket's mean).
 * Returns every index when `threshold >= n` or `threshold < 3`.
 * @example `lttbIndices({ x: [0, 1, 2, 3], y: [0, 5, 0, 0] }, 3) // [0, 1, 3]`
 */
export function lttbIndices(series: Series, threshold: number): number[] {
  const { x, y } = series;
  const n = Math.min(x.length, y.length);
  if (threshold >= n || threshold < 3) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [0];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    // Mean of the next bucket (the last bucket's "next" is the final point).
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += x[j] as number;
      avgY += y[j] as number;
    }
    const len = nextEnd - nextStart;
    if (len > 0) {
      avgX /= len;
      avgY /= len;
    } else {
      avgX = x[n - 1] as number;
      avgY = y[n - 1] as number;
    }
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    const ax = x[a] as number;
    const ay = y[a] as number;
    let maxArea = -1;
    let chosen = start;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - avgX) * ((y[j] as number) - ay) - (ax - (x[j] as number)) * (avgY - ay));
      if (area > maxArea) {
        maxArea = area;
        chosen = j;
      }
    }
    out.push(chosen);
    a = chosen;
  }
  out.push(n - 1);
  return out;
}

/**
 * Downsamples a series to at most `threshold` points with LTTB.
 * @example `lttb({ x: steps, y: values }, 2000)`
 * @default threshold: none; pass the report's `maxPointsPerSeries` (2000)
 */
export function lttb(series: Series, threshold: number): { x: number[]; y: number[] } {
  const idx = lttbIndices(series, threshold);
  return { x: idx.map((i) => series.x[i] as number), y: idx.map((i) => series.y[i] as number) };
}

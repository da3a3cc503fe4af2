/**
 * The sampled read (`getSampledMetricHistory`, MLflow's get-history-bulk-interval) of a key
 * whose point file is in step order: it reads only the points it returns, and the runs of
 * equal steps those fall in, not the whole key.
 */
import * as fs from "node:fs";
import { evenlySpacedIndices, type StepRange } from "./history-options.js";
import type { SeriesKey } from "./manifest.js";
import { compareAt } from "./points.js";
import { bound, openPoints, readRange } from "./series-index.js";

/**
 * The sample of `entry`'s points in `range` (at most `max`, first and last kept), as the
 * reference sampling of the full history orders and picks them: the point file is in step
 * order (`entry.sorted`), so the i-th point in (step, timestamp, value) order lies in the run
 * of equal steps at file position i; a run of more than one point is read whole and sorted.
 * Undefined when the key is not in step order or the file is not what the manifest says (the
 * caller reads the whole key).
 */
export function samplePoints(dir: string, gen: string, n: number, entry: SeriesKey, range: StepRange, max: number): Float64Array | undefined {
  if (!entry.sorted) return undefined;
  const fd = openPoints(dir, gen, n);
  if (fd === undefined) return undefined;
  try {
    const from = range.lo === -Infinity ? 0 : bound(fd, entry.count, range.lo, false);
    const to = range.hi === Infinity ? entry.count : bound(fd, entry.count, range.hi, true);
    const picks = evenlySpacedIndices(Math.max(0, to - from), max);
    const out = new Float64Array(3 * picks.length);
    // The run of equal steps last read (file positions lo..hi, sorted), reused by the next picks in it.
    let group: { lo: number; hi: number; order: Uint32Array; data: Float64Array } | undefined;
    for (const [k, pick] of picks.entries()) {
      const at = from + pick;
      if (group === undefined || at >= group.hi) {
        const near = readRange(fd, Math.max(from, at - 1), Math.min(to, at + 2));
        if (near === undefined) return undefined;
        const self = at > from ? 1 : 0;
        const step = near[3 * self] as number;
        const tied = (self === 1 && near[0] === step) || (near.length > 3 * (self + 1) && near[3 * (self + 1)] === step);
        if (!tied) {
          out.set(near.subarray(3 * self, 3 * self + 3), 3 * k);
          continue;
        }
        const lo = Math.max(from, bound(fd, entry.count, step, false));
        const hi = Math.min(to, bound(fd, entry.count, step, true));
        const data = readRange(fd, lo, hi);
        if (data === undefined) return undefined;
        const order = Uint32Array.from({ length: hi - lo }, (_, i) => i).sort((a, b) => compareAt(data, a, b));
        group = { lo, hi, order, data };
      }
      const i = group.order[at - group.lo] as number;
      out.set(group.data.subarray(3 * i, 3 * i + 3), 3 * k);
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

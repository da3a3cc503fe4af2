/**
 * A scanner of journal bytes that keeps only metric points, for building and topping up point
 * files. The metric lines mltrail writes are read from the bytes by log/metric-line.ts (no
 * string per line, no record object); any other line goes through the journal's own line
 * check (segments.ts `scanLines`), so what this scanner returns is exactly what `scanSegment`
 * gives for the same bytes, metric points only.
 */
import { MetricLineReader } from "../../log/metric-line.js";
import { type LineScan, scanLines } from "../../log/segments.js";
import { PointBuffer } from "./points.js";

/**
 * Reads a fast-path metric line `buf[pos, nl)` into `keys` (only `key` when given). False when
 * the line is not one this fast path reads; the caller then checks it the general way.
 */
function fastLine(buf: Buffer, pos: number, nl: number, reader: MetricLineReader, keys: Map<string, PointBuffer>, key: string | undefined): boolean {
  if (!reader.read(buf, pos, nl)) return false;
  const name = reader.key(buf);
  if (key !== undefined && name !== key) return true;
  pointsOf(keys, name).push(reader.step, reader.timestamp, reader.value);
  return true;
}

function pointsOf(keys: Map<string, PointBuffer>, key: string): PointBuffer {
  let points = keys.get(key);
  if (points === undefined) {
    points = new PointBuffer();
    keys.set(key, points);
  }
  return points;
}

/**
 * Scans journal bytes as `scanSegment` does (lines that fail, followed by a good line, are
 * corrupt; `validEnd` is past the last good line) and adds the metric points of `key` (every
 * key when undefined) to `keys`, in logged order.
 */
export function scanPoints(buf: Buffer, segment: string, keys: Map<string, PointBuffer>, key?: string): LineScan {
  const reader = new MetricLineReader();
  return scanLines(
    buf,
    segment,
    (r) => {
      if (r.t === "m" && (key === undefined || r.k === key)) pointsOf(keys, r.k).push(r.st, r.ts, r.v);
    },
    (pos, nl) => fastLine(buf, pos, nl, reader, keys, key),
  );
}

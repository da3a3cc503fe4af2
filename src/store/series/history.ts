/**
 * Metric history reads of the local store. A short journal is read whole; a long one
 * (index/tail-fold.ts's rule) through its point files (series-index.ts), so the history of one
 * key reads only that key's points, a step range or `maxResults` only about what it returns, and
 * a sampled read of a key in step order only the points it returns (sample-points.ts).
 */
import type { CorruptLine } from "../../log/segments.js";
import { forEachSegment } from "../../log/segments.js";
import type { Metric } from "../../model/types.js";
import { isLongJournal } from "../index/tail-fold.js";
import type { RunPaths } from "../layout.js";
import { SAMPLED_MAX_RESULTS, type StepRange } from "./history-options.js";
import { seriesDir } from "./manifest.js";
import { PointBuffer, sampleFrom, selectFrom } from "./points.js";
import { samplePoints } from "./sample-points.js";
import { readKeyPoints, readSeries, SERIES_SUPPORTED } from "./series-index.js";

/** Which points to return. */
export interface HistoryQuery {
  readonly range: StepRange;
  readonly maxResults: number | undefined;
  /** A sample for charts (`maxResults` points at most, first and last kept) instead of the first points. */
  readonly sampled: boolean;
}

/** Histories read, with the corrupt journal lines met (to report). */
export interface HistoriesRead {
  readonly histories: Map<string, Metric[]>;
  readonly corrupt: readonly CorruptLine[];
}

const ALL: HistoryQuery = { range: { lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY }, maxResults: undefined, sampled: false };

function answer(key: string, blocks: Float64Array[], q: HistoryQuery): Metric[] {
  return q.sampled ? sampleFrom(key, blocks, q.range, q.maxResults ?? SAMPLED_MAX_RESULTS) : selectFrom(key, blocks, q.range, q.maxResults);
}

/** Every point of the wanted keys (all when undefined), folding the whole journal. */
async function foldWhole(journal: string, wanted: ReadonlySet<string> | undefined): Promise<{ keys: Map<string, PointBuffer>; corrupt: CorruptLine[] }> {
  const keys = new Map<string, PointBuffer>();
  const report = await forEachSegment(journal, 0, (records) => {
    for (const r of records) {
      if (r.t !== "m" || (wanted !== undefined && !wanted.has(r.k))) continue;
      let buf = keys.get(r.k);
      if (buf === undefined) {
        buf = new PointBuffer();
        keys.set(r.k, buf);
      }
      buf.push(r.st, r.ts, r.v);
    }
  });
  return { keys, corrupt: report.corrupt };
}

/**
 * Histories of `keys` (every metric of the run when undefined; a requested key with no
 * points gets an empty list), each selected by `q`, through the run's point files (brought up
 * to date when the journal ran ahead). Undefined when they cannot be used (a rebuild replaced
 * them meanwhile, or a big-endian machine): the caller folds the journal.
 */
export async function readIndexedHistories(paths: RunPaths, keys: readonly string[] | undefined, q: HistoryQuery): Promise<HistoriesRead | undefined> {
  if (!SERIES_SUPPORTED) return undefined;
  const histories = new Map<string, Metric[]>((keys ?? []).map((k) => [k, []]));
  const dir = seriesDir(paths.dir);
  const { manifest, tail } = await readSeries(dir, paths.journal, keys?.length === 1 ? keys[0] : undefined);
  const indexed = manifest?.keys ?? [];
  const names = keys ?? [...new Set([...indexed.map((k) => k.key), ...tail.keys.keys()])];
  for (const key of names) {
    const blocks: Float64Array[] = [];
    const n = indexed.findIndex((k) => k.key === key);
    const more = tail.keys.get(key);
    if (q.sampled && manifest !== undefined && n !== -1 && more === undefined) {
      // Only the sampled points (and the runs of equal steps they fall in) are read.
      const sample = samplePoints(dir, manifest.gen, n, indexed[n] as (typeof indexed)[number], q.range, q.maxResults ?? SAMPLED_MAX_RESULTS);
      if (sample !== undefined) {
        histories.set(key, selectFrom(key, [sample], ALL.range, undefined));
        continue;
      }
    }
    if (manifest !== undefined && n !== -1) {
      const data = readKeyPoints(dir, manifest.gen, n, indexed[n] as (typeof indexed)[number], q.range, q.sampled ? undefined : q.maxResults);
      if (data === undefined) return undefined;
      blocks.push(data);
    }
    if (more !== undefined) blocks.push(more.view());
    histories.set(key, answer(key, blocks, q));
  }
  return { histories, corrupt: [...(manifest?.corrupt ?? []), ...tail.corrupt] };
}

/**
 * Histories of `keys` (every metric of the run when undefined; a requested key with no
 * points gets an empty list), each selected by `q`: a long journal through its point files,
 * a short one (or when they cannot be used) by folding it.
 */
export async function readHistories(paths: RunPaths, keys: readonly string[] | undefined, q: HistoryQuery = ALL): Promise<HistoriesRead> {
  if (await isLongJournal(paths.journal)) {
    const indexed = await readIndexedHistories(paths, keys, q);
    if (indexed !== undefined) return indexed;
  }
  const histories = new Map<string, Metric[]>((keys ?? []).map((k) => [k, []]));
  const whole = await foldWhole(paths.journal, keys === undefined ? undefined : new Set(keys));
  for (const [key, buf] of whole.keys) histories.set(key, answer(key, [buf.view()], q));
  return { histories, corrupt: whole.corrupt };
}

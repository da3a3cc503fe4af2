/**
 * `compareRuns`: params that differ, per-metric summaries and the best run per metric, with
 * each run's git commit and datasets. Uses the public Tracker API only.
 *
 * @packageDocumentation
 */
import type { Metric, RunRecord, SearchRunsOptions } from "../model/types.js";
import type { DatasetRef } from "../registry/store.js";
import type { RunReader } from "../tracker-api.js";
import { ownValue, setOwn } from "../internal/keyed.js";
import { directionOf, type Direction } from "./direction.js";
import { bestIndex, diffParams, summarize, type BestBy, type MetricSummary } from "./summary.js";
import { MLFLOW_TAGS } from "../model/system-tags.js";

/** Tag holding a run's git commit (MLflow's name). @example `run.data.tags[GIT_COMMIT_TAG]` */
export const GIT_COMMIT_TAG = MLFLOW_TAGS.gitCommit;

/**
 * What comparing needs from a tracker: its read API. `getRunDatasets`, when the tracker has it,
 * supplies each run's datasets.
 * @example `compareRuns(tracker, ids)` (a `Tracker` is a `CompareSource`)
 * @inline
 */
export type CompareSource = Pick<RunReader, "getRun" | "searchRuns" | "getMetricHistories"> & {
  /** Reads a run's dataset inputs (`tracker.getRunDatasets`). Optional: without it, every run's datasets are an empty list. */
  readonly getRunDatasets?: (runId: string) => Promise<readonly DatasetRef[]>;
};

/**
 * Options of {@link compareRuns}.
 * @example `{ metrics: ["loss", "acc"], direction: { latency_ms: "min" }, allParams: true }`
 */
export interface CompareRunsOptions {
  /** Also return the params equal in every run (`params.same`). @default false */
  readonly allParams?: boolean;
  /** Metrics to compare. @default every metric any of the runs has */
  readonly metrics?: readonly string[];
  /** Direction per metric. @default by name, see {@link defaultDirection} */
  readonly direction?: Readonly<Record<string, Direction>>;
  /** Pick the best run by its last value or by its best value over the history. @default "last" */
  readonly bestBy?: BestBy;
}

/**
 * One compared run.
 * @example `comparison.runs[0].gitCommit`
 */
export interface ComparedRun {
  /** Run id. */
  readonly runId: string;
  /** Display name. */
  readonly name: string;
  /** Experiment id. */
  readonly experimentId: string;
  /** Status. */
  readonly status: RunRecord["info"]["status"];
  /** Start time, ms since the epoch. */
  readonly startTime: number;
  /** End time, ms since the epoch, or `null` while running. */
  readonly endTime: number | null;
  /** Git commit (tag `mlflow.source.git.commit`), or `null`. */
  readonly gitCommit: string | null;
  /** Datasets the run used; empty when unknown. */
  readonly datasets: readonly DatasetRef[];
}

/**
 * The winner of one metric.
 * @example `{ index: 1, runId: "0193…", value: 0.12 }`
 */
export interface BestEntry {
  /** Position of the winner in `runs` (or `versions`). */
  readonly index: number;
  /** The winner's run id (`null` for a model version without a run). */
  readonly runId: string | null;
  /** The winning value. */
  readonly value: number;
  /** The winner's semver, when comparing model versions. */
  readonly version?: string;
}

/**
 * One metric compared across runs.
 * @example `comparison.metrics.loss.best?.runId`
 */
export interface MetricComparison {
  /** Direction used. */
  readonly direction: Direction;
  /** Summary per run, aligned with `runs`. */
  readonly perRun: readonly MetricSummary[];
  /** The best run, or `null` when no run has a value. */
  readonly best: BestEntry | null;
}

/**
 * Params compared across runs: values aligned with the runs, `null` where missing.
 * @example `comparison.params.differing.lr // ["0.1", "0.01"]`
 */
export interface ParamsComparison {
  /** Params whose values are not the same in every run. */
  readonly differing: Readonly<Record<string, readonly (string | null)[]>>;
  /** Params equal in every run (only with `allParams`). */
  readonly same?: Readonly<Record<string, string>>;
}

/**
 * Result of {@link compareRuns}.
 * @example `const { runs, params, metrics } = await compareRuns(tracker, [a, b]);`
 */
export interface RunComparison {
  /** The runs, in the order given (or the search order). */
  readonly runs: readonly ComparedRun[];
  /** Params that differ (and, with `allParams`, those that do not). */
  readonly params: ParamsComparison;
  /** Per metric key, sorted by key. */
  readonly metrics: Readonly<Record<string, MetricComparison>>;
}

/** Metric histories per run id, then per metric key. */
export type Histories = ReadonlyMap<string, ReadonlyMap<string, readonly Metric[]>>;

/**
 * Builds a comparison from records already read: pure, shared with the HTML report.
 * @example `buildRunComparison(records, histories, datasets, { allParams: true })`
 */
export function buildRunComparison(
  records: readonly RunRecord[],
  histories: Histories,
  datasets: readonly (readonly DatasetRef[])[],
  options: CompareRunsOptions = {},
): RunComparison {
  const runs: ComparedRun[] = records.map((r, i) => ({
    runId: r.info.runId,
    name: r.info.name,
    experimentId: r.info.experimentId,
    status: r.info.status,
    startTime: r.info.startTime,
    endTime: r.info.endTime ?? null,
    gitCommit: ownValue(r.data.tags, GIT_COMMIT_TAG) ?? null,
    datasets: datasets[i] ?? [],
  }));
  const { differing, same } = diffParams(records.map((r) => r.data.params));
  const metrics: Record<string, MetricComparison> = {};
  // User keys ("__proto__" too) are own properties: set with setOwn, read with ownValue.
  for (const key of metricKeys(records, options.metrics)) {
    const direction = directionOf(key, options.direction);
    const perRun = records.map((r) => summarize(histories.get(r.info.runId)?.get(key) ?? [], direction));
    const i = bestIndex(perRun, direction, options.bestBy ?? "last");
    const s = perRun[i];
    const value = options.bestBy === "best" ? s?.best : s?.last;
    setOwn(metrics, key, {
      direction,
      perRun,
      best: i < 0 || value === undefined || value === null ? null : { index: i, runId: runs[i]?.runId ?? null, value },
    });
  }
  return { runs, params: options.allParams === true ? { differing, same } : { differing }, metrics };
}

/** The metric keys to compare: those asked for, else every key any run has, sorted. */
export function metricKeys(records: readonly RunRecord[], wanted: readonly string[] | undefined): string[] {
  if (wanted !== undefined) return [...wanted];
  return [...new Set(records.flatMap((r) => Object.keys(r.data.metrics)))].sort();
}

/**
 * Reads runs by id (in order) or by search.
 * @example `await readRuns(tracker, { filter: "metrics.acc > 0.9" })`
 */
export async function readRuns(tracker: CompareSource, runs: readonly string[] | SearchRunsOptions): Promise<RunRecord[]> {
  if (Array.isArray(runs)) return Promise.all((runs as readonly string[]).map((id) => tracker.getRun(id)));
  return tracker.searchRuns(runs as SearchRunsOptions);
}

/**
 * Reads the histories of `keys` for each run (one `getMetricHistories` per run — one pass over
 * a local run log — only for keys the run has).
 * @example `await readHistories(tracker, records, ["loss"])`
 */
export async function readHistories(
  tracker: CompareSource,
  records: readonly RunRecord[],
  keys: readonly string[],
): Promise<Map<string, Map<string, Metric[]>>> {
  const out = new Map<string, Map<string, Metric[]>>();
  await Promise.all(
    records.map(async (r) => {
      const perKey = new Map<string, Metric[]>();
      out.set(r.info.runId, perKey);
      const present = keys.filter((key) => Object.hasOwn(r.data.metrics, key));
      if (present.length === 0) return;
      const histories = await tracker.getMetricHistories(r.info.runId, present);
      for (const key of present) perKey.set(key, ownValue(histories, key) ?? []);
    }),
  );
  return out;
}

/**
 * Each run's datasets through `tracker.getRunDatasets` when the tracker has it; else empty lists.
 * @example `await readDatasets(tracker, records)`
 */
export async function readDatasets(tracker: CompareSource, records: readonly RunRecord[]): Promise<(readonly DatasetRef[])[]> {
  const get = tracker.getRunDatasets;
  if (typeof get !== "function") return records.map(() => []);
  return Promise.all(records.map((r) => get.call(tracker, r.info.runId)));
}

/**
 * Compares runs, given by id or by a search: which params differ, each metric's last, min and
 * max and the step of its best value per run, the best run per metric (direction per option,
 * else by name: see {@link defaultDirection}), and each run's git commit and datasets.
 * @example
 * ```ts
 * const cmp = await compareRuns(tracker, [a.id, b.id], { direction: { latency_ms: "min" } });
 * cmp.metrics.loss.best?.runId; // the run with the lowest last loss
 * cmp.params.differing.lr;      // ["0.1", "0.01"]
 * ```
 */
export async function compareRuns(
  tracker: CompareSource,
  runs: readonly string[] | SearchRunsOptions,
  options: CompareRunsOptions = {},
): Promise<RunComparison> {
  const records = await readRuns(tracker, runs);
  const keys = metricKeys(records, options.metrics);
  const [histories, datasets] = await Promise.all([readHistories(tracker, records, keys), readDatasets(tracker, records)]);
  return buildRunComparison(records, histories, datasets, options);
}

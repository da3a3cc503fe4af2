/**
 * `compareModelVersions`: releases of one model side by side, with their semver, aliases,
 * rationale, bump and changes, the params that differ and per-metric summaries (from the source
 * run's history when it can be read, else from the metrics recorded at release).
 *
 * @packageDocumentation
 */
import type { Metric } from "../model/types.js";
import type { ModelVersion } from "../models.js";
import type { DatasetRef, ReleaseChange } from "../registry/store.js";
import type { ModelReader, RunReader } from "../tracker-api.js";
import { ownValue, setOwn } from "../internal/keyed.js";
import { directionOf } from "./direction.js";
import type { BestEntry, CompareRunsOptions, MetricComparison, ParamsComparison } from "./runs.js";
import { bestIndex, diffParams, summarize, summaryOfValue, type MetricSummary } from "./summary.js";

/**
 * What comparing versions needs from a tracker.
 * @example `compareModelVersions(tracker, "churn", ["1.0.0", "champion"])`
 * @inline
 */
export type ModelCompareSource = Pick<ModelReader, "getModelVersion" | "listModelVersions"> & Pick<RunReader, "getRun" | "getMetricHistories">;

/**
 * One compared model version.
 * @example `cmp.versions[0].aliases // ["champion"]`
 */
export interface ComparedVersion {
  /** Semver. */
  readonly version: string;
  /** Aliases pointing at it. */
  readonly aliases: readonly string[];
  /** Deprecated (skipped by ranges and `latest`). */
  readonly deprecated: boolean;
  /** Why it was released. */
  readonly rationale: string;
  /** The bump that made it (`major`, `minor`, `patch`, …). */
  readonly bump: string;
  /** What changed since the previous release. */
  readonly changes: readonly string[];
  /** The same changes with their category (architecture, data, params, weights, signature…) and bump; `null` for releases made before they were recorded. */
  readonly changeDetails: readonly ReleaseChange[] | null;
  /** Who released it. */
  readonly author: string;
  /** Release time, ms since the epoch. */
  readonly createdAt: number;
  /** Source run id, or `null`. */
  readonly runId: string | null;
  /** Source run name, or `null` when the run cannot be read. */
  readonly runName: string | null;
  /** Git commit recorded at release, or `null`. */
  readonly gitCommit: string | null;
  /** Datasets recorded at release. */
  readonly datasets: readonly DatasetRef[];
  /** Params recorded at release. */
  readonly params: Readonly<Record<string, string>>;
  /** Metrics recorded at release. */
  readonly releaseMetrics: Readonly<Record<string, number>>;
}

/**
 * Result of {@link compareModelVersions}; `perRun` in each metric is aligned with `versions`.
 * @example `cmp.metrics.auc.best?.version // "1.2.0"`
 */
export interface ModelComparison {
  /** Model name. */
  readonly model: string;
  /** The versions, in the order of the refs (all versions: oldest first). */
  readonly versions: readonly ComparedVersion[];
  /** Params that differ between releases (and those that do not, with `allParams`). */
  readonly params: ParamsComparison;
  /** Per metric key, sorted by key. */
  readonly metrics: Readonly<Record<string, MetricComparison>>;
}

async function runSide(
  tracker: ModelCompareSource,
  v: ModelVersion,
  keys: readonly string[] | undefined,
): Promise<{ name: string | null; histories: Map<string, Metric[]> }> {
  const histories = new Map<string, Metric[]>();
  if (v.runId === undefined) return { name: null, histories };
  try {
    const run = await tracker.getRun(v.runId);
    const wanted = (keys ?? Object.keys(run.data.metrics)).filter((key) => Object.hasOwn(run.data.metrics, key));
    const read = wanted.length === 0 ? {} : await tracker.getMetricHistories(v.runId, wanted);
    for (const key of wanted) histories.set(key, ownValue(read, key) ?? []);
    return { name: run.info.name, histories };
  } catch {
    return { name: null, histories }; // the run is gone or unreachable: fall back to the release's metrics
  }
}

/**
 * Compares releases of a model. `refs` are exact versions, ranges or aliases (each resolved
 * with `getModelVersion`; duplicates kept once); an empty list compares every live version.
 * @example
 * ```ts
 * const cmp = await compareModelVersions(tracker, "churn", ["1.0.0", "champion"]);
 * cmp.versions.map((v) => `${v.version} ${v.aliases.join(",")} ${v.rationale}`);
 * cmp.metrics.auc.best?.version;
 * ```
 */
export async function compareModelVersions(
  tracker: ModelCompareSource,
  name: string,
  refs: readonly string[] = [],
  options: CompareRunsOptions = {},
): Promise<ModelComparison> {
  const resolved = refs.length === 0 ? await tracker.listModelVersions(name) : await Promise.all(refs.map((r) => tracker.getModelVersion(name, r)));
  const seen = new Set<string>();
  const list = resolved.filter((v) => !seen.has(v.version) && seen.add(v.version) !== undefined);
  const sides = await Promise.all(list.map((v) => runSide(tracker, v, options.metrics)));
  const versions: ComparedVersion[] = list.map((v, i) => ({
    version: v.version,
    aliases: [...v.aliases],
    deprecated: v.deprecated,
    rationale: v.rationale,
    bump: v.bump,
    changes: [...v.changes],
    changeDetails: v.changeDetails === undefined ? null : [...v.changeDetails],
    author: v.author,
    createdAt: v.createdAt,
    runId: v.runId ?? null,
    runName: sides[i]?.name ?? null,
    gitCommit: v.gitCommit ?? null,
    datasets: v.datasets,
    params: v.params,
    releaseMetrics: v.metrics,
  }));
  const { differing, same } = diffParams(list.map((v) => v.params));
  const keys = options.metrics ?? [...new Set(list.flatMap((v, i) => [...Object.keys(v.metrics), ...(sides[i]?.histories.keys() ?? [])]))].sort();
  const metrics: Record<string, MetricComparison> = {};
  for (const key of keys) {
    const direction = directionOf(key, options.direction);
    const perRun: MetricSummary[] = list.map((v, i) => {
      const history = sides[i]?.histories.get(key);
      return history !== undefined && history.length > 0 ? summarize(history, direction) : summaryOfValue(ownValue(v.metrics, key));
    });
    const i = bestIndex(perRun, direction, options.bestBy ?? "last");
    const value = options.bestBy === "best" ? perRun[i]?.best : perRun[i]?.last;
    const winner = versions[i];
    const best: BestEntry | null =
      winner === undefined || value === undefined || value === null ? null : { index: i, runId: winner.runId, value, version: winner.version };
    setOwn(metrics, key, { direction, perRun, best });
  }
  return { model: name, versions, params: options.allParams === true ? { differing, same } : { differing }, metrics };
}

/**
 * The read and comparison methods of `Tracker` (runs, metric histories, searches, artifacts,
 * lineage, experiments, comparisons and the report), in the base class it extends; each
 * delegates to the modules beside it.
 */
import type { DatasetInfo } from "../artifacts/run-artifacts.js";
import type { CompareReleaseExplanationsOptions, CompareRunsOptions, ModelComparison, ReleaseExplanationDiff, RunComparison } from "../compare/index.js";
import type { Lineage, LineageTarget } from "../lineage.js";
import type { Experiment, Metric, RunRecord, RunViewType, SearchRunsOptions, SearchRunsPageRequest } from "../model/types.js";
import type { WriteReportOptions, WriteReportResult } from "../report/index.js";
import type { ArtifactEntry, DownloadProgress } from "../store/artifact-queries.js";
import type { RunsPage } from "../store/paging.js";
import type { MetricHistoryOptions, SampledHistoryOptions } from "../store/series/history-options.js";
import * as analysis from "./analysis-calls.js";
import * as artifacts from "./artifact-calls.js";
import { partsOf, TrackerModels } from "./models-base.js";
import * as queries from "./run-queries.js";

/** The read and comparison calls of a `Tracker`; see `Tracker`. */
export abstract class TrackerQueries extends TrackerModels {
  /** Reads a run by id (local or server id). Throws NotFoundError. @example `const { info, data } = await tracker.getRun(id);` */
  async getRun(runId: string): Promise<RunRecord> {
    return queries.getRun(partsOf(this).session, runId);
  }

  /**
   * A metric's history in logged order; `options` keeps a step range and/or the first
   * `maxResults` points (on the local store only those are read).
   * @example `await tracker.getMetricHistory(id, "loss", { startStep: 100, endStep: 199 })`
   */
  async getMetricHistory(runId: string, key: string, options?: MetricHistoryOptions): Promise<Metric[]> {
    return queries.metricHistory(partsOf(this).session, runId, key, options, false);
  }

  /**
   * A sample of a metric's history for charts: at most `maxResults` points (default and limit
   * 2500) spread evenly over the step range in (step, timestamp, value) order, the first and
   * last kept; MLflow's `get-history-bulk-interval` on a server.
   * @example `await tracker.getSampledMetricHistory(id, "loss", { maxResults: 500 })`
   */
  async getSampledMetricHistory(runId: string, key: string, options?: SampledHistoryOptions): Promise<Metric[]> {
    return queries.metricHistory(partsOf(this).session, runId, key, options, true);
  }

  /**
   * Several metrics' histories at once (every metric of the run when `keys` is omitted), in
   * logged order; on the local store in one pass over the run log.
   * @example `const { loss, acc } = await tracker.getMetricHistories(id, ["loss", "acc"])`
   */
  async getMetricHistories(runId: string, keys?: readonly string[]): Promise<Record<string, Metric[]>> {
    return queries.metricHistories(partsOf(this).session, runId, keys);
  }

  /**
   * Searches runs with MLflow's filter syntax (see docs/search-syntax.md).
   * @example `await tracker.searchRuns({ filter: "metrics.acc > 0.9", orderBy: ["metrics.acc DESC"] })`
   */
  async searchRuns(options: SearchRunsOptions = {}): Promise<RunRecord[]> {
    return queries.searchRuns(partsOf(this).session, options);
  }

  /**
   * One page of a search, as MLflow's `runs/search` pages: `maxResults` runs (default 1000)
   * from where `pageToken` says, and `nextPageToken` while more remain (absent on the last
   * page). The same runs, in the same order, as {@link searchRuns}, runs not yet on the
   * server included. On a server, a page must end within the first 50,000 runs of the search.
   * @example
   * ```ts
   * let page = await tracker.searchRunsPage({ filter: "metrics.acc > 0.9", maxResults: 100 });
   * for (;;) {
   *   for (const run of page.runs) console.log(run.info.runId);
   *   if (page.nextPageToken === undefined) break;
   *   page = await tracker.searchRunsPage({ filter: "metrics.acc > 0.9", maxResults: 100, pageToken: page.nextPageToken });
   * }
   * ```
   */
  async searchRunsPage(options: SearchRunsPageRequest = {}): Promise<RunsPage> {
    return queries.searchRunsPage(partsOf(this).session, options);
  }

  /**
   * The artifacts of a run directly under `path` (the root by default): files with their size
   * and sha256, and folders.
   * @example `await tracker.listArtifacts(runId, "plots")`
   */
  async listArtifacts(runId: string, path?: string): Promise<ArtifactEntry[]> {
    return artifacts.listArtifacts(partsOf(this).session, runId, path);
  }

  /**
   * Downloads an artifact file or folder of a run into `dest` (keeping its relative path),
   * verifying every file against the run's manifest. Resolves with the local path.
   * @example `const dir = await tracker.downloadArtifacts(runId, "model", "./downloads")`
   */
  async downloadArtifacts(runId: string, path: string, dest: string, options: { readonly onProgress?: DownloadProgress } = {}): Promise<string> {
    return artifacts.downloadArtifacts(partsOf(this).session, runId, path, dest, options);
  }

  /** The dataset inputs a run recorded. @example `await tracker.getRunDatasets(runId)` */
  async getRunDatasets(runId: string): Promise<DatasetInfo[]> {
    return queries.runDatasets(partsOf(this).session, runId);
  }

  /**
   * Where a model version or a run came from: model version → run → datasets → code and
   * environment. Say which one you mean: a model ref (`"churn@1.2.0"`, or any ref
   * `getModelVersion` takes, as a string or `{ model, ref }`), or `{ runId }`.
   * @example `const { run, datasets, code } = await tracker.lineage("churn@champion")`
   * @example `await tracker.lineage({ runId })`
   */
  async lineage(target: LineageTarget): Promise<Lineage> {
    return artifacts.lineage(partsOf(this).session, (name, ref) => this.getModelVersion(name, ref), target);
  }

  /**
   * Compares runs (ids, or a search): params that differ, per metric last/min/max and the step
   * of the best value, the best run per metric (direction by option, else by name: loss and
   * error minimise, acc/auc/f1 maximise), datasets and git commit per run.
   * @example `const cmp = await tracker.compareRuns([a, b], { direction: { latency: "min" } })`
   */
  async compareRuns(runs: readonly string[] | SearchRunsOptions, options?: CompareRunsOptions): Promise<RunComparison> {
    return analysis.compareRuns(this, runs, options);
  }

  /**
   * Compares releases of a model (refs as `getModelVersion` takes them; all versions when
   * empty), with their semver, aliases and rationale.
   * @example `await tracker.compareModelVersions("churn", ["1.0.0", "champion"])`
   */
  async compareModelVersions(name: string, refs: readonly string[] = [], options?: CompareRunsOptions): Promise<ModelComparison> {
    return analysis.compareModelVersions(this, name, refs, options);
  }

  /**
   * Compares the explanations two releases carry (logged with `logExplanation` of
   * `mltrail/explain` and picked up by `registerModel`): per feature the change in global
   * importance, share and rank, flags for a rank moved by ≥ `rankMoved` or a share changed by
   * ≥ `shareChanged`, and a one-line verdict.
   * @example `const diff = await tracker.compareExplanations("churn@1.2.0", "churn@1.3.0", { rankMoved: 2, shareChanged: 0.1 })`
   */
  async compareExplanations(a: string, b: string, options?: CompareReleaseExplanationsOptions): Promise<ReleaseExplanationDiff> {
    return analysis.compareExplanations(this, a, b, options);
  }

  /**
   * Writes one self-contained HTML report (works offline; charts inlined) over an experiment,
   * a set of runs or a model's releases. The report code is loaded on first use.
   * @example `await tracker.report({ experiment: "churn", output: "report.html" })`
   */
  async report(options: WriteReportOptions): Promise<WriteReportResult> {
    return analysis.report(this, options);
  }

  /**
   * The experiments: active ones unless `viewType` asks for deleted ones (`"DELETED_ONLY"`, `"ALL"`).
   * @example `await tracker.listExperiments({ viewType: "ALL" })`
   */
  async listExperiments(options: { readonly viewType?: RunViewType } = {}): Promise<Experiment[]> {
    return queries.listExperiments(partsOf(this).session, options);
  }

  /** An experiment by name, or undefined. @example `await tracker.getExperimentByName("churn")` */
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    return queries.experimentByName(partsOf(this).session, name);
  }
}

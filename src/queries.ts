/**
 * The read side of a tracker: one interface, answered by the local store or by the tracking
 * server (src/remote/queries.ts).
 */
import { NotFoundError } from "./errors.js";
import type { Experiment, Metric, RunRecord, RunViewType } from "./model/types.js";
import { searchRunRecords, type SearchRunRecordsOptions } from "./store/filter.js";
import { copyRecord } from "./store/index/entry.js";
import { searchRunRecordsPage, type RunsPage, type SearchRunsPageOptions } from "./store/paging.js";
import type { LocalStore } from "./store/local-store.js";
import type { HistoryQuery } from "./store/series/history.js";
import { downloadLocal, listManifest, type ArtifactEntry, type DownloadProgress } from "./store/artifact-queries.js";
import type { DatasetRecord } from "./log/record.js";
import type { DatasetInfo } from "./artifacts/run-artifacts.js";

/** Queries a tracker answers. @internal */
export interface Queries {
  getRun(runId: string): Promise<RunRecord>;
  /** The run as a release records it: from facts that are complete (the local log when it holds the run). */
  runFacts(runId: string): Promise<RunRecord>;
  /** A metric's history, or the part `query` selects (a step range, the first points, a sample). */
  getMetricHistory(runId: string, key: string, query?: HistoryQuery): Promise<Metric[]>;
  getMetricHistories(runId: string, keys: readonly string[] | undefined): Promise<Record<string, Metric[]>>;
  /** Runs of these experiments; `view` picks them by lifecycle stage (default active only). */
  searchRuns(experimentNames: readonly string[], options: SearchRunRecordsOptions, view?: RunViewType): Promise<RunRecord[]>;
  /** One page of a search (MLflow's page tokens), with the same runs and order as `searchRuns`. */
  searchRunsPage(experimentNames: readonly string[], options: SearchRunsPageOptions, view?: RunViewType): Promise<RunsPage>;
  /** Experiments; `view` picks them by lifecycle stage (default active only). */
  listExperiments(view?: RunViewType): Promise<Experiment[]>;
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  listArtifacts(runId: string, path: string | undefined): Promise<ArtifactEntry[]>;
  downloadArtifacts(runId: string, path: string, dest: string, onProgress?: DownloadProgress): Promise<string>;
  runDatasets(runId: string): Promise<DatasetInfo[]>;
}

/** The public view of a dataset record. @internal */
export function toDatasetInfo(r: DatasetRecord): DatasetInfo {
  const { s: _s, t: _t, ts: _ts, ...info } = r;
  return info;
}

/** The experiments in the lifecycle stages asked. @internal */
export function byStage(experiments: readonly Experiment[], view: RunViewType): Experiment[] {
  return experiments.filter((e) => view === "ALL" || (view === "DELETED_ONLY") === (e.deleted === true));
}

/** Queries answered by the local store. @internal */
export class LocalQueries implements Queries {
  constructor(private readonly store: LocalStore) {}

  getRun(runId: string): Promise<RunRecord> {
    return this.store.getRun(runId);
  }

  runFacts(runId: string): Promise<RunRecord> {
    return this.store.getRun(runId);
  }

  getMetricHistory(runId: string, key: string, query?: HistoryQuery): Promise<Metric[]> {
    return this.store.getMetricHistory(runId, key, query);
  }

  getMetricHistories(runId: string, keys: readonly string[] | undefined): Promise<Record<string, Metric[]>> {
    return this.store.getMetricHistories(runId, keys);
  }

  private async experimentIds(experimentNames: readonly string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const name of experimentNames) {
      const exp = await this.store.getExperimentByName(name);
      if (exp === undefined) throw new NotFoundError(`experiment "${name}" not found in the local store`);
      ids.push(exp.experimentId);
    }
    return ids;
  }

  async searchRuns(experimentNames: readonly string[], options: SearchRunRecordsOptions, view?: RunViewType): Promise<RunRecord[]> {
    return searchRunRecords(await this.store.listRuns(await this.experimentIds(experimentNames), view), options).map(copyRecord);
  }

  /** One page of a search (MLflow's page tokens). */
  async searchRunsPage(experimentNames: readonly string[], options: SearchRunsPageOptions, view?: RunViewType): Promise<RunsPage> {
    const page = searchRunRecordsPage(await this.store.listRuns(await this.experimentIds(experimentNames), view), options);
    return { ...page, runs: page.runs.map(copyRecord) };
  }

  async listExperiments(view: RunViewType = "ACTIVE_ONLY"): Promise<Experiment[]> {
    return byStage(await this.store.listExperiments(), view);
  }

  getExperimentByName(name: string): Promise<Experiment | undefined> {
    return this.store.getExperimentByName(name);
  }

  async listArtifacts(runId: string, path: string | undefined): Promise<ArtifactEntry[]> {
    return listManifest((await this.store.runFiles(runId)).artifacts, path);
  }

  async downloadArtifacts(runId: string, path: string, dest: string, onProgress?: DownloadProgress): Promise<string> {
    const { paths, artifacts } = await this.store.runFiles(runId);
    return downloadLocal(paths.artifacts, artifacts, path, dest, onProgress);
  }

  async runDatasets(runId: string): Promise<DatasetInfo[]> {
    return (await this.store.runFiles(runId)).datasets.map(toDatasetInfo);
  }
}

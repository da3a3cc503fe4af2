/**
 * The local store as a backend: the run log answers every query itself and holds the model
 * registry; it is no replication target (it has no sink).
 */
import type { DatasetInfo } from "../artifacts/run-artifacts.js";
import type { MltrailError } from "../errors.js";
import type { Experiment, Metric, RunRecord, RunViewType } from "../model/types.js";
import { LocalQueries } from "../queries.js";
import type { ArtifactEntry, DownloadProgress } from "../store/artifact-queries.js";
import { searchRunRecords } from "../store/filter.js";
import { copyRecord } from "../store/index/entry.js";
import type { LocalStore } from "../store/local-store.js";
import { LocalRegistry } from "../store/registry.js";
import type { HistoryQuery } from "../store/series/history.js";
import type { BackendCapabilities, BackendQueries, BackendSearch, TrackingBackend } from "./types.js";

/** What the local store can do. */
export const LOCAL_CAPABILITIES: BackendCapabilities = Object.freeze({
  replication: false,
  queries: true,
  search: true,
  registry: true,
  artifacts: true,
  readBack: true,
  appendOnly: false,
});

/** The local store's answers by its own ids. @internal */
class LocalBackendQueries implements BackendQueries {
  private readonly local: LocalQueries;

  constructor(private readonly store: LocalStore) {
    this.local = new LocalQueries(store);
  }

  getRun(runId: string): Promise<RunRecord> {
    return this.local.getRun(runId);
  }

  getMetricHistory(runId: string, key: string, query?: HistoryQuery): Promise<Metric[]> {
    return this.local.getMetricHistory(runId, key, query);
  }

  async searchRuns(experimentIds: readonly string[], search: BackendSearch): Promise<RunRecord[]> {
    return searchRunRecords(await this.store.listRuns(experimentIds, search.view), search).map(copyRecord);
  }

  listExperiments(view?: RunViewType): Promise<Experiment[]> {
    return this.local.listExperiments(view);
  }

  getExperimentByName(name: string): Promise<Experiment | undefined> {
    return this.local.getExperimentByName(name);
  }

  listArtifacts(runId: string, path: string | undefined): Promise<ArtifactEntry[]> {
    return this.local.listArtifacts(runId, path);
  }

  downloadArtifacts(runId: string, path: string, dest: string, onProgress?: DownloadProgress): Promise<string> {
    return this.local.downloadArtifacts(runId, path, dest, onProgress);
  }

  runDatasets(runId: string): Promise<DatasetInfo[]> {
    return this.local.runDatasets(runId);
  }
}

/**
 * The local store (an opened run log) as a {@link TrackingBackend}. @internal
 * @param onError where damaged registry files are reported.
 */
export function localBackend(store: LocalStore, onError: (error: MltrailError) => void): TrackingBackend {
  return {
    kind: "local",
    target: store.layout.root,
    capabilities: LOCAL_CAPABILITIES,
    queries: new LocalBackendQueries(store),
    registry: new LocalRegistry(store.layout.root, onError),
    close: () => undefined,
  };
}

/**
 * The slices of the Tracker's public API that `compare/`, `report/` and `ab/` use, declared
 * from the entity types alone. Those folders depend on this leaf module, not on `tracker.ts`
 * or `index.ts`, so no import cycle runs through the package entry. A `Tracker` satisfies every
 * interface here structurally.
 *
 * @packageDocumentation
 */
import type { MetricHistoryOptions, SampledHistoryOptions } from "./store/series/history-options.js";
import type { DatasetInfo } from "./artifacts/run-artifacts.js";
import type { Experiment, Metric, RunRecord, SearchRunsOptions } from "./model/types.js";
import type { ModelVersion } from "./models.js";
import type { AuditEntry } from "./registry/store.js";
import type { Run } from "./run.js";
import type { StartRunOptions } from "./start-run.js";
import type { ArtifactEntry } from "./store/artifact-queries.js";

/**
 * Read access to runs, as `Tracker` offers it.
 * @example `const reader: RunReader = tracker;`
 */
export interface RunReader {
  /** See `Tracker.getRun`. */
  getRun(runId: string): Promise<RunRecord>;
  /** See `Tracker.getMetricHistory`. */
  getMetricHistory(runId: string, key: string, options?: MetricHistoryOptions): Promise<Metric[]>;
  /** See `Tracker.getSampledMetricHistory`. */
  getSampledMetricHistory(runId: string, key: string, options?: SampledHistoryOptions): Promise<Metric[]>;
  /** See `Tracker.getMetricHistories`. */
  getMetricHistories(runId: string, keys?: readonly string[]): Promise<Record<string, Metric[]>>;
  /** See `Tracker.searchRuns`. */
  searchRuns(options?: SearchRunsOptions): Promise<RunRecord[]>;
  /** See `Tracker.getRunDatasets`. */
  getRunDatasets(runId: string): Promise<DatasetInfo[]>;
  /** See `Tracker.getExperimentByName`. */
  getExperimentByName(name: string): Promise<Experiment | undefined>;
}

/**
 * Read access to the model registry, as `Tracker` offers it.
 * @example `const models: ModelReader = tracker;`
 */
export interface ModelReader {
  /** See `Tracker.getModelVersion`. */
  getModelVersion(nameOrRef: string, ref?: string): Promise<ModelVersion>;
  /** See `Tracker.listModelVersions`. */
  listModelVersions(name: string): Promise<ModelVersion[]>;
  /** See `Tracker.modelHistory`. */
  modelHistory(name: string): Promise<AuditEntry[]>;
}

/**
 * Starting runs, as `Tracker` offers it.
 * @example `const starter: RunStarter = tracker;`
 */
export interface RunStarter {
  /** See `Tracker.startRun`. */
  startRun(options?: StartRunOptions): Promise<Run>;
}

/**
 * Listing what a store holds: experiments and registered models, as `Tracker` offers it.
 * @example `const catalog: CatalogReader = tracker;`
 */
export interface CatalogReader {
  /** See `Tracker.listExperiments`. */
  listExperiments(): Promise<Experiment[]>;
  /** See `Tracker.listModels`. */
  listModels(): Promise<string[]>;
}

/**
 * Reading a run's artifacts, as `Tracker` offers it.
 * @example `const artifacts: ArtifactReader = tracker;`
 */
export interface ArtifactReader {
  /** See `Tracker.downloadArtifacts`. */
  downloadArtifacts(runId: string, path: string, dest: string): Promise<string>;
}

/**
 * Browsing a run's artifacts: listing folders and downloading files, as `Tracker` offers it.
 * @example `const artifacts: ArtifactBrowser = tracker;`
 */
export interface ArtifactBrowser extends ArtifactReader {
  /** See `Tracker.listArtifacts`. */
  listArtifacts(runId: string, path?: string): Promise<ArtifactEntry[]>;
}

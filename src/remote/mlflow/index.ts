/**
 * MLflow REST client: typed endpoints, entity types and wire encoding.
 *
 * @packageDocumentation
 */
export { MlflowClient } from "./client.js";
export { API, MlflowApiBase, isAlreadyExists, isNotFound } from "./base.js";
export type { MlflowClientOptions, RetryMode } from "./base.js";
export { MlflowExperimentsApi } from "./experiments.js";
export type { SearchExperimentsOptions, ViewType } from "./experiments.js";
export { METRIC_HISTORY_PAGE_SIZE, MlflowRunsApi } from "./runs.js";
export type { CreateRunOptions, LogBatchInput, SearchRunsRemoteOptions, UpdateRunOptions } from "./runs.js";
export { MlflowRegistryApi } from "./registry.js";
export type { CreateModelVersionOptions, SearchModelVersionsOptions } from "./registry.js";
export type {
  KeyValue,
  KeyValueInput,
  Page,
  RemoteDataset,
  RemoteDatasetInput,
  RemoteExperiment,
  RemoteMetric,
  RemoteModelVersion,
  RemoteRegisteredModel,
  RemoteRun,
  RemoteRunInfo,
} from "./types.js";
export {
  decodeMetricValue,
  encodeMetric,
  encodeMetricValue,
  parseResponse,
  Responses,
  toKeyValues,
  toRecord,
} from "./wire.js";
export type { WireMetric, WireMetricValue } from "./wire.js";

/**
 * mltrail: experiment tracking and model releases for TypeScript.
 *
 * @example
 * ```ts
 * import { Tracker } from "mltrail";
 * const tracker = new Tracker({ experiment: "churn" });
 * const run = await tracker.startRun({ name: "baseline", params: { lr: 1e-3 } });
 * run.logMetric("loss", 0.31, { step: 10 });
 * await run.end();
 * await tracker.close();
 * ```
 *
 * @module mltrail
 */
export { Tracker } from "./tracker.js";
export { VERSION } from "./version.js";
export { syncRuns } from "./remote/sync.js";
export type { SyncOptions, SyncProgress, SyncSummary } from "./remote/sync.js";
export type { StartRunOptions, RunTarget, TrackerStats, TrackerState, TrackerEvents, FlushResult, FlushOptions, RejectedRecord } from "./tracker.js";
export type { TargetStats } from "./tracker-types.js";
export type { GcResult } from "./store/lifecycle-ops.js";
export type { RunsPage } from "./store/paging.js";
export type { ReplicationHealth } from "./remote/health.js";
export type { HttpAuth } from "./remote/http-types.js";
export { Run } from "./run.js";
export type { MetricOptions, EndOptions } from "./run.js";
export type { ImageOptions, LoggedImage, TableInput, TableColumnsAndRows } from "./media/log.js";
export type { ImageInput, RawImage, TensorLike } from "./media/image.js";
export type { SystemMetricsOptions, ConsoleCaptureOptions, AddonSettings } from "./run-addons.js";
export type { TrackerOptions, ResolvedOptions, NamePolicy, Backend, LocalBackend, MlflowBackend, ExternalBackend, Env } from "./options.js";
// Backends: the interface every backend implements, and the registration of URI schemes (docs/backends.md).
export { registerBackend } from "./backends/schemes.js";
export type {
  TrackingBackend,
  BackendCapabilities,
  BackendQueries,
  BackendSearch,
  BackendContext,
  BackendFactory,
  CreateRunNow,
  ReplicationSink,
  SinkRun,
  SinkBatch,
} from "./backends/types.js";
export type { RegistryStore } from "./registry/store.js";
export type { Durability } from "./log/journal.js";
export type { MetricHistoryOptions, SampledHistoryOptions } from "./store/series/history-options.js";
export type { LogLevel, LogSink } from "./internal/logger.js";
export {
  MltrailError,
  ValidationError,
  ConflictError,
  NotFoundError,
  SpoolError,
  CorruptDataError,
  StorageFullError,
  StateError,
  ApiError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  ResourceNotFoundError,
  ResourceConflictError,
  PayloadTooLargeError,
  RateLimitError,
  ServerError,
  ConnectionError,
} from "./errors.js";
export { SourceEntryError } from "./artifacts/errors.js";
export type { SourceEntryProblem } from "./artifacts/errors.js";
export { MLFLOW_LIMITS } from "./model/limits.js";
export { diffSignatures } from "./registry/signature.js";
export type { ModelSignature, TensorSpec, Bump, Change, ChangeKind } from "./registry/signature.js";
export type { PrereleaseChannel } from "./registry/versioning.js";
export { architectureDigestOf } from "./registry/architecture.js";
export { releaseChangeLines } from "./registry/release.js";
export type { BumpPolicy, ChangeCategory } from "./registry/changes.js";
export type { ModelVersion, RegisterModelOptions } from "./models.js";
export type { ArtifactOptions, ArtifactInfo, LogModelOptions, LoggedModel, DatasetOptions, DatasetInfo } from "./artifacts/run-artifacts.js";
export type { ArtifactEntry, DownloadProgress } from "./store/artifact-queries.js";
export type { Lineage, LineageTarget } from "./lineage.js";
export type { ErrorDetail } from "./errors.js";
export { compareRuns, compareModelVersions, defaultDirection, compareImportances } from "./compare/index.js";
export type {
  CompareRunsOptions,
  RunComparison,
  ModelComparison,
  ComparedRun,
  ComparedVersion,
  MetricComparison,
  ParamsComparison,
  BestEntry,
  Direction,
  MetricSummary,
  BestBy,
  CompareExplanationsOptions,
  CompareReleaseExplanationsOptions,
  ExplainedRelease,
  ExplanationDiff,
  ExplanationFlag,
  FeatureChange,
  ReleaseExplanationDiff,
} from "./compare/index.js";
export type { WriteReportOptions, WriteReportResult } from "./report/index.js";
export type { ReportData, ChartData, ChartSeries } from "./report/data.js";
export type { ReportExplanations } from "./report/explanations.js";
export type { JournalRecord, MetricRecord, ParamRecord, TagRecord, EndRecord, ResumeRecord, ArtifactRecord, DatasetRecord } from "./log/record.js";
// A/B tests: the API a service uses. Hashing and statistics internals live in `mltrail/ab`.
export { createAbTest, openAbTest, AbTest, AB_KEY_TAG, AB_DEFAULT_EXPERIMENT, type AbTestView, type AbTracker, type AbReader } from "./ab/test.js";
export { formatAnalysis } from "./ab/format.js";
export type {
  AbTestOptions,
  AbVariantSpec,
  AbVariant,
  AbTestConfig,
  AbUnit,
  Assignment,
  AnalyzeOptions,
  AbAnalysis,
  AbVariantResult,
  AbComparison,
  AbDecision,
} from "./ab/types.js";
export type { RunReader, ModelReader, RunStarter } from "./tracker-api.js";
export { exportToTensorBoard } from "./targets/tensorboard/index.js";
export { exportToDvc } from "./targets/dvc/index.js";
export type { DvcExportOptions, DvcExportProgress, DvcExportResult, DvcRunExport } from "./targets/dvc/index.js";
export type { ExportSource } from "./targets/runs.js";
export type {
  TensorBoardExportOptions,
  TensorBoardExportProgress,
  TensorBoardExportResult,
  TensorBoardRunExport,
  TensorBoardSource,
} from "./targets/tensorboard/index.js";
export { TrainingLogger, type TrainingLoggerOptions, type TrainingRun } from "./training/logger.js";
export type { AuditEntry, DatasetRef, ReleaseChange, ReleaseExplanation, StoredVersion } from "./registry/store.js";
export type { BackendLimits } from "./model/limits.js";
export type {
  RunStatus,
  EndStatus,
  ParamValue,
  NestedParams,
  Metric,
  RunInfo,
  RunData,
  RunRecord,
  Experiment,
  SearchRunsOptions,
  SearchRunsPageRequest,
  RunViewType,
} from "./model/types.js";

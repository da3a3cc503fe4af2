/**
 * `mltrail/browser`: the tracking API for web pages (TF.js training loops, internal tools).
 * Same names and option shapes as the Node entry; records are kept in IndexedDB until the
 * MLflow server has them, and sent with `fetch`. No Node built-ins.
 *
 * @example
 * ```ts
 * import { Tracker } from "mltrail/browser";
 * const tracker = new Tracker({ trackingUri: "https://mlflow.example.com", experiment: "in-browser" });
 * await tracker.withRun({ name: "fit" }, async (run) => {
 *   run.logParams({ lr: 1e-3 });
 *   for (let step = 0; step < 10; step++) run.logMetric("loss", 1 / (step + 1), { step });
 * });
 * ```
 *
 * @packageDocumentation
 */
export { Tracker } from "./tracker.js";
export type { BrowserTrackerStats as TrackerStats, BrowserTrackerEvents as TrackerEvents } from "./types.js";
export { Run } from "./run.js";
export type { MetricOptions, EndOptions } from "./run.js";
export type { StartRunOptions } from "./start.js";
export type { ModelVersion, RegisterModelOptions } from "../models.js";
export type { Bump, ModelSignature } from "../registry/signature.js";
export type { TrackerOptions, BrowserAuth } from "./options.js";
export type { FlushOptions, FlushResult, RejectedRecord } from "./types.js";
export type { ReplicationHealth } from "../remote/health.js";
export type { BackendLimits } from "../model/limits.js";
export type { EndStatus, NestedParams, ParamValue } from "../model/types.js";
export type { JournalRecord, MetricRecord, ParamRecord, TagRecord, EndRecord, ResumeRecord } from "../log/record.js";
export { MLFLOW_LIMITS } from "../model/limits.js";
export { VERSION } from "../version.js";
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
} from "../errors.js";

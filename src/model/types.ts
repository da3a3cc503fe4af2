/**
 * Entity types shared by every store and backend. Field names follow MLflow's entities in
 * camelCase; ids are strings; times are integer milliseconds since the Unix epoch.
 *
 * @packageDocumentation
 */

/**
 * Lifecycle status of a run, as in MLflow.
 * @example `"FINISHED"`
 */
export type RunStatus = "RUNNING" | "SCHEDULED" | "FINISHED" | "FAILED" | "KILLED";

/** Statuses a user may end a run with. @example `await run.end({ status: "FAILED" })` */
export type EndStatus = "FINISHED" | "FAILED" | "KILLED";

/**
 * A param value as accepted by logging calls; stored as a string, like MLflow.
 * @example `run.logParam("lr", 0.001)` stores `"0.001"`.
 */
export type ParamValue = string | number | boolean;

/**
 * Params as accepted by `logParams` and `startRun({ params })`: values, nested plain objects
 * (flattened to dotted keys: `{ optimizer: { lr: 0.1 } }` logs `optimizer.lr`) and arrays
 * (stored as JSON text: `[64, 32]` logs `"[64,32]"`).
 * @example `run.logParams({ optimizer: { name: "adam", lr: 0.1 }, layers: [64, 32] })`
 */
export type NestedParams = { readonly [key: string]: ParamValue | NestedParams | readonly unknown[] };

/**
 * One metric data point.
 * @example `{ key: "loss", value: 0.31, step: 10, timestamp: 1764170000000 }`
 */
export interface Metric {
  /** Metric name. */
  readonly key: string;
  /** Value; may be `NaN` or `±Infinity`. */
  readonly value: number;
  /** Training step (integer). @default 0 */
  readonly step: number;
  /** When it was logged, ms since the epoch. */
  readonly timestamp: number;
}

/**
 * Identity and lifecycle of a run.
 * @example `(await tracker.getRun(id)).info.status`
 */
export interface RunInfo {
  /** The run id (the server's id once known, for runs on a server). */
  readonly runId: string;
  /** Experiment the run belongs to. */
  readonly experimentId: string;
  /** Display name (`mlflow.runName`). */
  readonly name: string;
  /** Status. A run whose process died without ending reads as `KILLED` with `crashed: true`. */
  readonly status: RunStatus;
  /** Start time, ms since the epoch. */
  readonly startTime: number;
  /** End time, ms since the epoch; absent while running. */
  readonly endTime?: number;
  /** Parent run for nested runs. */
  readonly parentRunId?: string;
  /** True when the writing process stopped without ending the run (SIGKILL, power loss, OOM). */
  readonly crashed?: boolean;
  /** True when the run is deleted (`tracker.deleteRun`): searches skip it unless asked; `restoreRun` brings it back. Absent when active. */
  readonly deleted?: boolean;
}

/**
 * Everything logged to a run, folded: params, the latest value of each metric, tags.
 * @example `run.data.metrics.loss`
 */
export interface RunData {
  /** Params as strings. */
  readonly params: Readonly<Record<string, string>>;
  /** Latest value per metric key: the greatest by (step, timestamp, value), as MLflow. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Tags, last write wins. */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * A run as returned by queries.
 * @example `const { info, data } = await tracker.getRun(run.id);`
 */
export interface RunRecord {
  /** Identity and lifecycle. */
  readonly info: RunInfo;
  /** Logged values. */
  readonly data: RunData;
}

/**
 * An experiment: a named group of runs.
 * @example `await tracker.getExperimentByName("churn")`
 */
export interface Experiment {
  /** Experiment id (`"0"` is `Default`). */
  readonly experimentId: string;
  /** Unique name. */
  readonly name: string;
  /** Creation time, ms since the epoch. */
  readonly creationTime: number;
  /** Experiment tags. */
  readonly tags: Readonly<Record<string, string>>;
  /** True when the experiment is deleted (`tracker.deleteExperiment`); absent when active. */
  readonly deleted?: boolean;
}

/**
 * Options of `searchRuns`.
 * @example `{ experiment: "churn", filter: "metrics.acc > 0.9", orderBy: ["metrics.acc DESC"], maxResults: 10 }`
 */
export interface SearchRunsOptions {
  /** Experiment name(s) to search. @default the tracker's experiment */
  readonly experiment?: string | readonly string[];
  /** A filter in MLflow's syntax (the subset documented in the README). @default no filter */
  readonly filter?: string;
  /** Order clauses such as `"metrics.acc DESC"`, `"attributes.start_time"`. @default `["attributes.start_time DESC"]` */
  readonly orderBy?: readonly string[];
  /** Most runs to return. @default 1000 */
  readonly maxResults?: number;
  /**
   * Which runs by lifecycle stage: `"ACTIVE_ONLY"`, `"DELETED_ONLY"` (deleted with
   * `deleteRun` or with their experiment) or `"ALL"` (MLflow's `run_view_type`).
   * @default "ACTIVE_ONLY"
   */
  readonly runViewType?: RunViewType;
}

/**
 * Options of `searchRunsPage`: those of `searchRuns`, and where to continue.
 * @example `{ filter: "metrics.acc > 0.9", maxResults: 100, pageToken: previous.nextPageToken }`
 */
export interface SearchRunsPageRequest extends SearchRunsOptions {
  /** The `nextPageToken` of the previous page (MLflow's page token). @default the first page */
  readonly pageToken?: string | undefined;
}

/**
 * Which runs a search returns by lifecycle stage (MLflow's `run_view_type`).
 * @example `await tracker.searchRuns({ runViewType: "DELETED_ONLY" })`
 */
export type RunViewType = "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL";

/**
 * camelCase entity types returned by {@link MlflowClient}. Run shapes match
 * `RunRecord` from `src/model/types.ts` and add server-only fields.
 *
 * @packageDocumentation
 */
import type { Metric, RunData, RunInfo, RunRecord } from "../../model/types.js";

/**
 * A `{key, value}` pair as MLflow sends tags and params.
 * @example `{ key: "team", value: "growth" }`
 */
export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

/**
 * Tags or params given either as a record or as ordered pairs (order matters for tags:
 * the last write wins).
 * @example `{ team: "growth" }` or `[{ key: "team", value: "growth" }]`
 */
export type KeyValueInput = Readonly<Record<string, string>> | readonly KeyValue[];

/**
 * One page of a paginated search.
 * @example `const { items, nextPageToken } = await client.searchRuns({ experimentIds: ["1"] });`
 */
export interface Page<T> {
  readonly items: readonly T[];
  /** Pass back as `pageToken` to get the next page; absent on the last page. */
  readonly nextPageToken?: string;
}

/**
 * An experiment on the server.
 * @example `(await client.getExperimentByName("churn"))?.experimentId`
 */
export interface RemoteExperiment {
  readonly experimentId: string;
  readonly name: string;
  /** `"active"` or `"deleted"`. */
  readonly lifecycleStage: string;
  readonly artifactLocation?: string;
  /** ms since the epoch. */
  readonly creationTime?: number;
  /** ms since the epoch. */
  readonly lastUpdateTime?: number;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * Run identity and lifecycle, as `RunInfo` plus server fields.
 * @example `run.info.artifactUri`
 */
export interface RemoteRunInfo extends RunInfo {
  /** `"active"` or `"deleted"`. */
  readonly lifecycleStage: string;
  readonly artifactUri?: string;
  readonly userId?: string;
}

/**
 * A dataset used as a run input.
 * @example `{ name: "train", digest: "abc123", sourceType: "local", source: "{\"uri\":\"data.csv\"}" }`
 */
export interface RemoteDataset {
  readonly name: string;
  readonly digest: string;
  readonly sourceType: string;
  readonly source: string;
  readonly schema?: string;
  readonly profile?: string;
}

/**
 * A dataset input edge with its tags (e.g. `mlflow.data.context`).
 * @example `{ dataset, tags: { "mlflow.data.context": "training" } }`
 */
export interface RemoteDatasetInput {
  readonly dataset: RemoteDataset;
  readonly tags?: KeyValueInput;
}

/**
 * A run on the server. `data.metrics` holds the latest value per key; NaN and ±Infinity
 * are decoded to numbers.
 * @example `const run = await client.getRun(id); run.data.params.lr`
 */
export interface RemoteRun extends RunRecord {
  readonly info: RemoteRunInfo;
  readonly data: RunData;
  /** Dataset inputs, when the server sent any. */
  readonly datasetInputs: readonly { readonly dataset: RemoteDataset; readonly tags: Readonly<Record<string, string>> }[];
}

/**
 * A metric data point read from the server.
 * @example `{ key: "loss", value: NaN, step: 3, timestamp: 1764170000000 }`
 */
export interface RemoteMetric extends Metric {
  /** The run, when the endpoint reports it. */
  readonly runId?: string;
}

/**
 * A registered model.
 * @example `(await client.getRegisteredModel("churn"))?.aliases.champion // "3"`
 */
export interface RemoteRegisteredModel {
  readonly name: string;
  readonly creationTimestamp?: number;
  readonly lastUpdatedTimestamp?: number;
  readonly description?: string;
  readonly userId?: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Alias → version. */
  readonly aliases: Readonly<Record<string, string>>;
  /** Latest version per stage (legacy stages), as the server sends it. */
  readonly latestVersions: readonly RemoteModelVersion[];
}

/**
 * A model version. `version` is MLflow's integer version as a string.
 * @example `{ name: "churn", version: "3", source: "runs:/abc/model", aliases: ["champion"], … }`
 */
export interface RemoteModelVersion {
  readonly name: string;
  readonly version: string;
  readonly source: string;
  readonly runId?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly aliases: readonly string[];
  readonly description?: string;
  readonly creationTimestamp: number;
  readonly lastUpdatedTimestamp?: number;
  /** `READY`, `PENDING_REGISTRATION` or `FAILED_REGISTRATION`. */
  readonly status?: string;
  /** Legacy stage (`"None"`, `"Staging"`, …). */
  readonly currentStage?: string;
  readonly userId?: string;
  readonly runLink?: string;
  readonly modelId?: string;
}

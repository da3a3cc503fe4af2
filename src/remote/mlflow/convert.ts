/**
 * Maps parsed wire objects (snake_case) to the camelCase types in `./types.ts`.
 *
 * @packageDocumentation
 * @internal
 */
import type * as z from "zod/mini";
import type { RunData, RunStatus } from "../../model/types.js";
import type { RemoteDataset, RemoteExperiment, RemoteMetric, RemoteModelVersion, RemoteRegisteredModel, RemoteRun, RemoteRunInfo } from "./types.js";
import { toRecord } from "./wire.js";
import type { DatasetSchema, ExperimentSchema, MetricSchema, ModelVersionSchema, RegisteredModelSchema, RunInfoSchema, RunSchema } from "./wire.js";
import { MLFLOW_TAGS } from "../../model/system-tags.js";

/** Copies only the defined entries, as `exactOptionalPropertyTypes` wants. */
function defined<T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined | null> } {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== null) out[key] = value;
  return out as { [K in keyof T]?: Exclude<T[K], undefined | null> };
}

/** @internal @example `toExperiment(ExperimentSchema.parse(body.experiment))` */
export function toExperiment(e: z.output<typeof ExperimentSchema>): RemoteExperiment {
  return {
    experimentId: e.experiment_id,
    name: e.name,
    lifecycleStage: e.lifecycle_stage ?? "active",
    tags: toRecord(e.tags),
    ...defined({ artifactLocation: e.artifact_location, creationTime: e.creation_time, lastUpdateTime: e.last_update_time }),
  };
}

/** @internal @example `toMetric(MetricSchema.parse(m))` */
export function toMetric(m: z.output<typeof MetricSchema>): RemoteMetric {
  return { key: m.key, value: m.value, step: m.step ?? 0, timestamp: m.timestamp ?? 0, ...defined({ runId: m.run_id }) };
}

/** @internal @example `toRunInfo(RunInfoSchema.parse(body.run_info), tags)` */
export function toRunInfo(i: z.output<typeof RunInfoSchema>, tags: Readonly<Record<string, string>> = {}): RemoteRunInfo {
  const status: RunStatus = i.status ?? "RUNNING";
  return {
    runId: i.run_id ?? i.run_uuid ?? "",
    experimentId: i.experiment_id,
    name: i.run_name ?? tags[MLFLOW_TAGS.runName] ?? "",
    status,
    startTime: i.start_time ?? 0,
    lifecycleStage: i.lifecycle_stage ?? "active",
    ...(i.lifecycle_stage === "deleted" ? { deleted: true } : {}),
    ...defined({
      endTime: i.end_time,
      artifactUri: i.artifact_uri,
      userId: i.user_id,
      parentRunId: tags[MLFLOW_TAGS.parentRunId],
    }),
  };
}

function toDataset(d: z.output<typeof DatasetSchema>): RemoteDataset {
  return {
    name: d.name,
    digest: d.digest,
    sourceType: d.source_type ?? "",
    source: d.source ?? "",
    ...defined({ schema: d.schema, profile: d.profile }),
  };
}

/**
 * Folds the latest metrics of a run into a record. The server sends one value per key;
 * if several arrive, the greatest by (step, timestamp) wins.
 */
function latestMetrics(metrics: readonly z.output<typeof MetricSchema>[] | undefined): Record<string, number> {
  const best = new Map<string, { step: number; timestamp: number; value: number }>();
  for (const m of metrics ?? []) {
    const candidate = { step: m.step ?? 0, timestamp: m.timestamp ?? 0, value: m.value };
    const current = best.get(m.key);
    if (current === undefined || candidate.step > current.step || (candidate.step === current.step && candidate.timestamp >= current.timestamp)) {
      best.set(m.key, candidate);
    }
  }
  return Object.fromEntries([...best].map(([key, { value }]) => [key, value]));
}

/** @internal @example `toRun(RunSchema.parse(body.run))` */
export function toRun(r: z.output<typeof RunSchema>): RemoteRun {
  const tags = toRecord(r.data?.tags);
  const data: RunData = { params: toRecord(r.data?.params), metrics: latestMetrics(r.data?.metrics), tags };
  return {
    info: toRunInfo(r.info, tags),
    data,
    datasetInputs: (r.inputs?.dataset_inputs ?? []).map((input) => ({
      dataset: toDataset(input.dataset),
      tags: toRecord(input.tags),
    })),
  };
}

/** @internal @example `toModelVersion(ModelVersionSchema.parse(body.model_version))` */
export function toModelVersion(v: z.output<typeof ModelVersionSchema>): RemoteModelVersion {
  return {
    name: v.name,
    version: v.version,
    source: v.source ?? "",
    tags: toRecord(v.tags),
    aliases: v.aliases ?? [],
    creationTimestamp: v.creation_timestamp ?? 0,
    ...defined({
      runId: v.run_id === "" ? undefined : v.run_id,
      description: v.description,
      lastUpdatedTimestamp: v.last_updated_timestamp,
      status: v.status,
      currentStage: v.current_stage,
      userId: v.user_id,
      runLink: v.run_link === "" ? undefined : v.run_link,
      modelId: v.model_id === "" ? undefined : v.model_id,
    }),
  };
}

/** @internal @example `toRegisteredModel(RegisteredModelSchema.parse(body.registered_model))` */
export function toRegisteredModel(m: z.output<typeof RegisteredModelSchema>): RemoteRegisteredModel {
  return {
    name: m.name,
    tags: toRecord(m.tags),
    aliases: Object.fromEntries((m.aliases ?? []).map(({ alias, version }) => [alias, version])),
    latestVersions: (m.latest_versions ?? []).map(toModelVersion),
    ...defined({
      creationTimestamp: m.creation_timestamp,
      lastUpdatedTimestamp: m.last_updated_timestamp,
      description: m.description,
      userId: m.user_id,
    }),
  };
}

/**
 * The datasets of a run as mltrail reads them: the digest mltrail logged (tag
 * `mltrail.digest`) over MLflow's own, and the `mlflow.data.context` tag.
 * @example `runDatasetsOf(await client.getRun(id))[0]?.digest`
 */
export function runDatasetsOf(run: Pick<RemoteRun, "datasetInputs">): {
  name: string;
  digest: string;
  source: string;
  sourceType: string;
  context?: string;
  schema?: string;
  profile?: string;
}[] {
  return run.datasetInputs.map(({ dataset, tags }) => ({
    name: dataset.name,
    digest: tags["mltrail.digest"] ?? dataset.digest,
    source: dataset.source,
    sourceType: dataset.sourceType,
    ...(tags[MLFLOW_TAGS.dataContext] === undefined ? {} : { context: tags[MLFLOW_TAGS.dataContext] }),
    ...(dataset.schema === undefined ? {} : { schema: dataset.schema }),
    ...(dataset.profile === undefined ? {} : { profile: dataset.profile }),
  }));
}

/**
 * MLflow wire encoding: metric values (NaN/±Infinity as strings), `{key, value}` lists ↔
 * records, and zod schemas for the responses we parse. Schemas keep only the fields we use,
 * accept int64 as numbers or strings, and tolerate missing optional fields.
 *
 * ±Infinity: MLflow's SQL store saves ±Infinity as ±1.7976931348623157e308
 * (`Number.MAX_VALUE`) and a live 3.18 server returns that finite number, while NaN comes back
 * as the string `"NaN"`. {@link decodeMetricValue} maps ±`Number.MAX_VALUE` back to ±Infinity,
 * so what mltrail logged reads back equal; logging exactly `Number.MAX_VALUE` therefore reads
 * back as `Infinity` (the server cannot tell them apart anyway).
 *
 * @packageDocumentation
 */
import { z } from "zod";
import { MltrailError } from "../../errors.js";
import type { Metric } from "../../model/types.js";
import type { KeyValue, KeyValueInput } from "./types.js";

/**
 * A metric value as JSON: a number, or `"NaN"` / `"Infinity"` / `"-Infinity"`.
 * @example `encodeMetricValue(NaN) // "NaN"`
 */
export type WireMetricValue = number | "NaN" | "Infinity" | "-Infinity";

/**
 * Encodes a metric value for JSON (`JSON.stringify(NaN)` would give `null`).
 * @example `encodeMetricValue(-Infinity) // "-Infinity"`
 */
export function encodeMetricValue(value: number): WireMetricValue {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  return value;
}

/**
 * Decodes a metric value from the wire: numbers, numeric strings, `"NaN"`, `"Infinity"`,
 * `"-Infinity"` (also `"inf"`/`"-inf"`, any case). ±`Number.MAX_VALUE` becomes ±Infinity (see
 * the module notes). Returns `undefined` for anything else.
 *
 * @example `decodeMetricValue("NaN") // NaN`, `decodeMetricValue(1.7976931348623157e308) // Infinity`
 */
export function decodeMetricValue(value: unknown): number | undefined {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string") {
    const s = value.trim().toLowerCase();
    if (s === "nan") return NaN;
    if (s === "infinity" || s === "+infinity" || s === "inf" || s === "+inf") return Infinity;
    if (s === "-infinity" || s === "-inf") return -Infinity;
    if (s === "" || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/.test(s)) return undefined;
    n = Number(s);
  } else return undefined;
  if (n === Number.MAX_VALUE) return Infinity;
  if (n === -Number.MAX_VALUE) return -Infinity;
  return n;
}

/**
 * A metric as sent in `log-batch`.
 * @example `{ key: "loss", value: "NaN", timestamp: 1764170000000, step: 3 }`
 */
export interface WireMetric {
  readonly key: string;
  readonly value: WireMetricValue;
  readonly timestamp: number;
  readonly step: number;
}

/**
 * Encodes a metric for `log-batch`.
 * @example `encodeMetric({ key: "loss", value: Infinity, step: 0, timestamp: 1 })`
 */
export function encodeMetric(metric: Metric): WireMetric {
  return { key: metric.key, value: encodeMetricValue(metric.value), timestamp: metric.timestamp, step: metric.step };
}

/**
 * Turns a record or an ordered list into MLflow's `[{key, value}]` (order kept).
 * @example `toKeyValues({ a: "1" }) // [{ key: "a", value: "1" }]`
 */
export function toKeyValues(input: KeyValueInput | undefined): KeyValue[] {
  if (input === undefined) return [];
  if (Array.isArray(input)) return (input as readonly KeyValue[]).map(({ key, value }) => ({ key, value }));
  return Object.entries(input as Readonly<Record<string, string>>).map(([key, value]) => ({ key, value }));
}

/**
 * Folds `[{key, value}]` into a record; a repeated key keeps the last value.
 * @example `toRecord([{ key: "a", value: "1" }]) // { a: "1" }`
 */
export function toRecord(list: readonly { key: string; value?: string | undefined }[] | undefined): Record<string, string> {
  // fromEntries defines own properties: a tag named __proto__ stays a tag.
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, value ?? ""]));
}

/** int64 as MLflow sends it (a JSON number), or as stock protobuf JSON does (a string). */
const int64 = z.union([z.number(), z.string().regex(/^-?\d+$/)]).transform(Number);
/** Ids are strings on the wire; accept numbers too. */
const id = z.union([z.string(), z.number()]).transform(String);
const metricValue = z.unknown().transform((value, ctx) => {
  const decoded = decodeMetricValue(value);
  if (decoded === undefined) {
    ctx.addIssue({ code: "custom", message: "not a metric value" });
    return z.NEVER;
  }
  return decoded;
});
const pageToken = z
  .string()
  .optional()
  .transform((t) => (t === "" ? undefined : t));

/** `{key, value}`; a missing value reads as `""`. @example `KeyValueSchema.parse({ key: "a" })` */
export const KeyValueSchema = z.object({ key: z.string(), value: z.string().optional() });
const keyValues = z.array(KeyValueSchema).optional();

/** MLflow `Experiment`. @example `ExperimentSchema.parse(body.experiment)` */
export const ExperimentSchema = z.object({
  experiment_id: id,
  name: z.string(),
  artifact_location: z.string().optional(),
  lifecycle_stage: z.string().optional(),
  creation_time: int64.optional(),
  last_update_time: int64.optional(),
  tags: keyValues,
});

/** MLflow `Metric`. @example `MetricSchema.parse({ key: "m", value: "NaN", timestamp: 1, step: 0 })` */
export const MetricSchema = z.object({
  key: z.string(),
  value: metricValue,
  timestamp: int64.optional(),
  step: int64.optional(),
  run_id: z.string().optional(),
});

/** MLflow `RunInfo` (`run_id`, or the deprecated `run_uuid`). @example `RunInfoSchema.parse(body.run_info)` */
export const RunInfoSchema = z
  .object({
    run_id: z.string().optional(),
    run_uuid: z.string().optional(),
    run_name: z.string().optional(),
    experiment_id: id,
    user_id: z.string().optional(),
    status: z.enum(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]).optional(),
    start_time: int64.optional(),
    end_time: int64.nullable().optional(),
    artifact_uri: z.string().optional(),
    lifecycle_stage: z.string().optional(),
  })
  .refine((info) => (info.run_id ?? info.run_uuid) !== undefined, { message: "run_id is missing" });

/** MLflow `Dataset`. @example `DatasetSchema.parse(input.dataset)` */
export const DatasetSchema = z.object({
  name: z.string(),
  digest: z.string(),
  source_type: z.string().optional(),
  source: z.string().optional(),
  schema: z.string().optional(),
  profile: z.string().optional(),
});

/** MLflow `Run`. @example `RunSchema.parse(body.run)` */
export const RunSchema = z.object({
  info: RunInfoSchema,
  data: z.object({ metrics: z.array(MetricSchema).optional(), params: keyValues, tags: keyValues }).optional(),
  inputs: z.object({ dataset_inputs: z.array(z.object({ tags: keyValues, dataset: DatasetSchema })).optional() }).optional(),
});

/** MLflow `ModelVersion`. @example `ModelVersionSchema.parse(body.model_version)` */
export const ModelVersionSchema = z.object({
  name: z.string(),
  version: id,
  creation_timestamp: int64.optional(),
  last_updated_timestamp: int64.optional(),
  user_id: z.string().optional(),
  current_stage: z.string().optional(),
  description: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  status: z.string().optional(),
  run_link: z.string().optional(),
  model_id: z.string().optional(),
  tags: keyValues,
  aliases: z.array(z.string()).optional(),
});

/** MLflow `RegisteredModel`. @example `RegisteredModelSchema.parse(body.registered_model)` */
export const RegisteredModelSchema = z.object({
  name: z.string(),
  creation_timestamp: int64.optional(),
  last_updated_timestamp: int64.optional(),
  user_id: z.string().optional(),
  description: z.string().optional(),
  tags: keyValues,
  aliases: z.array(z.object({ alias: z.string(), version: id })).optional(),
  latest_versions: z.array(ModelVersionSchema).optional(),
});

/**
 * Response schemas, one per response shape. Empty pages may omit the list entirely.
 * @example `parseResponse(Responses.getRun, body, endpoint).run`
 */
export const Responses = {
  /** Write endpoints answer `{}`: anything but a JSON object (an HTML page, garbage) is not an acknowledgement. */
  empty: z.object({}),
  experiment: z.object({ experiment: ExperimentSchema }),
  experimentId: z.object({ experiment_id: id }),
  experiments: z.object({ experiments: z.array(ExperimentSchema).optional(), next_page_token: pageToken }),
  run: z.object({ run: RunSchema }),
  runInfo: z.object({ run_info: RunInfoSchema }),
  runs: z.object({ runs: z.array(RunSchema).optional(), next_page_token: pageToken }),
  metrics: z.object({ metrics: z.array(MetricSchema).optional(), next_page_token: pageToken }),
  registeredModel: z.object({ registered_model: RegisteredModelSchema }),
  modelVersion: z.object({ model_version: ModelVersionSchema }),
  modelVersions: z.object({ model_versions: z.array(ModelVersionSchema).optional(), next_page_token: pageToken }),
} as const;

/**
 * Validates a response body with `schema`; a mismatch throws an `MltrailError` with code
 * `INVALID_RESPONSE` naming the endpoint and the first problems (the body itself is not quoted).
 *
 * @example `const { run } = parseResponse(Responses.run, body, "/api/2.0/mlflow/runs/get");`
 */
export function parseResponse<S extends z.ZodType>(schema: S, data: unknown, endpoint: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
  throw new MltrailError(`${endpoint}: unexpected response from the server (${problems})`, { code: "INVALID_RESPONSE" });
}

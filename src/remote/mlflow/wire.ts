/**
 * MLflow wire encoding: metric values (NaN/±Infinity as strings), `{key, value}` lists ↔
 * records, and zod schemas for the responses we parse (zod's tree-shakable `zod/mini` API, so
 * the browser build stays small). Schemas keep only the fields we use,
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
import * as z from "zod/mini";
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
const int64 = z.pipe(
  z.union([z.number(), z.string().check(z.regex(/^-?\d+$/, "must be an integer"))]),
  z.transform((v: number | string) => Number(v)),
);
/** Ids are strings on the wire; accept numbers too. */
const id = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform((v: string | number) => String(v)),
);
const metricValue = z.pipe(
  z.unknown(),
  z.transform((value: unknown, ctx) => {
    const decoded = decodeMetricValue(value);
    if (decoded === undefined) {
      ctx.issues.push({ code: "custom", message: "not a metric value", input: value });
      return z.NEVER;
    }
    return decoded;
  }),
);
const str = z.string();
const optStr = z.optional(str);
const pageToken = z.pipe(
  optStr,
  z.transform((t: string | undefined) => (t === "" ? undefined : t)),
);

/** `{key, value}`; a missing value reads as `""`. @example `KeyValueSchema.parse({ key: "a" })` */
export const KeyValueSchema = z.object({ key: str, value: optStr });
const keyValues = z.optional(z.array(KeyValueSchema));

/** MLflow `Experiment`. @example `ExperimentSchema.parse(body.experiment)` */
export const ExperimentSchema = z.object({
  experiment_id: id,
  name: str,
  artifact_location: optStr,
  lifecycle_stage: optStr,
  creation_time: z.optional(int64),
  last_update_time: z.optional(int64),
  tags: keyValues,
});

/** MLflow `Metric`. @example `MetricSchema.parse({ key: "m", value: "NaN", timestamp: 1, step: 0 })` */
export const MetricSchema = z.object({
  key: str,
  value: metricValue,
  timestamp: z.optional(int64),
  step: z.optional(int64),
  run_id: optStr,
});

/** MLflow `RunInfo` (`run_id`, or the deprecated `run_uuid`). @example `RunInfoSchema.parse(body.run_info)` */
export const RunInfoSchema = z
  .object({
    run_id: optStr,
    run_uuid: optStr,
    run_name: optStr,
    experiment_id: id,
    user_id: optStr,
    status: z.optional(z.enum(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"])),
    start_time: z.optional(int64),
    end_time: z.optional(z.nullable(int64)),
    artifact_uri: optStr,
    lifecycle_stage: optStr,
  })
  .check(z.refine((info) => (info.run_id ?? info.run_uuid) !== undefined, { message: "run_id is missing" }));

/** MLflow `Dataset`. @example `DatasetSchema.parse(input.dataset)` */
export const DatasetSchema = z.object({
  name: str,
  digest: str,
  source_type: optStr,
  source: optStr,
  schema: optStr,
  profile: optStr,
});

/** MLflow `Run`. @example `RunSchema.parse(body.run)` */
export const RunSchema = z.object({
  info: RunInfoSchema,
  data: z.optional(z.object({ metrics: z.optional(z.array(MetricSchema)), params: keyValues, tags: keyValues })),
  inputs: z.optional(z.object({ dataset_inputs: z.optional(z.array(z.object({ tags: keyValues, dataset: DatasetSchema }))) })),
});

/** MLflow `ModelVersion`. @example `ModelVersionSchema.parse(body.model_version)` */
export const ModelVersionSchema = z.object({
  name: str,
  version: id,
  creation_timestamp: z.optional(int64),
  last_updated_timestamp: z.optional(int64),
  user_id: optStr,
  current_stage: optStr,
  description: optStr,
  source: optStr,
  run_id: optStr,
  status: optStr,
  run_link: optStr,
  model_id: optStr,
  tags: keyValues,
  aliases: z.optional(z.array(str)),
});

/** MLflow `RegisteredModel`. @example `RegisteredModelSchema.parse(body.registered_model)` */
export const RegisteredModelSchema = z.object({
  name: str,
  creation_timestamp: z.optional(int64),
  last_updated_timestamp: z.optional(int64),
  user_id: optStr,
  description: optStr,
  tags: keyValues,
  aliases: z.optional(z.array(z.object({ alias: str, version: id }))),
  latest_versions: z.optional(z.array(ModelVersionSchema)),
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
  experiments: z.object({ experiments: z.optional(z.array(ExperimentSchema)), next_page_token: pageToken }),
  run: z.object({ run: RunSchema }),
  runInfo: z.object({ run_info: RunInfoSchema }),
  runs: z.object({ runs: z.optional(z.array(RunSchema)), next_page_token: pageToken }),
  metrics: z.object({ metrics: z.optional(z.array(MetricSchema)), next_page_token: pageToken }),
  registeredModel: z.object({ registered_model: RegisteredModelSchema }),
  modelVersion: z.object({ model_version: ModelVersionSchema }),
  modelVersions: z.object({ model_versions: z.optional(z.array(ModelVersionSchema)), next_page_token: pageToken }),
} as const;

/**
 * Validates a response body with `schema`; a mismatch throws an `MltrailError` with code
 * `INVALID_RESPONSE` naming the endpoint and the first problems (the body itself is not quoted).
 *
 * @example `const { run } = parseResponse(Responses.run, body, "/api/2.0/mlflow/runs/get");`
 */
export function parseResponse<S extends z.ZodMiniType>(schema: S, data: unknown, endpoint: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
  throw new MltrailError(`${endpoint}: unexpected response from the server (${problems})`, { code: "INVALID_RESPONSE" });
}

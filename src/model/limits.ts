/**
 * MLflow's limits and name rules: the one table every validator and batcher reads.
 * Sources: MLflow's `mlflow/utils/validation.py` and SQL column sizes (see docs/local-store.md).
 *
 * @packageDocumentation
 */

/**
 * Size limits of one backend. The defaults are MLflow OSS's; some servers are stricter
 * (Azure ML accepts 200 metrics per batch), so the replicator takes them as an option.
 *
 * @example
 * ```ts
 * new Tracker({ trackingUri: "https://azureml…", limits: { metricsPerBatch: 200 } });
 * ```
 */
export interface BackendLimits {
  /** Longest metric, param or tag key. @default 250 */
  readonly keyLength: number;
  /** Longest param value. @default 6000 */
  readonly paramValueLength: number;
  /** Longest run tag value. @default 8000 */
  readonly tagValueLength: number;
  /** Longest experiment name (MLflow allows 500, but its SQL column holds 256). @default 256 */
  readonly experimentNameLength: number;
  /** Longest run name. @default 250 */
  readonly runNameLength: number;
  /** Metrics in one log-batch request. @default 1000 */
  readonly metricsPerBatch: number;
  /** Params in one log-batch request. @default 100 */
  readonly paramsPerBatch: number;
  /** Tags in one log-batch request. @default 100 */
  readonly tagsPerBatch: number;
  /** Metrics + params + tags in one log-batch request. @default 1000 */
  readonly entitiesPerBatch: number;
  /** Largest log-batch request body in bytes. @default 900000 */
  readonly batchBytes: number;
}

/**
 * MLflow OSS limits.
 * @example `MLFLOW_LIMITS.paramValueLength // 6000`
 */
export const MLFLOW_LIMITS: BackendLimits = Object.freeze({
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentNameLength: 256,
  runNameLength: 250,
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  batchBytes: 900_000,
});

/** Characters allowed in a key: Unicode letters and digits, `_ / . - :` and space. */
const KEY_CHARSET = /^[\p{L}\p{N}_/.\- :]*$/u;

/**
 * Why a metric, param or tag key is invalid, or `undefined` when it is valid. Keys are
 * paths in MLflow's file layout, so besides the charset they must be normalised relative
 * paths: no empty segment, no `.` or `..` segment, no leading or trailing `/`.
 *
 * @example
 * ```ts
 * keyProblem("train/loss"); // undefined
 * keyProblem("a//b");       // "must be a normalised relative path: …"
 * ```
 */
export function keyProblem(key: string, maxLength: number = MLFLOW_LIMITS.keyLength): string | undefined {
  if (key.length === 0) return "must not be empty";
  if (key.length > maxLength) return `must be at most ${maxLength} characters (has ${key.length})`;
  if (!KEY_CHARSET.test(key)) {
    return "may contain only letters, digits, spaces and _ / . - :";
  }
  const segments = key.split("/");
  for (const segment of segments) {
    if (segment === "" || segment === "." || segment === "..") {
      return "must be a normalised relative path: no leading, trailing or double '/', no '.' or '..' segments";
    }
  }
  return undefined;
}

/**
 * Error classes thrown by mltrail. Every error extends {@link MltrailError}, so one
 * `instanceof MltrailError` check catches everything the SDK throws on purpose.
 *
 * @packageDocumentation
 */
import { defined } from "./internal/defined.js";

/** Longest value excerpt an error message quotes before shortening it. */
const MAX_QUOTED = 60;

/**
 * Renders a value for an error message: strings quoted, long values shortened, objects
 * summarised. Never prints more than about {@link MAX_QUOTED} characters.
 *
 * @internal
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") {
    const shown = value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value;
    const suffix = value.length > MAX_QUOTED ? ` (${value.length} chars)` : "";
    return `${JSON.stringify(shown)}${suffix}`;
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "bigint") return `${value}n (a bigint)`;
  if (typeof value === "symbol") return value.toString();
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return "an object";
}

/**
 * What an error caused by one input names: the field, and the rule it broke.
 * @example `{ field: 'param "lr" value', rule: "params are immutable" }`
 */
export interface ErrorDetail {
  /** The field, e.g. `param "lr" value` or `runId`. */
  field: string;
  /** The rule, in words. */
  rule: string;
}

/**
 * Base class of every error mltrail throws.
 *
 * @example
 * ```ts
 * try { run.logMetric("loss", Number("x")); } catch (e) { if (e instanceof MltrailError) … }
 * ```
 */
export class MltrailError extends Error {
  /** A stable, machine-readable code, e.g. `"VALIDATION"`. */
  readonly code: string;

  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options?.code ?? "MLTRAIL";
  }
}

/**
 * Bad input: names the field, the value (shortened) and the rule it broke. Thrown
 * synchronously by logging calls; nothing is stored when it is thrown.
 *
 * @example
 * ```ts
 * run.logMetric("loss", "0.3" as unknown as number);
 * // ValidationError: metric "loss" value: "0.3" is not valid: must be a number (NaN and ±Infinity are allowed)
 * ```
 */
export class ValidationError extends MltrailError {
  /** The field that was rejected, e.g. `metric "loss" value` or `options.durability`. */
  readonly field: string;
  /** The rule the value broke, in words. */
  readonly rule: string;

  constructor(field: string, value: unknown, rule: string) {
    super(`${field}: ${describeValue(value)} is not valid: ${rule}`, { code: "VALIDATION" });
    this.field = field;
    this.rule = rule;
  }
}

/**
 * A state conflict: a param re-logged with another value in a way the store rejects, a
 * release version already taken, a run locked by another process.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof ConflictError) console.error(e.message); }
 * ```
 */
export class ConflictError extends MltrailError {
  /** The field whose value conflicts, e.g. `param "lr" value`, when one input caused it. */
  readonly field: string | undefined;
  /** The rule the value broke, in words, when one input caused it. */
  readonly rule: string | undefined;

  constructor(message: string, options?: { cause?: unknown } & Partial<ErrorDetail>) {
    super(message, { code: "CONFLICT", ...(options?.cause === undefined ? {} : { cause: options.cause }) });
    this.field = options?.field;
    this.rule = options?.rule;
  }

  /**
   * A conflict caused by one input: names the field, the value (shortened) and the rule.
   * @example `throw ConflictError.of('param "lr" value', "0.1", "params are immutable")`
   */
  static of(field: string, value: unknown, rule: string): ConflictError {
    // `this`, not the class name: a self-reference makes bundlers rename the class (and `name` with it).
    return new this(`${field}: ${describeValue(value)} conflicts: ${rule}`, { field, rule });
  }
}

/**
 * Something is not there: an unknown run id, experiment, metric key.
 *
 * @example
 * ```ts
 * await tracker.getRun("nope"); // NotFoundError: run "nope" not found
 * ```
 */
export class NotFoundError extends MltrailError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: "NOT_FOUND" });
  }
}

/**
 * The on-disk run log or store could not be read or written (disk full, permissions, a
 * corrupt store). Data already acknowledged stays on disk.
 *
 * @example
 * ```ts
 * tracker.on("error", (e) => { if (e instanceof SpoolError) alert(e.message); });
 * ```
 */
export class SpoolError extends MltrailError {
  /** The file or folder involved, relative to the store root when possible. */
  readonly path: string | undefined;

  constructor(message: string, options?: { cause?: unknown; path?: string; code?: string }) {
    super(message, { code: options?.code ?? "SPOOL", ...(options?.cause === undefined ? {} : { cause: options.cause }) });
    this.path = options?.path;
  }
}

/**
 * A file of the local store is damaged: an unreadable `experiment.json` or `run.json`, or
 * journal lines that fail their checksum. Thrown when that exact item is asked for; reported
 * (as an `"error"` event and `stats().lastError`) when a listing or a read skips it. The
 * damage never spreads: other experiments, runs and lines read as before.
 *
 * @example
 * ```ts
 * tracker.on("error", (e) => { if (e instanceof CorruptDataError) console.warn(e.path, e.message); });
 * ```
 */
export class CorruptDataError extends SpoolError {
  /** The run whose data is damaged, when it is a run's file. */
  readonly runId: string | undefined;
  /** How many journal lines were skipped (0 for a damaged document). */
  readonly corruptLines: number;

  constructor(message: string, options: { path: string; runId?: string; corruptLines?: number; cause?: unknown }) {
    super(message, { path: options.path, code: "CORRUPT", ...defined({ cause: options.cause }) });
    this.runId = options.runId;
    this.corruptLines = options.corruptLines ?? 0;
  }
}

/**
 * The disk (or the user's quota) is full. Nothing half-written is left behind; records
 * already logged stay queued in memory (bounded by `maxPendingBytes`) and are written as soon
 * as space returns. `code` is `"ENOSPC"`.
 *
 * @example
 * ```ts
 * try { await run.end(); } catch (e) { if (e instanceof StorageFullError) freeSomeSpace(); }
 * ```
 */
export class StorageFullError extends SpoolError {
  constructor(message: string, options?: { cause?: unknown; path?: string }) {
    super(message, { ...options, code: "ENOSPC" });
  }
}

/**
 * A call on a closed tracker or an ended run.
 *
 * @example
 * ```ts
 * await run.end(); run.logMetric("x", 1); // StateError: run … has ended
 * ```
 */
export class StateError extends MltrailError {
  /** The handle or target that is in the wrong state, e.g. `run` or `runId`, when known. */
  readonly field: string | undefined;
  /** What the call needs, in words, when known. */
  readonly rule: string | undefined;

  constructor(message: string, options?: Partial<ErrorDetail>) {
    super(message, { code: "STATE" });
    this.field = options?.field;
    this.rule = options?.rule;
  }

  /**
   * A call on the wrong state of one target: names it, its value and what the call needs.
   * @example `throw StateError.of("run", run.id, "has ended: start a new run")`
   */
  static of(field: string, value: unknown, rule: string): StateError {
    return new this(`${field}: ${describeValue(value)} ${rule}`, { field, rule }); // `this`: see ConflictError.of
  }
}

/**
 * The tracking server answered with an error status. `status` is the HTTP status and
 * `errorCode` MLflow's `error_code` (or one derived from the status when the body is not
 * MLflow JSON). Subclasses exist per status family; build them with the factory in
 * `remote/`, never by hand. Messages never contain credentials.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof ApiError && e.status === 404) … }
 * ```
 */
export class ApiError extends MltrailError {
  /** HTTP status of the response. */
  readonly status: number;
  /** MLflow `error_code`, e.g. `"INVALID_PARAMETER_VALUE"`. */
  readonly errorCode: string;
  /** The endpoint path that failed, e.g. `/api/2.0/mlflow/runs/log-batch`. */
  readonly endpoint: string;

  constructor(status: number, errorCode: string, message: string, endpoint: string, options?: { cause?: unknown }) {
    super(`${endpoint} → HTTP ${status} ${errorCode}: ${message}`, { ...options, code: errorCode });
    this.status = status;
    this.errorCode = errorCode;
    this.endpoint = endpoint;
  }
}

/** HTTP 400: the server rejected the request's content. @example `e instanceof BadRequestError` */
export class BadRequestError extends ApiError {}
/** HTTP 401: missing or wrong credentials. Replication pauses until they are fixed. @example `e instanceof AuthenticationError` */
export class AuthenticationError extends ApiError {}
/** HTTP 403: the credentials lack permission. Replication pauses. @example `e instanceof PermissionDeniedError` */
export class PermissionDeniedError extends ApiError {}
/** HTTP 404: the resource does not exist on the server. @example `e instanceof ResourceNotFoundError` */
export class ResourceNotFoundError extends ApiError {}
/** HTTP 409: a conflicting concurrent change on the server. @example `e instanceof ResourceConflictError` */
export class ResourceConflictError extends ApiError {}
/** HTTP 413: the request was too large; batches are split and retried. @example `e instanceof PayloadTooLargeError` */
export class PayloadTooLargeError extends ApiError {}
/** HTTP 429: rate limited; retried after `Retry-After`. @example `e instanceof RateLimitError` */
export class RateLimitError extends ApiError {}
/** HTTP 5xx (and 408/425): the server failed; retried with backoff. @example `e instanceof ServerError` */
export class ServerError extends ApiError {}

/**
 * The server could not be reached: refused, reset, DNS failure, TLS failure or timeout.
 * Logged data stays in the run log and is replicated later.
 *
 * @example
 * ```ts
 * tracker.on("error", (e) => { if (e instanceof ConnectionError) console.warn("offline"); });
 * ```
 */
export class ConnectionError extends MltrailError {
  /** The endpoint path that was being called. */
  readonly endpoint: string;

  constructor(message: string, endpoint: string, options?: { cause?: unknown }) {
    super(`${endpoint}: ${message}`, { ...options, code: "CONNECTION" });
    this.endpoint = endpoint;
  }
}

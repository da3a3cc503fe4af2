/**
 * Turns HTTP failures into mltrail errors: one factory for error responses
 * ({@link apiErrorFromResponse}), one for transport failures ({@link connectionErrorFrom}),
 * and the pure helpers the retry loops share ({@link isRetryable}, {@link retryAfterMs}).
 *
 * Nothing here keeps request headers or raw axios errors, so no credential can leak through
 * an error built here.
 *
 * @packageDocumentation
 */
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitError,
  ResourceConflictError,
  ResourceNotFoundError,
  ServerError,
} from "../errors.js";

/** Longest MLflow `message` quoted in an error, in characters. */
const MAX_MESSAGE = 1000;
/** Longest non-JSON body quoted in an error, in characters. */
const MAX_BODY = 300;
/**
 * Longest delay a `Retry-After` header can ask for, in ms.
 * @default 300000 (5 minutes)
 */
export const MAX_RETRY_AFTER_MS = 300_000;

/**
 * Error codes derived from the HTTP status when the body is not MLflow JSON (text/plain 403
 * from the security middleware, 401 from basic-auth, 503 from the artifact proxy, HTML from
 * a gateway). Statuses not listed become `HTTP_<status>`.
 */
const STATUS_CODES: Readonly<Record<number, string>> = {
  400: "BAD_REQUEST",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  408: "REQUEST_TIMEOUT",
  409: "RESOURCE_CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  425: "TOO_EARLY",
  429: "REQUEST_LIMIT_EXCEEDED",
  499: "CANCELLED",
  500: "INTERNAL_ERROR",
  501: "NOT_IMPLEMENTED",
  502: "BAD_GATEWAY",
  503: "TEMPORARILY_UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

/**
 * Why a request never got an HTTP answer. `tls` and `aborted` are not retried.
 * @example `connectionErrorKind(err) === "timeout"`
 */
export type ConnectionErrorKind = "refused" | "reset" | "timeout" | "dns" | "tls" | "aborted" | "other";

/** Response headers as axios or Node give them; names are matched case-insensitively. */
export type ResponseHeaders = Readonly<Record<string, unknown>>;

/**
 * What {@link apiErrorFromResponse} needs from an error response.
 * @example `{ status: 404, data: { error_code: "RESOURCE_DOES_NOT_EXIST", message: "…" }, endpoint: "/api/2.0/mlflow/runs/get" }`
 */
export interface ErrorResponse {
  /** HTTP status. */
  readonly status: number;
  /** The body: parsed JSON, or the raw text when it was not JSON. */
  readonly data: unknown;
  /** Endpoint path without query string, e.g. `/api/2.0/mlflow/runs/get`. */
  readonly endpoint: string;
  /** Response headers (only `Retry-After` is read). */
  readonly headers?: ResponseHeaders | undefined;
  /** Clock for HTTP-date `Retry-After` values, ms since the epoch. @default Date.now() */
  readonly now?: number;
}

const retryAfterByError = new WeakMap<object, number>();
const kindByError = new WeakMap<object, ConnectionErrorKind>();

function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}… (${flat.length} chars)` : flat;
}

function textOf(data: unknown): string {
  if (typeof data === "string") return data.replace(/<[^>]*>/g, " ");
  if (data instanceof Uint8Array) return new TextDecoder().decode(data);
  if (data === undefined || data === null) return "";
  try {
    return JSON.stringify(data);
  } catch {
    return "";
  }
}

function field(data: unknown, name: string): string | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const value: unknown = (data as Record<string, unknown>)[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * Builds the {@link ApiError} subclass for an error response: 400 {@link BadRequestError},
 * 401 {@link AuthenticationError}, 403 {@link PermissionDeniedError}, 404
 * {@link ResourceNotFoundError}, 409 {@link ResourceConflictError}, 413
 * {@link PayloadTooLargeError}, 429 {@link RateLimitError}, 408/425/5xx {@link ServerError},
 * any other status a plain {@link ApiError}. The code and message come from MLflow's JSON
 * `{error_code, message}`; for other bodies the code is derived from the status and the
 * message is the body, tags stripped and shortened. A `Retry-After` header is kept for
 * {@link retryAfterOf}.
 *
 * @example
 * ```ts
 * const err = apiErrorFromResponse({ status: 403, data: "Invalid Host header", endpoint: "/api/2.0/mlflow/runs/get" });
 * err instanceof PermissionDeniedError; // true, err.errorCode === "PERMISSION_DENIED"
 * ```
 */
export function apiErrorFromResponse(response: ErrorResponse): ApiError {
  const { status, data, endpoint } = response;
  const code = field(data, "error_code") ?? STATUS_CODES[status] ?? `HTTP_${status}`;
  const raw = field(data, "message") ?? field(data, "detail") ?? field(data, "error");
  const message = raw !== undefined ? shorten(raw, MAX_MESSAGE) : shorten(textOf(data), MAX_BODY) || "(empty body)";
  const error = new (errorClassFor(status))(status, code, message, endpoint);
  const wait = retryAfterMs(response.headers, response.now ?? Date.now());
  if (wait !== undefined) retryAfterByError.set(error, wait);
  return error;
}

function errorClassFor(status: number): typeof ApiError {
  switch (status) {
    case 400:
      return BadRequestError;
    case 401:
      return AuthenticationError;
    case 403:
      return PermissionDeniedError;
    case 404:
      return ResourceNotFoundError;
    case 409:
      return ResourceConflictError;
    case 413:
      return PayloadTooLargeError;
    case 429:
      return RateLimitError;
    default:
      return status >= 500 || status === 408 || status === 425 ? ServerError : ApiError;
  }
}

const KIND_BY_CODE: Readonly<Record<string, ConnectionErrorKind>> = {
  ECONNREFUSED: "refused",
  ECONNRESET: "reset",
  EPIPE: "reset",
  ECONNABORTED: "timeout",
  ETIMEDOUT: "timeout",
  ESOCKETTIMEDOUT: "timeout",
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
  ERR_CANCELED: "aborted",
  ABORT_ERR: "aborted",
  EHOSTUNREACH: "refused",
  ENETUNREACH: "refused",
};

function kindOf(code: string | undefined): ConnectionErrorKind {
  if (code === undefined) return "other";
  const known = KIND_BY_CODE[code];
  if (known !== undefined) return known;
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_OSSL/i.test(code)) return "tls";
  return "other";
}

/**
 * Builds a {@link ConnectionError} for a request that got no HTTP answer (refused, reset,
 * DNS, TLS, timeout, aborted). The raw error is **not** kept: its `config.headers` would
 * carry credentials. The `cause` is a fresh `Error` holding only the error code and the
 * message (passed through `redact`).
 *
 * @param error - what the HTTP library threw (an axios error or a Node system error).
 * @param endpoint - the endpoint path without query string.
 * @param redact - removes secrets from text. @default identity
 * @example
 * ```ts
 * catch (e) { throw connectionErrorFrom(e, "/api/2.0/mlflow/runs/get"); }
 * ```
 */
export function connectionErrorFrom(error: unknown, endpoint: string, redact: (text: string) => string = (text) => text): ConnectionError {
  const code = errorCodeOf(error);
  const kind = kindOf(code);
  const original = error instanceof Error ? error.message : String(error);
  const detail = redact(shorten(original, MAX_BODY)) || "no details";
  const cause = Object.assign(new Error(code === undefined ? detail : `${code}: ${detail}`), {
    name: "TransportError",
    code: code ?? "UNKNOWN",
  });
  const summary = kind === "aborted" ? "request aborted" : kind === "timeout" ? "request timed out" : "request failed";
  const result = new ConnectionError(`${summary} (${code ?? "UNKNOWN"}): ${detail}`, endpoint, { cause });
  kindByError.set(result, kind);
  return result;
}

function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const record = error as Record<string, unknown>;
  const own = typeof record["code"] === "string" ? record["code"] : undefined;
  // axios wraps the socket error; prefer the system code (ECONNREFUSED) over ERR_BAD_REQUEST etc.
  const inner = record["cause"];
  const innerCode =
    typeof inner === "object" && inner !== null && typeof (inner as Record<string, unknown>)["code"] === "string"
      ? ((inner as Record<string, unknown>)["code"] as string)
      : undefined;
  if (own === undefined || own === "ERR_NETWORK" || own === "ERR_BAD_RESPONSE") return innerCode ?? own;
  return own;
}

/**
 * Why a {@link ConnectionError} built by {@link connectionErrorFrom} happened.
 * @example `if (connectionErrorKind(e) === "refused") …`
 */
export function connectionErrorKind(error: unknown): ConnectionErrorKind | undefined {
  return typeof error === "object" && error !== null ? kindByError.get(error) : undefined;
}

/**
 * The delay the server asked for with `Retry-After` on the response that produced `error`,
 * in ms (already clamped), or `undefined`.
 * @example `const wait = retryAfterOf(err) ?? backoffDelay(attempt);`
 */
export function retryAfterOf(error: unknown): number | undefined {
  return typeof error === "object" && error !== null ? retryAfterByError.get(error) : undefined;
}

/**
 * What an MLflow server says in a 400 when its database, not the request, was the problem: its
 * SQLAlchemy connection pool ran dry while it queued requests, SQLite stayed locked, or
 * PostgreSQL had no connection left. The same request succeeds once the load passes.
 */
const OVERLOADED_STORE = /QueuePool limit of size|database is locked|too many clients already|remaining connection slots are reserved/i;

/**
 * True for a 400 that reports an overloaded database behind the server (see
 * {@link isRetryable}), not a bad request.
 * @example `isOverloadedStore(apiErrorFromResponse({ status: 400, data: { message: "QueuePool limit of size 5 overflow 10 reached" }, endpoint: "/x" })) // true`
 */
export function isOverloadedStore(error: unknown): boolean {
  return error instanceof ApiError && error.status === 400 && OVERLOADED_STORE.test(error.message);
}

/**
 * Whether retrying may help: connection failures (refused, reset, DNS, timeouts), HTTP 408,
 * 425, 429 and 5xx except 501, and a 400 that reports an overloaded database
 * ({@link isOverloadedStore}: MLflow answers a pool timeout with 400). Not retryable: other
 * 4xx, 501, TLS failures, aborted requests, and anything that is not an mltrail transport error.
 *
 * @example
 * ```ts
 * isRetryable(apiErrorFromResponse({ status: 503, data: "", endpoint: "/x" })); // true
 * ```
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof ApiError) {
    const { status } = error;
    return status === 408 || status === 425 || status === 429 || (status >= 500 && status !== 501) || isOverloadedStore(error);
  }
  if (error instanceof ConnectionError) {
    const kind = kindByError.get(error) ?? "other";
    return kind !== "tls" && kind !== "aborted";
  }
  return false;
}

/**
 * True when the server answered a write with a status that proves it applied nothing: any 4xx
 * (a bad request, a refusal, or MLflow's 400 for a database that stayed locked, which rolls
 * back) or a 503. A 500, 502 or 504, a timeout or a lost connection leave the outcome unknown.
 * A run create that failed this way cannot land later, so the next attempt need not wait for it.
 * @internal
 * @example `appliedNothing(apiErrorFromResponse({ status: 400, data: { message: "database is locked" }, endpoint: "/x" })) // true`
 */
export function appliedNothing(error: unknown): boolean {
  return error instanceof ApiError && ((error.status >= 400 && error.status < 500) || error.status === 503);
}

function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const getter = (headers as { get?: unknown }).get;
  let value: unknown;
  if (typeof getter === "function") value = (getter as (n: string) => unknown).call(headers, name);
  if (value === undefined || value === null) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : headers[key];
  }
  if (Array.isArray(value)) value = value[0];
  if (typeof value === "number") return String(value);
  return typeof value === "string" ? value.trim() : undefined;
}

/**
 * Parses `Retry-After` (delta-seconds or HTTP-date) into a delay in ms, clamped to
 * `[0, maxMs]`. Pure: the clock is a parameter.
 *
 * @param headers - response headers; the name is matched case-insensitively.
 * @param now - the current time, ms since the epoch (used for HTTP-dates).
 * @param maxMs - upper bound. @default 300000 ({@link MAX_RETRY_AFTER_MS})
 * @returns the delay, or `undefined` when the header is absent or malformed.
 * @example
 * ```ts
 * retryAfterMs({ "retry-after": "2" }, Date.now()); // 2000
 * retryAfterMs({ "Retry-After": "Wed, 21 Oct 2015 07:28:05 GMT" }, Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")); // 5000
 * ```
 */
export function retryAfterMs(headers: ResponseHeaders | undefined, now: number, maxMs: number = MAX_RETRY_AFTER_MS): number | undefined {
  if (headers === undefined) return undefined;
  const value = headerValue(headers, "retry-after");
  if (value === undefined || value === "") return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(value)) {
    ms = Number(value) * 1000;
  } else {
    if (!/[a-z]/i.test(value)) return undefined;
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(0, Math.ceil(ms)), maxMs);
}

/**
 * Options of the browser `Tracker`: the Node SDK's names and meanings for what applies in a
 * page (there is no environment to read, so `trackingUri` is required), plus
 * `maxQueuedRecords` and `storage`. Checked in full at construction.
 *
 * @packageDocumentation
 */
import { ValidationError } from "../errors.js";
import { checkOptions } from "../model/args.js";
import { type BackendLimits, MLFLOW_LIMITS } from "../model/limits.js";
import { checkName, checkRecord } from "../model/validate.js";
import { serverKey } from "../remote/server-uri.js";

/**
 * Credentials for the tracking server. Kept in memory only: never written to IndexedDB, never
 * shown by `JSON.stringify(tracker)`.
 * @example `{ token: await getToken() }`
 */
export interface BrowserAuth {
  /** Bearer token. @default none */
  readonly token?: string;
  /** Extra headers on every request; they override the auth header. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Called before every request (e.g. to refresh a token); its headers override all others. @default none */
  readonly headerProvider?: () => Promise<Readonly<Record<string, string>>>;
  /** Sent as `X-MLFLOW-WORKSPACE`. @default none */
  readonly workspace?: string;
}

/**
 * Options of the browser {@link Tracker}.
 * @example `new Tracker({ trackingUri: "https://mlflow.example.com", experiment: "in-browser", auth: { token } })`
 */
export interface TrackerOptions {
  /** The MLflow server, `http(s)://host[:port][/prefix]`; it must allow the page's origin (`--cors-allowed-origins`). */
  readonly trackingUri: string;
  /** Experiment for runs that name none; created when missing. @default "Default" */
  readonly experiment?: string;
  /** Credentials (memory only). @default none */
  readonly auth?: BrowserAuth;
  /** Timeout of one HTTP request, ms. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Batch and value limits of the server, over MLflow's. @default MLFLOW_LIMITS */
  readonly limits?: Partial<BackendLimits>;
  /** Most replication requests in flight at once (one per run at most). @default 4 */
  readonly maxConcurrentRequests?: number;
  /** Period of replication passes, ms; a full batch is sent at once regardless. @default 1000 */
  readonly replicationIntervalMs?: number;
  /** First retry delay, ms; doubles per failure (full jitter) up to `retryMaxMs`; `Retry-After` wins when longer. @default 500 */
  readonly retryBaseMs?: number;
  /** Longest retry delay, ms. @default 30000 */
  readonly retryMaxMs?: number;
  /** Probe period while replication is PAUSED by a 401/403, ms. @default 30000 */
  readonly authRetryMs?: number;
  /** How long `close()` waits for the server by default, ms. @default 30000 */
  readonly closeTimeoutMs?: number;
  /** Send runs that earlier page loads (or other tabs that went away) left pending. @default true */
  readonly drainOnStart?: boolean;
  /**
   * Records kept in memory waiting for IndexedDB; past it a logging call throws
   * `StorageFullError` (IndexedDB is the buffer: this bound only matters while it refuses writes).
   * @default 100000
   */
  readonly maxQueuedRecords?: number;
  /** Name of the IndexedDB database that holds the run log. @default "mltrail" */
  readonly storage?: string;
  /** Model-version tag that holds the semver. @default "mltrail.version" */
  readonly versionTag?: string;
}

/** Options with defaults applied. @internal */
export interface ResolvedBrowserOptions {
  readonly trackingUri: string;
  /** The server's identity: runs in IndexedDB are bound to it. */
  readonly server: string;
  readonly experiment: string;
  readonly auth: BrowserAuth;
  readonly requestTimeoutMs: number;
  readonly limits: BackendLimits;
  readonly maxConcurrentRequests: number;
  readonly replicationIntervalMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly authRetryMs: number;
  readonly closeTimeoutMs: number;
  readonly drainOnStart: boolean;
  readonly maxQueuedRecords: number;
  readonly storage: string;
  readonly versionTag: string;
}

const KNOWN = new Set([
  "trackingUri",
  "experiment",
  "auth",
  "requestTimeoutMs",
  "limits",
  "maxConcurrentRequests",
  "replicationIntervalMs",
  "retryBaseMs",
  "retryMaxMs",
  "authRetryMs",
  "closeTimeoutMs",
  "drainOnStart",
  "maxQueuedRecords",
  "storage",
  "versionTag",
]);

function int(field: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`options.${field}`, value, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function checkAuth(value: unknown): BrowserAuth {
  if (value === undefined) return {};
  const auth = checkRecord("options.auth", value) as BrowserAuth;
  for (const key of Object.keys(auth)) {
    if (!["token", "headers", "headerProvider", "workspace"].includes(key)) {
      throw new ValidationError(`options.auth.${key}`, "(hidden)", "is not a known auth option in the browser (token, headers, headerProvider, workspace)");
    }
  }
  if (auth.token !== undefined && typeof auth.token !== "string") throw new ValidationError("options.auth.token", "(hidden)", "must be a string");
  if (auth.headerProvider !== undefined && typeof auth.headerProvider !== "function") {
    throw new ValidationError("options.auth.headerProvider", typeof auth.headerProvider, "must be a function returning a promise of headers");
  }
  if (auth.headers !== undefined) {
    for (const [k, v] of Object.entries(checkRecord("options.auth.headers", auth.headers))) {
      if (typeof v !== "string") throw new ValidationError(`options.auth.headers.${k}`, "(hidden)", "must be a string");
    }
  }
  return auth;
}

function checkLimits(value: unknown): BackendLimits {
  if (value === undefined) return MLFLOW_LIMITS;
  const given = checkRecord("options.limits", value);
  const out: Record<string, number> = { ...MLFLOW_LIMITS };
  for (const [k, v] of Object.entries(given)) {
    if (!(k in MLFLOW_LIMITS)) throw new ValidationError(`options.limits.${k}`, v, `is not a known limit (${Object.keys(MLFLOW_LIMITS).join(", ")})`);
    out[k] = int(`limits.${k}`, v, 0, 1, 100_000_000);
  }
  return Object.freeze(out) as unknown as BackendLimits;
}

/** Checks every option and applies the defaults. @internal */
export function resolveBrowserOptions(options: unknown): ResolvedBrowserOptions {
  const o = checkOptions<TrackerOptions>("Tracker options", options);
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key))
      throw new ValidationError(
        `options.${key}`,
        (o as unknown as Record<string, unknown>)[key],
        `is not a known option of the browser Tracker (${[...KNOWN].join(", ")})`,
      );
  }
  if (typeof o.trackingUri !== "string" || !/^https?:\/\//i.test(o.trackingUri)) {
    throw new ValidationError("options.trackingUri", o.trackingUri, "is required in the browser and must be an http(s) URL of an MLflow server");
  }
  const storage = o.storage ?? "mltrail";
  if (typeof storage !== "string" || storage.length === 0 || storage.length > 200)
    throw new ValidationError("options.storage", storage, "must be a database name of 1 to 200 characters");
  if (o.drainOnStart !== undefined && typeof o.drainOnStart !== "boolean")
    throw new ValidationError("options.drainOnStart", o.drainOnStart, "must be a boolean");
  return Object.freeze({
    trackingUri: o.trackingUri,
    server: serverKey(o.trackingUri),
    experiment: checkName("options.experiment", o.experiment ?? "Default", MLFLOW_LIMITS.experimentNameLength),
    auth: checkAuth(o.auth),
    requestTimeoutMs: int("requestTimeoutMs", o.requestTimeoutMs, 30_000, 1, 600_000),
    limits: checkLimits(o.limits),
    maxConcurrentRequests: int("maxConcurrentRequests", o.maxConcurrentRequests, 4, 1, 64),
    replicationIntervalMs: int("replicationIntervalMs", o.replicationIntervalMs, 1000, 0, 600_000),
    retryBaseMs: int("retryBaseMs", o.retryBaseMs, 500, 1, 600_000),
    retryMaxMs: int("retryMaxMs", o.retryMaxMs, 30_000, 1, 3_600_000),
    authRetryMs: int("authRetryMs", o.authRetryMs, 30_000, 1, 3_600_000),
    closeTimeoutMs: int("closeTimeoutMs", o.closeTimeoutMs, 30_000, 0, 3_600_000),
    drainOnStart: o.drainOnStart ?? true,
    maxQueuedRecords: int("maxQueuedRecords", o.maxQueuedRecords, 100_000, 1, 100_000_000),
    storage,
    versionTag: typeof o.versionTag === "string" && o.versionTag.length > 0 ? o.versionTag : "mltrail.version",
  });
}

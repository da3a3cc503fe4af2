/**
 * Tracker options as given ({@link TrackerOptions}) and as resolved ({@link ResolvedOptions}:
 * frozen, every field present). Precedence for each field: the option, then its environment
 * variable, then the default.
 *
 * @packageDocumentation
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ValidationError } from "./errors.js";
import { envBool, envEnum, envInt } from "./internal/env.js";
import { hideUrlCredentials, uriCredentials } from "./internal/redact.js";
import type { LogLevel, LogSink } from "./internal/logger.js";
import type { Durability } from "./log/journal.js";
import { MLFLOW_LIMITS, type BackendLimits } from "./model/limits.js";
import { authFromEnv } from "./remote/http.js";
import { sealAuth } from "./remote/http-shared.js";
import type { HttpAuth } from "./remote/http-types.js";
import { canonicalServerUri } from "./remote/server-uri.js";
import { type AddonSettings, type ConsoleCaptureOptions, resolveAddons, type SystemMetricsOptions } from "./run-addons.js";
import { registeredScheme } from "./backends/schemes.js";

/**
 * Regular expressions that names must match, enforced with a ValidationError.
 * @example `{ run: /^[a-z0-9-]+$/, experiment: /^team-/ }`
 */
export interface NamePolicy {
  /** Run names must match. @default none */
  readonly run?: RegExp;
  /** Experiment names must match. @default none */
  readonly experiment?: RegExp;
  /** Registered model names must match. @default none */
  readonly model?: RegExp;
}

/**
 * Options of `new Tracker(options)`. Unknown options are rejected with a ValidationError.
 *
 * @example
 * ```ts
 * new Tracker({ experiment: "churn", durability: "always" });
 * ```
 */
export interface TrackerOptions {
  /**
   * Where runs go: a folder path or `file:` URI selects the local store (the embedded
   * default); `http(s)://host[:port][/prefix]` selects an MLflow-compatible server.
   * Env: `MLFLOW_TRACKING_URI`.
   * @default "./mltrail"
   */
  readonly trackingUri?: string;
  /**
   * Experiment for runs that name none. Created when missing. Env: `MLFLOW_EXPERIMENT_NAME`.
   * @default "Default"
   */
  readonly experiment?: string;
  /**
   * `"interval"` fsyncs the run log every `fsyncIntervalMs`; `"always"` fsyncs every group
   * commit (once per event-loop turn). Env: `MLTRAIL_DURABILITY`.
   * @default "interval"
   */
  readonly durability?: Durability;
  /**
   * fsync period with `durability: "interval"`, in ms. Env: `MLTRAIL_FSYNC_INTERVAL_MS`.
   * @default 1000
   */
  readonly fsyncIntervalMs?: number;
  /**
   * How long records may wait in memory before the group commit writes them, in ms. `0`
   * writes at the end of every event-loop turn: a SIGKILL loses at most that turn. A few ms
   * makes tight training loops (a turn per step) cheaper, one write per interval instead of
   * one per step, and a SIGKILL can then lose up to that interval. `flush()`, `end()` and exit
   * paths always write at once. Env: `MLTRAIL_COMMIT_INTERVAL_MS`.
   * @default 0
   */
  readonly commitIntervalMs?: number;
  /**
   * Least severe diagnostic that is printed. Env: `MLTRAIL_LOG_LEVEL`.
   * @default "warn"
   */
  readonly logLevel?: LogLevel;
  /**
   * Where diagnostics go.
   * @default lines on stderr prefixed `mltrail <level>:`
   */
  readonly logger?: LogSink;
  /**
   * Record git, entry script, argv, Node, platform, user and project lockfile digest as tags
   * at `startRun`. Env: `MLTRAIL_CAPTURE_CONTEXT` (`"false"` turns it off).
   * @default true
   */
  readonly captureContext?: boolean;
  /**
   * System metrics for every run (a run's own `systemMetrics` option wins): CPU, memory, disk,
   * network, event loop and GPU (through `nvidia-smi`), logged under MLflow's `system/` names
   * every `intervalMs`. Env: MLflow's `MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING` and
   * `MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL` (seconds).
   * @default false
   * @example `new Tracker({ systemMetrics: { intervalMs: 5000 } })`
   */
  readonly systemMetrics?: boolean | SystemMetricsOptions;
  /**
   * Store what the process prints to stdout/stderr while a run is open as the run's artifacts
   * `console/output*.log`, secrets masked, at most `maxBytes` per run (a run's own
   * `captureConsole` option wins). Env: `MLTRAIL_CAPTURE_CONSOLE`.
   * @default false
   * @example `new Tracker({ captureConsole: { maxBytes: 1_000_000 } })`
   */
  readonly captureConsole?: boolean | ConsoleCaptureOptions;
  /**
   * Template of run names when `startRun` gets none. Placeholders: `{experiment}`, `{date}`,
   * `{time}`, `{datetime}`, `{seq}`, `{user}`, `{branch}`, `{commit}`, `{random}`, `{id}`.
   * Env: `MLTRAIL_RUN_NAME_TEMPLATE`.
   * @default "{random}-{seq}"
   */
  readonly runNameTemplate?: string;
  /**
   * Patterns run, experiment and model names must match.
   * @default no policy
   */
  readonly namePolicy?: NamePolicy;
  /**
   * Install process hooks: runs end FAILED on an uncaught exception and KILLED on
   * SIGINT/SIGTERM (after a bounded flush; the signal is then re-raised), and the log is
   * flushed on exit. Env: `MLTRAIL_HANDLE_EXIT`.
   * @default true
   */
  readonly handleExit?: boolean;
  /**
   * Upper bound of the flush done on SIGINT/SIGTERM before the signal is re-raised, in ms.
   * Env: `MLTRAIL_EXIT_FLUSH_TIMEOUT_MS`.
   * @default 2000
   */
  readonly exitFlushTimeoutMs?: number;
  /**
   * Folder used for context capture (git, project package.json) and for a relative
   * `trackingUri`.
   * @default process.cwd()
   */
  readonly cwd?: string;
  /**
   * `"online"` replicates to the tracking server in the background; `"offline"` only writes
   * the local run log (send it later with `mltrail sync`). Env: `MLTRAIL_MODE`.
   * @default "online"
   */
  readonly mode?: "online" | "offline";
  /**
   * Folder of the local run log when `trackingUri` is a server (with a local `trackingUri`
   * the store itself is the log). Env: `MLTRAIL_SPOOL_DIR`.
   * @default "./mltrail"
   */
  readonly spoolDir?: string;
  /**
   * Further targets the run log is replicated to, besides `trackingUri` (fan-out): MLflow
   * servers (`http(s)://…`), `tensorboard:<folder>` (event files), `dvc:<folder>` (DVCLive
   * folders), or a scheme registered with `registerBackend`. Each has its own replicator, its
   * own cursor per run and its own state in `tracker.stats().targets`; a slow or failed target
   * never holds up another. Reads still come from `trackingUri` (the local run log when it is a
   * folder). Env: `MLTRAIL_TARGETS`, comma-separated.
   * @default []
   * @example `targets: ["http://mlflow:5000", "tensorboard:./tb", "dvc:./dvclive"]`
   */
  readonly targets?: readonly string[];
  /**
   * Credentials and TLS for the server. Unset fields come from `MLFLOW_TRACKING_TOKEN`
   * (Bearer), `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD` (Basic; wins over a
   * token, as in MLflow's Python client), `MLFLOW_TRACKING_INSECURE_TLS`,
   * `MLFLOW_TRACKING_SERVER_CERT_PATH` and `MLFLOW_WORKSPACE`. `headerProvider` is called
   * before every request (refreshing tokens).
   * @default from the environment
   */
  readonly auth?: HttpAuth;
  /**
   * Timeout of one HTTP request, in ms. Env: `MLTRAIL_REQUEST_TIMEOUT_MS`.
   * @default 30000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Batch and value limits of the server, over MLflow's defaults (e.g. `{ metricsPerBatch: 200 }`
   * for Azure ML).
   * @default MLFLOW_LIMITS
   */
  readonly limits?: Partial<BackendLimits>;
  /**
   * Most replication requests in flight at once (one per run at most).
   * Env: `MLTRAIL_MAX_CONCURRENT_REQUESTS`.
   * @default 4
   */
  readonly maxConcurrentRequests?: number;
  /**
   * Period of replication passes, in ms; a full batch is sent at once regardless.
   * Env: `MLTRAIL_REPLICATION_INTERVAL_MS`.
   * @default 1000
   */
  readonly replicationIntervalMs?: number;
  /**
   * First retry delay, in ms; doubles per failure (with full jitter) up to `retryMaxMs`.
   * `Retry-After` is honoured when longer. Env: `MLTRAIL_RETRY_BASE_MS`.
   * @default 500
   */
  readonly retryBaseMs?: number;
  /**
   * Longest retry delay, in ms. Env: `MLTRAIL_RETRY_MAX_MS`.
   * @default 30000
   */
  readonly retryMaxMs?: number;
  /**
   * Probe period while replication is PAUSED by a 401/403, in ms. Env: `MLTRAIL_AUTH_RETRY_MS`.
   * @default 30000
   */
  readonly authRetryMs?: number;
  /**
   * Replicate runs that earlier processes left pending, when the tracker starts.
   * Env: `MLTRAIL_DRAIN_ON_START`.
   * @default true
   */
  readonly drainOnStart?: boolean;
  /**
   * Runs of the local store logged before a server was configured (they share the folder
   * with the run log): `true` sends them to the server when the tracker starts; `false`
   * leaves them local without a word; unset leaves them local and says once how many there
   * are and the `mltrail sync` command that sends them. Runs logged with the server
   * configured are always sent. Env: `MLTRAIL_SYNC_EARLIER_RUNS`.
   * @default undefined (leave them, and say so)
   */
  readonly syncEarlierRuns?: boolean;
  /**
   * How long `close()` waits for replication before leaving the rest in the log, in ms.
   * Env: `MLTRAIL_CLOSE_TIMEOUT_MS`.
   * @default 30000
   */
  readonly closeTimeoutMs?: number;
  /**
   * Model-version tag that holds the semver on an MLflow server (GitLab: `"gitlab.version"`).
   * Env: `MLTRAIL_VERSION_TAG`.
   * @default "mltrail.version"
   */
  readonly versionTag?: string;
  /**
   * Refuse `registerModel` and `promote` without a rationale. Env: `MLTRAIL_REQUIRE_RATIONALE`.
   * @default false
   */
  readonly requireRationale?: boolean;
}

/**
 * Environment variables as read by the tracker (`new Tracker(options)` reads them when an option is not given).
 * @example `process.env`
 */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The embedded local store.
 * @example `{ kind: "local", root: "/home/me/project/mltrail" }`
 */
export interface LocalBackend {
  /** Always `"local"`. */
  readonly kind: "local";
  /** Absolute path of the store folder. */
  readonly root: string;
}

/**
 * An MLflow-compatible tracking server.
 * @example `{ kind: "mlflow", url: "http://127.0.0.1:5000" }`
 */
export interface MlflowBackend {
  /** Always `"mlflow"`. */
  readonly kind: "mlflow";
  /**
   * Server URL: scheme and host lower case, no default port, trailing slash, `#…` fragment or
   * API path (credentials in it are moved to auth headers).
   */
  readonly url: string;
  /** The server's identity for replication progress: `url` with loopback hosts spelled `localhost`. */
  readonly key: string;
  /** Set when the given URI was changed in a way the user should hear about (an API path stripped). */
  readonly notice?: string;
}

/**
 * A backend of a scheme registered with `registerBackend` (docs/backends.md).
 * @example `{ kind: "external", scheme: "jsonl", uri: "jsonl:./runs" }`
 */
export interface ExternalBackend {
  /** Always `"external"`. */
  readonly kind: "external";
  /** The URI's scheme, lower case, e.g. `"jsonl"`. */
  readonly scheme: string;
  /** The tracking URI, with any password hidden. */
  readonly uri: string;
}

/**
 * Which store a tracker uses, derived from `trackingUri` (by its scheme: see docs/backends.md).
 * @example `tracker.options.backend.kind`
 */
export type Backend = LocalBackend | MlflowBackend | ExternalBackend;

/**
 * Options after defaults and environment variables are applied: every field present, frozen.
 * Each field means what the {@link TrackerOptions} field of the same name means.
 * @example `tracker.options.durability // "interval"`
 */
export type ResolvedOptions = Readonly<Required<Omit<TrackerOptions, "logger" | "limits" | "syncEarlierRuns" | "systemMetrics" | "captureConsole">>> &
  AddonSettings & {
    /** See {@link TrackerOptions.syncEarlierRuns}; `undefined` when neither the option nor its env var is set. */
    readonly syncEarlierRuns: boolean | undefined;
    /** Where diagnostics go; `undefined` means stderr. */
    readonly logger: LogSink | undefined;
    /** The server's limits (MLflow's, with the `limits` option applied). */
    readonly limits: BackendLimits;
    /** The store `trackingUri` selects. */
    readonly backend: Backend;
    /** Further replication targets (`targets`), each once, without `trackingUri`'s own. */
    readonly targets: readonly string[];
  };

const regex = z.custom<RegExp>((v) => v instanceof RegExp, { message: "must be a RegExp" });

/** Bounds of the numeric options, shared by the option schema and their environment variables. */
const BOUNDS = {
  fsyncIntervalMs: [1, 3_600_000],
  commitIntervalMs: [0, 60_000],
  exitFlushTimeoutMs: [0, 60_000],
  requestTimeoutMs: [1, 600_000],
  maxConcurrentRequests: [1, 64],
  replicationIntervalMs: [10, 600_000],
  retryBaseMs: [1, 600_000],
  retryMaxMs: [1, 3_600_000],
  authRetryMs: [10, 3_600_000],
  closeTimeoutMs: [0, 3_600_000],
} as const satisfies Record<string, readonly [number, number]>;

const bounded = (name: keyof typeof BOUNDS) => z.number().int().min(BOUNDS[name][0]).max(BOUNDS[name][1]).optional();

const schema = z.strictObject({
  trackingUri: z.string().min(1).optional(),
  experiment: z.string().min(1).optional(),
  durability: z.enum(["interval", "always"]).optional(),
  fsyncIntervalMs: bounded("fsyncIntervalMs"),
  commitIntervalMs: bounded("commitIntervalMs"),
  logLevel: z.enum(["debug", "info", "warn", "error", "silent"]).optional(),
  logger: z.custom<LogSink>((v) => typeof v === "function", { message: "must be a function" }).optional(),
  captureContext: z.boolean().optional(),
  systemMetrics: z.unknown().optional(),
  captureConsole: z.unknown().optional(),
  runNameTemplate: z.string().min(1).optional(),
  namePolicy: z.strictObject({ run: regex.optional(), experiment: regex.optional(), model: regex.optional() }).optional(),
  handleExit: z.boolean().optional(),
  exitFlushTimeoutMs: bounded("exitFlushTimeoutMs"),
  cwd: z.string().min(1).optional(),
  mode: z.enum(["online", "offline"]).optional(),
  spoolDir: z.string().min(1).optional(),
  targets: z.array(z.string().min(1)).optional(),
  auth: z
    .strictObject({
      token: z.string().optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      headers: z.record(z.string(), z.string()).optional(),
      headerProvider: z.custom<() => Promise<Readonly<Record<string, string>>>>((v) => typeof v === "function", { message: "must be a function" }).optional(),
      insecureTls: z.boolean().optional(),
      caCert: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
      workspace: z.string().optional(),
    })
    .optional(),
  requestTimeoutMs: bounded("requestTimeoutMs"),
  limits: z
    .strictObject(
      Object.fromEntries(Object.keys(MLFLOW_LIMITS).map((k) => [k, z.number().int().min(1).optional()])) as Record<
        keyof BackendLimits,
        z.ZodOptional<z.ZodNumber>
      >,
    )
    .optional(),
  maxConcurrentRequests: bounded("maxConcurrentRequests"),
  replicationIntervalMs: bounded("replicationIntervalMs"),
  retryBaseMs: bounded("retryBaseMs"),
  retryMaxMs: bounded("retryMaxMs"),
  authRetryMs: bounded("authRetryMs"),
  drainOnStart: z.boolean().optional(),
  syncEarlierRuns: z.boolean().optional(),
  closeTimeoutMs: bounded("closeTimeoutMs"),
  versionTag: z.string().min(1).max(250).optional(),
  requireRationale: z.boolean().optional(),
});

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Parses a tracking URI into a backend.
 * @example `resolveBackend("./mltrail", "/home/me/project") // { kind: "local", root: "/home/me/project/mltrail" }`
 */
export function resolveBackend(uri: string, cwd: string): Backend {
  const shown = hideUrlCredentials(uri);
  if (/^https?:\/\//i.test(uri)) {
    try {
      return { kind: "mlflow", ...canonicalServerUri(uri) };
    } catch {
      throw new ValidationError(
        "options.trackingUri",
        shown,
        `must be a valid http(s) URL${uri.includes("@") ? " (a password holding / ? # or @ must be %-encoded)" : ""}`,
      );
    }
  }
  const scheme = registeredScheme(uri);
  if (scheme !== undefined) return { kind: "external", scheme, uri: shown };
  // "localhost:5000" is a server without its scheme, not a folder of that name.
  if (/^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\]):\d{1,5}(?:[/?#]|$)/i.test(uri)) {
    throw new ValidationError(
      "options.trackingUri",
      uri,
      `looks like a server without its scheme: write "http://${uri}" (or "./${uri}" for a folder of that name)`,
    );
  }
  if (/^file:/i.test(uri)) {
    try {
      return { kind: "local", root: fileURLToPath(uri) };
    } catch (err) {
      throw new ValidationError(
        "options.trackingUri",
        shown,
        `must be a valid file: URI of a local folder (${err instanceof Error ? err.message : String(err)})`,
      );
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) || /^(databricks|sqlite|postgresql|mysql)/i.test(uri)) {
    throw new ValidationError(
      "options.trackingUri",
      shown,
      "must be a folder path, a file: URI, an http(s) URL of an MLflow-compatible server, or a URI of a scheme registered with registerBackend",
    );
  }
  return { kind: "local", root: path.resolve(cwd, uri) };
}

/**
 * The `targets` option checked: each must receive records (a server or a registered scheme, not
 * a folder: the local run log is always written), carry no credentials (they come from `auth`
 * and the environment), and appear once; `trackingUri`'s own target is left out.
 */
function resolveTargets(given: readonly string[], cwd: string, primary: Backend): string[] {
  const key = (b: Backend): string => (b.kind === "mlflow" ? b.url : b.kind === "local" ? b.root : b.uri);
  const seen = new Set([key(primary)]);
  const out: string[] = [];
  for (const [i, uri] of given.entries()) {
    const field = `options.targets[${i}]`;
    let backend: Backend;
    try {
      backend = resolveBackend(uri, cwd);
    } catch (err) {
      throw err instanceof ValidationError ? new ValidationError(field, uri.replace(/\/\/[^@/]*@/, "//***@"), err.rule) : err;
    }
    if (backend.kind === "local")
      throw new ValidationError(
        field,
        uri,
        "must be an http(s) MLflow URL, tensorboard:<folder>, dvc:<folder> or a registered scheme: the local run log is always written",
      );
    if (backend.kind === "mlflow" && (new URL(uri).username !== "" || new URL(uri).password !== ""))
      throw new ValidationError(field, backend.url, "must carry no credentials: give them with the auth option or MLFLOW_TRACKING_USERNAME/PASSWORD");
    if (seen.has(key(backend))) continue;
    seen.add(key(backend));
    out.push(backend.kind === "mlflow" ? backend.url : uri);
  }
  return out;
}

/**
 * Applies environment variables and defaults to options. Throws ValidationError naming the
 * option for unknown or ill-typed options.
 *
 * @example `resolveOptions({ experiment: "churn" }, process.env).durability // "interval"`
 */
export function resolveOptions(options: TrackerOptions | undefined, env: Env = process.env): ResolvedOptions {
  const parsed = schema.safeParse(options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keys = issue?.code === "unrecognized_keys" ? issue.keys : [];
    const at = [...(issue?.path ?? []), ...keys.slice(0, 1)].map(String).join(".");
    let value: unknown = options;
    for (const part of at.split(".")) value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
    // A credential given in the wrong shape is still a credential: never quote it.
    if (at.startsWith("auth") && typeof value === "string") value = "***";
    const rule = issue?.code === "unrecognized_keys" ? "is not a known option (see TrackerOptions)" : (issue?.message ?? "is invalid");
    throw new ValidationError(`options.${at}`, value, rule);
  }
  const o = parsed.data;
  const cwd = o.cwd ?? process.cwd();
  const givenUri = o.trackingUri ?? (env["MLFLOW_TRACKING_URI"] || undefined) ?? "./mltrail";
  const backend = resolveBackend(givenUri, cwd);
  // Credentials in the URI become Basic auth and never stay in a printable field.
  const uriAuth: HttpAuth = {};
  let trackingUri = givenUri;
  if (backend.kind === "mlflow") {
    const url = new URL(givenUri);
    if (url.username !== "" || url.password !== "") {
      Object.assign(uriAuth, uriCredentials(url, givenUri, "options.trackingUri"));
      trackingUri = backend.url;
    }
  }
  const targets = resolveTargets(
    o.targets ??
      (env["MLTRAIL_TARGETS"] || "")
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    cwd,
    backend,
  );
  const resolved: ResolvedOptions = {
    trackingUri,
    backend,
    targets,
    experiment: o.experiment ?? (env["MLFLOW_EXPERIMENT_NAME"] || undefined) ?? "Default",
    durability: o.durability ?? envEnum(env, "MLTRAIL_DURABILITY", ["interval", "always"] as const) ?? "interval",
    fsyncIntervalMs: o.fsyncIntervalMs ?? envInt(env, "MLTRAIL_FSYNC_INTERVAL_MS", BOUNDS.fsyncIntervalMs) ?? 1000,
    commitIntervalMs: o.commitIntervalMs ?? envInt(env, "MLTRAIL_COMMIT_INTERVAL_MS", BOUNDS.commitIntervalMs) ?? 0,
    logLevel: o.logLevel ?? envEnum(env, "MLTRAIL_LOG_LEVEL", ["debug", "info", "warn", "error", "silent"] as const) ?? "warn",
    logger: o.logger,
    captureContext: o.captureContext ?? envBool(env, "MLTRAIL_CAPTURE_CONTEXT") ?? true,
    ...resolveAddons(o, env),
    runNameTemplate: o.runNameTemplate ?? (env["MLTRAIL_RUN_NAME_TEMPLATE"] || undefined) ?? "{random}-{seq}",
    namePolicy: Object.freeze({ ...(o.namePolicy ?? {}) }) as NamePolicy,
    handleExit: o.handleExit ?? envBool(env, "MLTRAIL_HANDLE_EXIT") ?? true,
    exitFlushTimeoutMs: o.exitFlushTimeoutMs ?? envInt(env, "MLTRAIL_EXIT_FLUSH_TIMEOUT_MS", BOUNDS.exitFlushTimeoutMs) ?? 2000,
    cwd,
    mode: o.mode ?? envEnum(env, "MLTRAIL_MODE", ["online", "offline"] as const) ?? "online",
    spoolDir: path.resolve(cwd, o.spoolDir ?? (env["MLTRAIL_SPOOL_DIR"] || undefined) ?? "./mltrail"),
    auth: sealAuth(
      (backend.kind === "mlflow" || targets.some((t) => /^https?:/i.test(t))
        ? { ...authFromEnv(env), ...uriAuth, ...stripUndefined(o.auth ?? {}) }
        : { ...stripUndefined(o.auth ?? {}) }) as HttpAuth,
    ),
    requestTimeoutMs: o.requestTimeoutMs ?? envInt(env, "MLTRAIL_REQUEST_TIMEOUT_MS", BOUNDS.requestTimeoutMs) ?? 30_000,
    limits: Object.freeze({ ...MLFLOW_LIMITS, ...stripUndefined(o.limits ?? {}) }) as BackendLimits,
    maxConcurrentRequests: o.maxConcurrentRequests ?? envInt(env, "MLTRAIL_MAX_CONCURRENT_REQUESTS", BOUNDS.maxConcurrentRequests) ?? 4,
    replicationIntervalMs: o.replicationIntervalMs ?? envInt(env, "MLTRAIL_REPLICATION_INTERVAL_MS", BOUNDS.replicationIntervalMs) ?? 1000,
    retryBaseMs: o.retryBaseMs ?? envInt(env, "MLTRAIL_RETRY_BASE_MS", BOUNDS.retryBaseMs) ?? 500,
    retryMaxMs: o.retryMaxMs ?? envInt(env, "MLTRAIL_RETRY_MAX_MS", BOUNDS.retryMaxMs) ?? 30_000,
    authRetryMs: o.authRetryMs ?? envInt(env, "MLTRAIL_AUTH_RETRY_MS", BOUNDS.authRetryMs) ?? 30_000,
    drainOnStart: o.drainOnStart ?? envBool(env, "MLTRAIL_DRAIN_ON_START") ?? true,
    syncEarlierRuns: o.syncEarlierRuns ?? envBool(env, "MLTRAIL_SYNC_EARLIER_RUNS"),
    closeTimeoutMs: o.closeTimeoutMs ?? envInt(env, "MLTRAIL_CLOSE_TIMEOUT_MS", BOUNDS.closeTimeoutMs) ?? 30_000,
    versionTag: o.versionTag ?? (env["MLTRAIL_VERSION_TAG"] || undefined) ?? "mltrail.version",
    requireRationale: o.requireRationale ?? envBool(env, "MLTRAIL_REQUIRE_RATIONALE") ?? false,
  };
  return Object.freeze(resolved);
}

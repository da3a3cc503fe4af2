/**
 * Tracker options as given ({@link TrackerOptions}) and as resolved ({@link ResolvedOptions}:
 * frozen, every field present), and the environment they are read from ({@link Env}).
 */
import type { LogLevel, LogSink } from "../internal/logger.js";
import type { Durability } from "../log/journal.js";
import type { BackendLimits } from "../model/limits.js";
import type { HttpAuth } from "../remote/http-types.js";
import type { AddonSettings, ConsoleCaptureOptions, SystemMetricsOptions } from "../run-addons.js";
import type { Backend } from "./backend.js";

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
   * Let a writer thread encode the metric records and make the run log's writes once a run
   * logs in a steady loop (64 group commits): the loop's own thread then only copies each
   * metric's fields into shared memory, instead of encoding lines (~0.4 µs a metric) and
   * writing them (bench/README "Encoding leaves the loop's thread"). A SIGKILL then loses what
   * the thread has not written yet, normally the last 5 ms, instead of the last event-loop turn.
   * Needs the package's `writer-thread.js` next to its bundle (an application bundled into one
   * file writes on the loop's thread).
   * `flush()`, `end()`, reads and exit paths wait for it. Only with `durability: "interval"`
   * and no tracking server (a replicator only ever sends written records, read from memory).
   * `false` writes on the loop's thread always. Env: `MLTRAIL_WRITER_THREAD`.
   * @default true
   * @example `new Tracker({ writerThread: false })`
   */
  readonly writerThread?: boolean;
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

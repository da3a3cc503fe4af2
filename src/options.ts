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
import type { LogLevel, LogSink } from "./internal/logger.js";
import type { Durability } from "./log/journal.js";

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
}

/**
 * Environment variables as read by {@link resolveOptions}.
 * @example `process.env`
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** Which store a tracker uses. */
export type Backend = { readonly kind: "local"; readonly root: string } | { readonly kind: "mlflow"; readonly url: string };

/**
 * Options after defaults and environment variables are applied. Frozen.
 * @example `tracker.options.durability`
 */
export interface ResolvedOptions {
  readonly trackingUri: string;
  readonly backend: Backend;
  readonly experiment: string;
  readonly durability: Durability;
  readonly fsyncIntervalMs: number;
  readonly logLevel: LogLevel;
  readonly logger: LogSink | undefined;
  readonly captureContext: boolean;
  readonly runNameTemplate: string;
  readonly namePolicy: NamePolicy;
  readonly handleExit: boolean;
  readonly exitFlushTimeoutMs: number;
  readonly cwd: string;
}

const regex = z.custom<RegExp>((v) => v instanceof RegExp, { message: "must be a RegExp" });

const schema = z.strictObject({
  trackingUri: z.string().min(1).optional(),
  experiment: z.string().min(1).optional(),
  durability: z.enum(["interval", "always"]).optional(),
  fsyncIntervalMs: z.number().int().min(1).max(3_600_000).optional(),
  logLevel: z.enum(["debug", "info", "warn", "error", "silent"]).optional(),
  logger: z.custom<LogSink>((v) => typeof v === "function", { message: "must be a function" }).optional(),
  captureContext: z.boolean().optional(),
  runNameTemplate: z.string().min(1).optional(),
  namePolicy: z.strictObject({ run: regex.optional(), experiment: regex.optional(), model: regex.optional() }).optional(),
  handleExit: z.boolean().optional(),
  exitFlushTimeoutMs: z.number().int().min(0).max(60_000).optional(),
  cwd: z.string().min(1).optional(),
});

function envBool(env: Env, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ValidationError(`env ${name}`, raw, "must be true or false");
}

function envInt(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d+$/.test(raw)) throw new ValidationError(`env ${name}`, raw, "must be a whole number");
  return Number(raw);
}

function envEnum<T extends string>(env: Env, name: string, allowed: readonly T[]): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ValidationError(`env ${name}`, raw, `must be one of ${allowed.join(", ")}`);
}

/**
 * Parses a tracking URI into a backend.
 * @example `resolveBackend("./mltrail", "/home/me/project") // { kind: "local", root: "/home/me/project/mltrail" }`
 */
export function resolveBackend(uri: string, cwd: string): Backend {
  if (/^https?:\/\//i.test(uri)) {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new ValidationError("options.trackingUri", uri.replace(/\/\/[^@/]*@/, "//***@"), "must be a valid http(s) URL");
    }
    return { kind: "mlflow", url: url.toString().replace(/\/+$/, "") };
  }
  if (/^file:/i.test(uri)) return { kind: "local", root: fileURLToPath(uri) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) || /^(databricks|sqlite|postgresql|mysql)/i.test(uri)) {
    throw new ValidationError("options.trackingUri", uri.replace(/\/\/[^@/]*@/, "//***@"), "must be a folder path, a file: URI, or an http(s) URL of an MLflow-compatible server");
  }
  return { kind: "local", root: path.resolve(cwd, uri) };
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
    const rule = issue?.code === "unrecognized_keys" ? "is not a known option (see TrackerOptions)" : (issue?.message ?? "is invalid");
    throw new ValidationError(`options.${at}`, value, rule);
  }
  const o = parsed.data;
  const cwd = o.cwd ?? process.cwd();
  const trackingUri = o.trackingUri ?? (env["MLFLOW_TRACKING_URI"] || undefined) ?? "./mltrail";
  const resolved: ResolvedOptions = {
    trackingUri,
    backend: resolveBackend(trackingUri, cwd),
    experiment: o.experiment ?? (env["MLFLOW_EXPERIMENT_NAME"] || undefined) ?? "Default",
    durability: o.durability ?? envEnum(env, "MLTRAIL_DURABILITY", ["interval", "always"] as const) ?? "interval",
    fsyncIntervalMs: o.fsyncIntervalMs ?? envInt(env, "MLTRAIL_FSYNC_INTERVAL_MS") ?? 1000,
    logLevel: o.logLevel ?? envEnum(env, "MLTRAIL_LOG_LEVEL", ["debug", "info", "warn", "error", "silent"] as const) ?? "warn",
    logger: o.logger,
    captureContext: o.captureContext ?? envBool(env, "MLTRAIL_CAPTURE_CONTEXT") ?? true,
    runNameTemplate: o.runNameTemplate ?? (env["MLTRAIL_RUN_NAME_TEMPLATE"] || undefined) ?? "{random}-{seq}",
    namePolicy: Object.freeze({ ...(o.namePolicy ?? {}) }) as NamePolicy,
    handleExit: o.handleExit ?? envBool(env, "MLTRAIL_HANDLE_EXIT") ?? true,
    exitFlushTimeoutMs: o.exitFlushTimeoutMs ?? envInt(env, "MLTRAIL_EXIT_FLUSH_TIMEOUT_MS") ?? 2000,
    cwd,
  };
  return Object.freeze(resolved);
}

/** Applying environment variables and defaults to checked options: {@link resolveOptions}. */
import * as path from "node:path";
import { envBool, envEnum, envInt } from "../internal/env.js";
import { uriCredentials } from "../internal/redact.js";
import { MLFLOW_LIMITS, type BackendLimits } from "../model/limits.js";
import { authFromEnv } from "../remote/http.js";
import { sealAuth } from "../remote/http-shared.js";
import type { HttpAuth } from "../remote/http-types.js";
import { resolveAddons } from "../run-addons.js";
import { resolveBackend, resolveTargets } from "./backend.js";
import { BOUNDS, parseOptions } from "./schema.js";
import type { Env, NamePolicy, ResolvedOptions, TrackerOptions } from "./types.js";

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Applies environment variables and defaults to options. Throws ValidationError naming the
 * option for unknown or ill-typed options.
 *
 * @example `resolveOptions({ experiment: "churn" }, process.env).durability // "interval"`
 */
export function resolveOptions(options: TrackerOptions | undefined, env: Env = process.env): ResolvedOptions {
  const o = parseOptions(options);
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
    writerThread: o.writerThread ?? envBool(env, "MLTRAIL_WRITER_THREAD") ?? true,
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

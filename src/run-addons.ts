/**
 * Opt-in companions of a run: system metrics and console capture. Each is set per tracker
 * (`TrackerOptions`) or per run (`StartRunOptions`, which wins), checked before the run starts,
 * attached once it has, and stopped synchronously right before the run's end record (on
 * `end()` and on the process exit paths alike).
 *
 * @packageDocumentation
 */
import { ValidationError } from "./errors.js";
import { ConsoleCapture, DEFAULT_CONSOLE_MAX_BYTES } from "./console-capture/capture.js";
import { envBool, type EnvVars } from "./internal/env.js";
import { RUN_ADDONS, type Run } from "./run.js";
import { DEFAULT_SYSTEM_METRICS_INTERVAL_MS, SYSTEM_PREFIX, SystemMetricsMonitor } from "./system-metrics/monitor.js";

/**
 * Settings of system metrics.
 * @example `{ intervalMs: 5000 }`
 */
export interface SystemMetricsOptions {
  /** Sampling period in ms, from 100 to 3,600,000. @default 10000 (MLflow's) */
  readonly intervalMs?: number;
}

/**
 * Settings of console capture.
 * @example `{ maxBytes: 1_000_000 }`
 */
export interface ConsoleCaptureOptions {
  /** Most bytes stored per run, from 1 KiB to 1 GiB; output past it is counted, not stored. @default 10485760 (10 MiB) */
  readonly maxBytes?: number;
}

/**
 * The resolved `systemMetrics` and `captureConsole` options of a tracker (part of
 * `ResolvedOptions`): undefined means off.
 * @example `{ systemMetrics: { intervalMs: 10000 }, captureConsole: undefined }`
 */
export interface AddonSettings {
  /** System metrics, when on. */
  readonly systemMetrics:
    | {
        /** Sampling period, ms. */
        readonly intervalMs: number;
      }
    | undefined;
  /** Console capture, when on. */
  readonly captureConsole:
    | {
        /** Most bytes stored per run. */
        readonly maxBytes: number;
      }
    | undefined;
}

const INTERVAL: readonly [number, number] = [100, 3_600_000];
const MAX_BYTES: readonly [number, number] = [1024, 1 << 30];

function bounded(field: string, value: unknown, [min, max]: readonly [number, number]): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    throw new ValidationError(field, value, `must be a whole number from ${min} to ${max}`);
  return value;
}

function settingsObject(field: string, value: unknown, key: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ValidationError(field, value, `must be true, false or { ${key} }`);
  for (const k of Object.keys(value))
    if (k !== key) throw new ValidationError(`${field}.${k}`, (value as Record<string, unknown>)[k], `is not a known option (${key})`);
  return value as Record<string, unknown>;
}

/** Checks a `systemMetrics` option: off (false), on with the default interval (true) or `{ intervalMs }`. @internal */
export function checkSystemMetrics(field: string, value: unknown): AddonSettings["systemMetrics"] | false | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "boolean") return value ? { intervalMs: DEFAULT_SYSTEM_METRICS_INTERVAL_MS } : false;
  const o = settingsObject(field, value, "intervalMs");
  return { intervalMs: o.intervalMs === undefined ? DEFAULT_SYSTEM_METRICS_INTERVAL_MS : bounded(`${field}.intervalMs`, o.intervalMs, INTERVAL) };
}

/** Checks a `captureConsole` option: off (false), on with the default bound (true) or `{ maxBytes }`. @internal */
export function checkCaptureConsole(field: string, value: unknown): AddonSettings["captureConsole"] | false | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "boolean") return value ? { maxBytes: DEFAULT_CONSOLE_MAX_BYTES } : false;
  const o = settingsObject(field, value, "maxBytes");
  return { maxBytes: o.maxBytes === undefined ? DEFAULT_CONSOLE_MAX_BYTES : bounded(`${field}.maxBytes`, o.maxBytes, MAX_BYTES) };
}

/**
 * The tracker-level settings: the option, else MLflow's `MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING`
 * and `MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL` (seconds), and `MLTRAIL_CAPTURE_CONSOLE`. @internal
 */
export function resolveAddons(options: { readonly systemMetrics?: unknown; readonly captureConsole?: unknown }, env: EnvVars): AddonSettings {
  let systemMetrics = checkSystemMetrics("options.systemMetrics", options.systemMetrics);
  if (systemMetrics === undefined && envBool(env, "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING") === true) {
    const seconds = env["MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL"]?.trim();
    const ms = seconds === undefined || seconds === "" ? DEFAULT_SYSTEM_METRICS_INTERVAL_MS : Math.round(Number(seconds) * 1000);
    systemMetrics = { intervalMs: bounded("env MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL (in ms)", ms, INTERVAL) };
  }
  let captureConsole = checkCaptureConsole("options.captureConsole", options.captureConsole);
  if (captureConsole === undefined && envBool(env, "MLTRAIL_CAPTURE_CONSOLE") === true) captureConsole = { maxBytes: DEFAULT_CONSOLE_MAX_BYTES };
  return { systemMetrics: systemMetrics || undefined, captureConsole: captureConsole || undefined };
}

/**
 * Starts what the run asks for (its own options win over the tracker's) and stops it right
 * before the run's end record. @internal
 */
export function attachAddons(
  run: Run,
  tracker: AddonSettings,
  request: { readonly systemMetrics?: unknown; readonly captureConsole?: unknown } | undefined,
): void {
  const sm = checkSystemMetrics("startRun options.systemMetrics", request?.systemMetrics);
  const cc = checkCaptureConsole("startRun options.captureConsole", request?.captureConsole);
  const systemMetrics = sm === undefined ? tracker.systemMetrics : sm || undefined;
  const captureConsole = cc === undefined ? tracker.captureConsole : cc || undefined;
  if (systemMetrics === undefined && captureConsole === undefined) return;
  const access = run[RUN_ADDONS]();
  if (systemMetrics !== undefined) {
    // A resumed run continues its system metrics' steps, as MLflow's monitor does.
    const firstStep = (access.maxStep(SYSTEM_PREFIX) ?? -1) + 1;
    const monitor = new SystemMetricsMonitor(
      { log: (metrics, step, timestamp) => run.logMetrics(metrics, { step, timestamp }), clock: access.artifacts.clock },
      { intervalMs: systemMetrics.intervalMs, firstStep },
    );
    access.onEnd(() => monitor.stop());
  }
  if (captureConsole !== undefined) {
    const capture = new ConsoleCapture(access.artifacts, captureConsole.maxBytes);
    access.onEnd(() => capture.stop());
  }
}

/** Option types of a run's calls, the checks of `logMetrics`, and the internal keys the tracker and add-ons reach a run by. */
import type { ArtifactContext } from "./artifacts/run-artifacts.js";
import type { Clock } from "./internal/clock.js";
import type { EndStatus } from "./model/types.js";
import { checkKey, checkMetricOptions, checkMetricValue, checkRecord, checkStep, checkTimestamp } from "./model/validate.js";

/**
 * Options of a metric logging call.
 * @example `run.logMetric("loss", 0.3, { step: 10 })`
 */
export interface MetricOptions {
  /** Training step, an integer. @default 0 */
  readonly step?: number;
  /** Time of the measurement, integer ms since the epoch. @default the time of the call */
  readonly timestamp?: number;
}

/**
 * Options of `run.end()`.
 * @example `await run.end({ status: "FAILED" })`
 */
export interface EndOptions {
  /** Final status. @default "FINISHED" */
  readonly status?: EndStatus;
}

/** Key of the exit-path end method: not a name users can call. @internal */
export const END_QUEUED: unique symbol = Symbol("mltrail.endQueued");

/** Key of the add-ons' access (system metrics, console capture): not a name users can call. @internal */
export const RUN_ADDONS: unique symbol = Symbol("mltrail.runAddons");

/** What add-ons get from a run: its artifact context, and hooks run synchronously before its end record. @internal */
export interface RunAddonAccess {
  readonly artifacts: ArtifactContext;
  /** Runs `hook` once, synchronously, right before the end record (on `end()` and on the exit paths). */
  onEnd(hook: () => void): void;
  /** The highest step of the metrics whose key starts with `prefix` (a resumed run's earlier ones included). */
  maxStep(prefix: string): number | undefined;
}

/** What a run (`R`) needs from its tracker. @internal */
export interface RunHostOf<R> {
  readonly clock: Clock;
  /** Durably ends the run: called once, after the end record is queued. */
  finishRun(run: R, status: EndStatus, endTime: number): Promise<void>;
  /** Makes the run's records durable in the local log (never waits for a server). */
  flushRun(run: R): Promise<void>;
  /** The run's id on the tracking server, once known. */
  remoteId(run: R): string | undefined;
  /** The run's page in the server's UI, once the server has created the run. */
  runUrl?(run: R): string | undefined;
  /** Prints a warning through the tracker's logger. */
  warn?(message: string): void;
}

/** A `logMetrics` call, checked in full (nothing is logged when one entry is bad). @internal */
export interface CheckedMetrics {
  /** Keys as JSON. */
  readonly keys: string[];
  readonly rawKeys: string[];
  readonly values: number[];
  readonly step: number;
  readonly timestamp: number | undefined;
}

/** Checks the arguments of `logMetrics`. @internal */
export function checkMetrics(metrics: Readonly<Record<string, number>>, options: MetricOptions | undefined): CheckedMetrics {
  checkRecord("metrics", metrics);
  let step = 0;
  let timestamp: number | undefined;
  const keys: string[] = [];
  const rawKeys: string[] = [];
  const values: number[] = [];
  for (const key in metrics) {
    rawKeys.push(key);
    keys.push(checkKey("metric", key));
    values.push(checkMetricValue(key, metrics[key]));
  }
  if (options !== undefined) {
    checkMetricOptions(options);
    const first = rawKeys[0] ?? "metrics";
    if (options.step !== undefined) step = checkStep(first, options.step);
    if (options.timestamp !== undefined) timestamp = checkTimestamp(first, options.timestamp);
  }
  return { keys, rawKeys, values, step, timestamp };
}

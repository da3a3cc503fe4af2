/**
 * The Run handle: the logging hot path. Every logging call validates with plain code,
 * stamps the record with its sequence number, timestamp and step, and queues one JSON line
 * for the journal's group commit. No I/O, no await, no promise.
 *
 * @packageDocumentation
 */
import { ConflictError, StateError, ValidationError } from "./errors.js";
import type { ArtifactContext } from "./artifacts/run-artifacts.js";
export { END_QUEUED, RUN_ADDONS, type EndOptions, type MetricOptions, type RunAddonAccess } from "./run-types.js";
import { RunArtifacts } from "./run-artifacts.js";
import type { JournalWriter } from "./log/journal.js";
import type { LiveFold } from "./store/index/live-fold.js";
import { endJson, keyValueJson } from "./log/record.js";
import type { EndStatus, NestedParams, ParamValue } from "./model/types.js";
import { checkMetrics, END_QUEUED, RUN_ADDONS, type EndOptions, type MetricOptions, type RunAddonAccess, type RunHostOf } from "./run-types.js";
import { flattenParams } from "./model/flatten-params.js";
import { checkEndStatus } from "./model/args.js";
import {
  checkKey,
  checkMetricOptions,
  checkMetricValue,
  checkParamValue,
  checkRecord,
  checkStep,
  checkTagValue,
  checkTimestamp,
  keyLabel,
} from "./model/validate.js";

/** What a Run needs from its tracker. @internal */
export type RunHost = RunHostOf<Run>;

/** Whether the "logging after the exit hooks ended the run" warning was printed (once per process). */
let lateCallWarned = false;

/**
 * A run being logged. Get one from `tracker.startRun()` or `tracker.withRun()`.
 *
 * Logging calls (`logParam`, `logMetric`, `setTag`, …) are synchronous: they return once the
 * record is in memory; the record reaches the run log within the same event-loop turn. They
 * throw only {@link ValidationError} (bad input), {@link ConflictError} (a param re-logged with
 * another value), {@link StateError} (the run has ended) and, while the disk is full and the
 * in-memory backlog has reached its bound, `StorageFullError`; they store nothing when
 * they throw.
 *
 * @example
 * ```ts
 * await using run = await tracker.startRun({ name: "baseline" });
 * run.logParam("lr", 1e-3);
 * for (let step = 0; step < 100; step++) run.logMetric("loss", 1 / (step + 1), { step });
 * ```
 */
export class Run extends RunArtifacts implements AsyncDisposable {
  /** Run id (a 32-hex-digit local id, or the server's id for runs created online). */
  readonly id: string;
  /** Id of the experiment the run belongs to. */
  readonly experimentId: string;
  /** Display name of the run. */
  readonly name: string;
  /** Start time, ms since the epoch. */
  readonly startTime: number;

  private readonly writer: JournalWriter;
  private readonly host: RunHost;
  protected readonly artifacts: ArtifactContext;
  /** What this run logged, folded as it goes (its index row at the end). */
  private readonly live: LiveFold;
  private ending: Promise<void> | undefined;
  /** Set when the process exit hooks ended the run: later logging calls are dropped, not errors. */
  private endedOnExit = false;
  private readonly endHooks: (() => void)[] = [];

  /** @internal Created by the Tracker. */
  constructor(init: {
    id: string;
    experimentId: string;
    name: string;
    startTime: number;
    writer: JournalWriter;
    host: RunHost;
    artifactsDir: string;
    live: LiveFold;
  }) {
    super();
    this.id = init.id;
    this.live = init.live;
    this.experimentId = init.experimentId;
    this.name = init.name;
    this.startTime = init.startTime;
    this.writer = init.writer;
    this.host = init.host;
    this.artifacts = {
      runId: init.id,
      artifactsDir: init.artifactsDir,
      writer: init.writer,
      clock: init.host.clock,
      checkOpen: () => {
        if (!this.open()) throw StateError.of("run", this.id, "was ended by the process exit hooks (a signal or the exit)");
      },
      setTag: (key, value) => this.setTag(key, value),
      getTag: (key) => this.live.tags.get(key),
    };
  }

  /**
   * The run's id on the tracking server: equal to `id` for runs created online, learned later
   * for runs started while the server was unreachable, undefined on the local store.
   */
  get remoteId(): string | undefined {
    return this.host.remoteId(this);
  }

  /**
   * The run's page in the tracking server's UI, in MLflow's form
   * `<server>/#/experiments/<id>/runs/<runId>`: set once the server has created the run (at
   * start when it answers, else when replication does), undefined on the local store.
   * @example `console.log(`view it at ${run.url}`)`
   */
  get url(): string | undefined {
    return this.host.runUrl?.(this);
  }

  /** True once `end()` has been called. */
  get ended(): boolean {
    return this.ending !== undefined;
  }

  /**
   * Whether a logging call may log. After `end()` it throws a StateError. After the process
   * exit hooks ended the run (SIGINT/SIGTERM, uncaught error, exit) it returns false: the
   * process is about to end by that cause, so a training loop still logging during the exit
   * flush must not turn it into an uncaught error; the call is dropped, with one warning.
   */
  private open(): boolean {
    if (this.ending === undefined) return true;
    if (!this.endedOnExit) throw StateError.of("run", this.id, "has ended: logging calls need a run that is still open (start a new run)");
    if (!lateCallWarned) {
      lateCallWarned = true;
      this.host.warn?.(`run ${this.id} was ended by the process exit hooks (a signal or the exit); logging calls made after that are dropped (shown once)`);
    }
    return false;
  }

  /**
   * Logs a param. Params are immutable: logging the same value again is a no-op, another
   * value is a {@link ConflictError}. Numbers and booleans are stored as strings.
   * @example `run.logParam("lr", 0.001)`
   */
  logParam(key: string, value: ParamValue): void {
    if (!this.open()) return;
    const keyJson = checkKey("param", key);
    const text = checkParamValue(key, value);
    if (this.acceptParam(key, text)) this.appendParam(keyJson, key, text);
  }

  private acceptParam(key: string, text: string): boolean {
    const previous = this.live.params.get(key);
    if (previous === undefined) return true;
    if (previous === text) return false;
    throw ConflictError.of(`param ${keyLabel(key)} value`, text, `params are immutable: already logged as ${JSON.stringify(previous.slice(0, 60))}`);
  }

  private appendParam(keyJson: string, key: string, text: string): void {
    this.live.params.set(key, text);
    const s = this.writer.nextSeq();
    this.writer.append(keyValueJson(s, "p", keyJson, text, this.host.clock()), s);
  }

  /**
   * Logs several params at once: all are checked first, so nothing is stored when one is bad.
   * Nested plain objects are flattened with `.` (`{ optimizer: { lr: 0.1 } }` logs
   * `optimizer.lr`) and arrays are stored as JSON text; two paths giving one key, a cycle or
   * nesting deeper than 16 levels is a {@link ValidationError}.
   * @example `run.logParams({ lr: 0.001, optimizer: { name: "adam", betas: [0.9, 0.999] } })`
   */
  logParams(params: NestedParams): void {
    if (!this.open()) return;
    const entries = Object.entries(flattenParams(checkRecord("params", params)));
    const checked: [string, string, string][] = [];
    for (const [key, value] of entries) {
      const keyJson = checkKey("param", key);
      const text = checkParamValue(key, value);
      if (this.acceptParam(key, text)) checked.push([keyJson, key, text]);
    }
    for (const [keyJson, key, text] of checked) this.appendParam(keyJson, key, text);
  }

  /**
   * Logs one metric value. NaN and ±Infinity are allowed.
   * @example `run.logMetric("loss", 0.31, { step: 10 })`
   */
  logMetric(key: string, value: number, options?: MetricOptions): void {
    if (this.ending !== undefined && !this.open()) return;
    const keyJson = checkKey("metric", key);
    if (typeof value !== "number") checkMetricValue(key, value);
    let step = 0;
    let timestamp: number | undefined;
    if (options !== undefined) {
      if (options === null || typeof options !== "object") checkMetricOptions(options);
      if (options.step !== undefined) step = checkStep(key, options.step);
      if (options.timestamp !== undefined) timestamp = checkTimestamp(key, options.timestamp);
    }
    const ts = timestamp ?? this.host.clock();
    this.writer.appendMetric(keyJson, value, ts, step);
    this.live.metric(key, value, step, ts);
  }

  /**
   * The highest step logged for `key` in this run, a resumed run's earlier life included (on a
   * server, read from it when the run was logged elsewhere); undefined before any point.
   * @example `for (let step = (run.lastStep("loss") ?? -1) + 1; step < 100; step++) run.logMetric("loss", train(), { step })`
   */
  lastStep(key: string): number | undefined {
    return this.live.latest.get(key)?.step;
  }

  /**
   * Logs several metrics with one step and timestamp; all are checked first.
   * @example `run.logMetrics({ loss: 0.31, acc: 0.9 }, { step: 10 })`
   */
  logMetrics(metrics: Readonly<Record<string, number>>, options?: MetricOptions): void {
    if (!this.open()) return;
    const { keys, rawKeys, values, step, timestamp } = checkMetrics(metrics, options);
    const ts = timestamp ?? this.host.clock();
    for (let i = 0; i < keys.length; i++) {
      this.writer.appendMetric(keys[i] as string, values[i] as number, ts, step);
      this.live.metric(rawKeys[i] as string, values[i] as number, step, ts);
    }
  }

  /**
   * Sets a tag; the last value wins.
   * @example `run.setTag("stage", "tuning")`
   */
  setTag(key: string, value: string | number | boolean): void {
    if (!this.open()) return;
    const keyJson = checkKey("tag", key);
    const text = checkTagValue(key, value);
    this.live.tags.set(key, text);
    const s = this.writer.nextSeq();
    this.writer.append(keyValueJson(s, "t", keyJson, text, this.host.clock()), s);
  }

  /**
   * Sets several tags; all are checked first.
   * @example `run.setTags({ team: "growth", stage: "tuning" })`
   */
  setTags(tags: Readonly<Record<string, string | number | boolean>>): void {
    if (!this.open()) return;
    const checked = Object.entries(checkRecord("tags", tags)).map(([key, value]) => [checkKey("tag", key), checkTagValue(key, value), key] as const);
    const ts = this.host.clock();
    for (const [keyJson, text, key] of checked) {
      this.live.tags.set(key, text);
      const s = this.writer.nextSeq();
      this.writer.append(keyValueJson(s, "t", keyJson, text, ts), s);
    }
  }

  /**
   * Resolves once everything this run logged so far is written and fsynced to the local run
   * log: it survives a crash of the process or the machine. It never waits for a tracking
   * server, whatever state the server is in; replication continues in the background. To wait
   * until the server has acknowledged it, use `tracker.flush({ timeoutMs })`.
   * @example `await run.flush(); // durable on disk`
   */
  async flush(): Promise<void> {
    if (this.ending !== undefined) return this.ending;
    await this.host.flushRun(this);
  }

  /**
   * Ends the run with a status and resolves when the log is durable. Calling it again
   * returns the first call's promise.
   * @example `await run.end()`
   */
  end(options?: EndOptions): Promise<void> {
    if (this.ending !== undefined) return this.ending;
    let status: EndStatus;
    try {
      status = checkEndStatus(options);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    this.runEndHooks();
    const endTime = this.host.clock();
    const s = this.writer.nextSeq();
    this.writer.append(endJson(s, status, endTime), s);
    this.ending = this.host.finishRun(this, status, endTime);
    return this.ending;
  }

  /** Ends the run FINISHED when it is still open (`await using run = …`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.end();
  }

  /** @internal Marks the run ended with an end record, without I/O (exit paths write it synchronously). */
  [END_QUEUED](status: EndStatus, endTime: number, finish: Promise<void>): void {
    if (this.ending !== undefined) return;
    this.runEndHooks();
    const s = this.writer.nextSeq();
    this.writer.append(endJson(s, status, endTime), s);
    this.ending = finish;
    this.endedOnExit = true;
  }

  private runEndHooks(): void {
    for (const hook of this.endHooks.splice(0)) {
      try {
        hook();
      } catch (err) {
        this.host.warn?.(`run ${this.id}: ending an add-on failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** @internal */
  [RUN_ADDONS](): RunAddonAccess {
    const maxStep = (prefix: string): number | undefined => {
      let max: number | undefined;
      for (const [key, point] of this.live.latest) if (key.startsWith(prefix) && (max === undefined || point.step > max)) max = point.step;
      return max;
    };
    return { artifacts: this.artifacts, onEnd: (hook) => void this.endHooks.push(hook), maxStep };
  }
}

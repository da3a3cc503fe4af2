/**
 * The browser's Run handle: the same logging calls, validators and errors as the Node SDK's
 * `Run`. Each call checks its input with the validators of `src/model`, stamps records with the
 * run's next sequence numbers and queues them for the tracker's group commit: no I/O, no await.
 *
 * @packageDocumentation
 */
import { ConflictError, StateError, ValidationError } from "../errors.js";
import type { JournalRecord } from "../log/record.js";
import { checkEndStatus } from "../model/args.js";
import { flattenParams } from "../model/flatten-params.js";
import type { EndStatus, NestedParams, ParamValue } from "../model/types.js";
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
} from "../model/validate.js";
import type { RunDoc } from "./store.js";

/**
 * Options of a metric logging call (as in the Node SDK).
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

/** What a browser run needs from its tracker. @internal */
export interface BrowserRunHost {
  /** Queues records for the group commit. @throws StorageFullError at the queue's bound. */
  append(doc: RunDoc, records: readonly JournalRecord[]): void;
  /** The end record is queued: make it durable and hand the run to replication. */
  finishRun(run: Run): Promise<void>;
  /** Resolves once the run's records are in IndexedDB. */
  flushRun(run: Run): Promise<void>;
}

/**
 * A run being logged from a page. Get one from `tracker.startRun()` or `tracker.withRun()`.
 *
 * Logging calls are synchronous: they return once the records are queued; the records reach
 * IndexedDB in the group commit right after the current task. They throw only
 * {@link ValidationError} (bad input), {@link ConflictError} (a param re-logged with another
 * value), {@link StateError} (the run has ended) and `StorageFullError` (the in-memory queue is
 * at its bound because IndexedDB refuses writes, e.g. a full quota); they store nothing when
 * they throw.
 *
 * @example
 * ```ts
 * const run = await tracker.startRun({ name: "fit" });
 * for (let step = 0; step < 100; step++) run.logMetric("loss", 1 / (step + 1), { step });
 * await run.end();
 * ```
 */
export class Run {
  /** Run id: the server's id when the server created the run at start, else the local run key. */
  readonly id: string;
  /** The local run key (32 hex digits), also the `mltrail.runKey` tag on the server. */
  readonly key: string;
  /** Display name of the run. */
  readonly name: string;
  /** Experiment name. */
  readonly experiment: string;
  /** Start time, ms since the epoch. */
  readonly startTime: number;

  private readonly params: Map<string, string>;
  private readonly latest: Map<string, number>;
  private nextSeq: number;
  private ending: Promise<void> | undefined;

  /** @internal */
  constructor(
    /** @internal */ readonly doc: RunDoc,
    private readonly host: BrowserRunHost,
    nextSeq: number,
  ) {
    this.key = doc.rk;
    this.id = doc.remoteRunId ?? doc.rk;
    this.name = doc.name;
    this.experiment = doc.experiment;
    this.startTime = doc.startTime;
    this.params = new Map(Object.entries(doc.params));
    this.latest = new Map(Object.entries(doc.steps));
    this.nextSeq = nextSeq;
  }

  /** The run's id on the server, once the server has created it. @example `run.remoteId` */
  get remoteId(): string | undefined {
    return this.doc.remoteRunId;
  }

  /** The server's id of the run's experiment, once known. @example `run.experimentId` */
  get experimentId(): string | undefined {
    return this.doc.remoteExperimentId;
  }

  /** True once `end()` was called. @example `if (!run.ended) await run.end()` */
  get ended(): boolean {
    return this.ending !== undefined;
  }

  private open(): void {
    if (this.ending !== undefined) throw StateError.of("run", this.id, "has ended: logging calls need a run that is still open (start a new run)");
  }

  /** Stamps and queues records built from their sequence numbers; all or none. @internal */
  queue(build: (seq: number, i: number) => JournalRecord, count: number): void {
    const records: JournalRecord[] = [];
    for (let i = 0; i < count; i++) records.push(build(this.nextSeq + 1 + i, i));
    this.host.append(this.doc, records);
    this.nextSeq += count;
  }

  /**
   * Logs a param. Params are immutable: logging the same value again is a no-op, another value
   * is a {@link ConflictError}. Numbers and booleans are stored as strings.
   * @example `run.logParam("lr", 0.001)`
   */
  logParam(key: string, value: ParamValue): void {
    this.logParams({ [key]: value });
  }

  /**
   * Logs several params at once; all are checked first. Nested objects are flattened with `.`.
   * @example `run.logParams({ lr: 0.001, optimizer: { name: "adam" } })`
   */
  logParams(params: NestedParams): void {
    this.open();
    const entries = Object.entries(flattenParams(checkRecord("params", params)));
    const fresh: [string, string][] = [];
    for (const [key, value] of entries) {
      checkKey("param", key);
      const text = checkParamValue(key, value);
      const previous = this.params.get(key);
      if (previous === text) continue;
      if (previous !== undefined)
        throw ConflictError.of(`param ${keyLabel(key)} value`, text, `params are immutable: already logged as ${JSON.stringify(previous.slice(0, 60))}`);
      fresh.push([key, text]);
    }
    const ts = Date.now();
    this.queue((s, i) => ({ s, t: "p", k: (fresh[i] as [string, string])[0], v: (fresh[i] as [string, string])[1], ts }), fresh.length);
    for (const [key, text] of fresh) this.params.set(key, text);
  }

  /**
   * Logs one metric value. NaN and ±Infinity are allowed.
   * @example `run.logMetric("loss", 0.31, { step: 10 })`
   */
  logMetric(key: string, value: number, options?: MetricOptions): void {
    this.logMetrics({ [key]: value }, options);
  }

  /**
   * Logs several metrics with one step and timestamp; all are checked first.
   * @example `run.logMetrics({ loss: 0.31, acc: 0.9 }, { step: 10 })`
   */
  logMetrics(metrics: Readonly<Record<string, number>>, options?: MetricOptions): void {
    this.open();
    checkRecord("metrics", metrics);
    const keys: string[] = [];
    const values: number[] = [];
    for (const key in metrics) {
      checkKey("metric", key);
      keys.push(key);
      values.push(checkMetricValue(key, metrics[key]));
    }
    let step = 0;
    let ts = Date.now();
    if (options !== undefined) {
      checkMetricOptions(options);
      const first = keys[0] ?? "metrics";
      if (options.step !== undefined) step = checkStep(first, options.step);
      if (options.timestamp !== undefined) ts = checkTimestamp(first, options.timestamp);
    }
    this.queue((s, i) => ({ s, t: "m", k: keys[i] as string, v: values[i] as number, ts, st: step }), keys.length);
    for (const key of keys) this.latest.set(key, Math.max(this.latest.get(key) ?? step, step));
  }

  /**
   * The highest step logged for `key` in this run, a resumed run's earlier page loads included;
   * undefined before any point.
   * @example `for (let step = (run.lastStep("loss") ?? -1) + 1; step < 100; step++) run.logMetric("loss", train(), { step })`
   */
  lastStep(key: string): number | undefined {
    return this.latest.get(key);
  }

  /**
   * Sets a tag; the last value wins.
   * @example `run.setTag("stage", "tuning")`
   */
  setTag(key: string, value: string | number | boolean): void {
    this.setTags({ [key]: value });
  }

  /**
   * Sets several tags; all are checked first.
   * @example `run.setTags({ team: "growth", stage: "tuning" })`
   */
  setTags(tags: Readonly<Record<string, string | number | boolean>>): void {
    this.open();
    const checked = Object.entries(checkRecord("tags", tags)).map(([key, value]) => {
      checkKey("tag", key);
      return [key, checkTagValue(key, value)] as const;
    });
    const ts = Date.now();
    this.queue((s, i) => ({ s, t: "t", k: (checked[i] as readonly [string, string])[0], v: (checked[i] as readonly [string, string])[1], ts }), checked.length);
  }

  /**
   * Resolves once every record logged so far is in IndexedDB (not on the server: see
   * `tracker.flush()`).
   * @example `await run.flush();`
   */
  async flush(): Promise<void> {
    if (this.ending !== undefined) return this.ending;
    await this.host.flushRun(this);
  }

  /**
   * Ends the run with a status and resolves once the end record is in IndexedDB; replication
   * sends it after everything else. Calling it again returns the first call's promise.
   * @example `await run.end()`
   */
  end(options?: EndOptions): Promise<void> {
    if (this.ending !== undefined) return this.ending;
    let status: EndStatus;
    try {
      status = checkEndStatus(options);
      this.queue((s) => ({ s, t: "end", status, ts: Date.now() }), 1);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    this.ending = this.host.finishRun(this);
    return this.ending;
  }

  /** Ends the run FINISHED when it is still open (`await using run = …`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.end();
  }

  /** What `JSON.stringify(run)` shows. @example `JSON.stringify(run)` */
  toJSON(): Record<string, unknown> {
    return { id: this.id, key: this.key, name: this.name, experiment: this.experiment, ended: this.ended };
  }
}

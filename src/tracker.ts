/**
 * Tracker: wires options, the store and the run logs, and exposes the public methods.
 *
 * @packageDocumentation
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { v7 as uuidv7 } from "uuid";
import { checkNamePolicy, renderName, validateTemplate } from "./capture/naming.js";
import { captureContextTags } from "./capture/tags.js";
import { NotFoundError, StateError, ValidationError, type SpoolError } from "./errors.js";
import { systemClock, type Clock } from "./internal/clock.js";
import { registerExitParticipant, unregisterExitParticipant, type ExitParticipant } from "./internal/exit-hooks.js";
import { createLogger, type Logger } from "./internal/logger.js";
import { writeFileAtomicSync } from "./log/atomic.js";
import { RunLog } from "./log/run-log.js";
import { MLFLOW_LIMITS } from "./model/limits.js";
import type { EndStatus, Experiment, Metric, ParamValue, RunRecord, SearchRunsOptions } from "./model/types.js";
import { checkName, checkRecord, checkRunId } from "./model/validate.js";
import { resolveOptions, type ResolvedOptions, type TrackerOptions } from "./options.js";
import { Run, type MetricOptions, type RunHost } from "./run.js";
import { searchRunRecords } from "./store/filter.js";
import { LocalStore } from "./store/local-store.js";
import type { RunPaths } from "./store/layout.js";
import type { RunMeta } from "./store/meta.js";

/**
 * Options of `startRun` and `withRun`.
 * @example `{ name: "baseline", params: { lr: 1e-3 }, tags: { team: "growth" } }`
 */
export interface StartRunOptions {
  /** Run name. @default rendered from the `runNameTemplate` option */
  readonly name?: string;
  /** Experiment name. @default the tracker's `experiment` option */
  readonly experiment?: string;
  /** Params logged at start. @default none */
  readonly params?: Readonly<Record<string, ParamValue>>;
  /** Tags set at start. @default none */
  readonly tags?: Readonly<Record<string, string>>;
  /** Parent run id for nested runs (tag `mlflow.parentRunId`). @default none */
  readonly parentRunId?: string;
  /** Description (tag `mlflow.note.content`). @default none */
  readonly description?: string;
}

/**
 * Targets a tracker-level logging call at a run by id instead of the active run.
 * @example `tracker.logParam("lr", 1, { runId })`
 */
export interface RunTarget {
  /** Id of an open run of this tracker. @default the active run */
  readonly runId?: string;
}

/**
 * Counts kept by a tracker since it was created.
 * @example `tracker.stats().pending`
 */
export interface TrackerStats {
  /** Records logged through this tracker. */
  readonly logged: number;
  /** Records written to the run logs (they survive a crash of the process). */
  readonly written: number;
  /** Records fsynced (they survive power loss). */
  readonly durable: number;
  /** Records acknowledged by the store: on the local store, the durable ones. */
  readonly acked: number;
  /** Records not yet acknowledged. */
  readonly pending: number;
  /** Records the store rejected (kept in the run's `rejected.jsonl`). */
  readonly rejected: number;
  /** Runs open in this tracker. */
  readonly activeRuns: number;
  /** `LOCAL` for the embedded store. */
  readonly state: "LOCAL";
  /** The last error seen, if any. */
  readonly lastError: string | undefined;
}

/**
 * Result of `flush()`.
 * @example `const { pending } = await tracker.flush();`
 */
export interface FlushResult {
  /** Records acknowledged (durable, on the local store). */
  readonly acked: number;
  /** Records still pending. */
  readonly pending: number;
  /** Records rejected. */
  readonly rejected: number;
}

interface OpenRun {
  readonly run: Run;
  readonly log: RunLog;
  readonly paths: RunPaths;
  readonly meta: RunMeta;
  readonly baseSeq: number;
}

const activeContext = new AsyncLocalStorage<Run>();

/**
 * The entry point: starts runs, answers queries, owns the local run logs.
 *
 * @example
 * ```ts
 * const tracker = new Tracker({ experiment: "churn" });
 * await tracker.withRun({ name: "baseline" }, async (run) => {
 *   run.logMetric("loss", 0.3, { step: 1 });
 * });
 * await tracker.close();
 * ```
 */
export class Tracker implements AsyncDisposable {
  /** The resolved options (frozen). */
  readonly options: ResolvedOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private storePromise: Promise<LocalStore> | undefined;
  private readonly open = new Map<string, OpenRun>();
  private readonly stack: Run[] = [];
  private closed = false;
  private lastError: string | undefined;
  private loggedBefore = { logged: 0, written: 0, durable: 0 };
  private readonly host: RunHost;
  private readonly exitParticipant: ExitParticipant;

  /**
   * Creates a tracker. Throws ValidationError for unknown or ill-typed options. Opens nothing
   * until the first call that needs the store.
   * @param options see {@link TrackerOptions}; every field has a default and most an env var.
   */
  constructor(options?: TrackerOptions) {
    this.options = resolveOptions(options);
    validateTemplate(this.options.runNameTemplate);
    checkName("options.experiment", this.options.experiment, MLFLOW_LIMITS.experimentNameLength);
    checkNamePolicy("experiment", this.options.experiment, this.options.namePolicy.experiment);
    if (this.options.backend.kind !== "local") {
      throw new ValidationError("options.trackingUri", this.options.trackingUri, "http(s) tracking servers are not supported by this build; use a folder path");
    }
    this.log = createLogger(this.options.logLevel, this.options.logger);
    this.clock = systemClock;
    this.host = {
      clock: this.clock,
      finishRun: (run, status, endTime) => this.finishRun(run, status, endTime),
      flushRun: async (run) => {
        await this.open.get(run.id)?.log.writer.flush();
      },
    };
    this.exitParticipant = {
      endAllSync: (status) => this.endAllSync(status),
      flushForExit: async () => {},
      exitFlushTimeoutMs: this.options.exitFlushTimeoutMs,
    };
  }

  private store(): Promise<LocalStore> {
    if (this.closed) return Promise.reject(new StateError("the tracker is closed"));
    if (this.storePromise === undefined) {
      const backend = this.options.backend;
      this.storePromise = LocalStore.open(backend.kind === "local" ? backend.root : "").then((store) => {
        store.onCorrupt = (runId, corrupt) => {
          this.lastError = `run ${runId}: ${corrupt.length} corrupt journal line(s) skipped`;
          this.log.error(`${this.lastError}; first at ${corrupt[0]?.segment ?? "?"} line ${corrupt[0]?.line ?? "?"}`);
        };
        return store;
      });
    }
    return this.storePromise;
  }

  /**
   * Starts a run and makes it the active run. Params and tags given here are logged first;
   * reproducibility tags (git, entry script, Node, …) are captured unless turned off.
   * @example `const run = await tracker.startRun({ name: "baseline", params: { lr: 1e-3 } });`
   */
  async startRun(options: StartRunOptions = {}): Promise<Run> {
    const opts = checkRecord("startRun options", options) as StartRunOptions;
    const experimentName = checkName("experiment name", opts.experiment ?? this.options.experiment, MLFLOW_LIMITS.experimentNameLength);
    checkNamePolicy("experiment", experimentName, this.options.namePolicy.experiment);
    if (opts.name !== undefined) checkName("run name", opts.name, MLFLOW_LIMITS.runNameLength);
    if (opts.parentRunId !== undefined) checkRunId("parentRunId", opts.parentRunId);
    if (opts.params !== undefined) checkRecord("params", opts.params);
    if (opts.tags !== undefined) checkRecord("tags", opts.tags);
    const store = await this.store();
    const experiment = await store.getOrCreateExperiment(experimentName, this.clock());
    const runId = uuidv7().replace(/-/g, "");
    const startTime = this.clock();
    const context = this.options.captureContext ? await captureContextTags({ cwd: this.options.cwd }) : {};
    const name =
      opts.name ??
      renderName(this.options.runNameTemplate, {
        experiment: experimentName,
        date: new Date(startTime),
        seq: (await store.countRuns(experiment.experimentId)) + 1,
        runId,
        ...(context["mlflow.user"] === undefined ? {} : { user: context["mlflow.user"] }),
        ...(context["mlflow.source.git.branch"] === undefined ? {} : { branch: context["mlflow.source.git.branch"] }),
        ...(context["mlflow.source.git.commit"] === undefined ? {} : { commit: context["mlflow.source.git.commit"] }),
      });
    checkName("run name", name, MLFLOW_LIMITS.runNameLength);
    checkNamePolicy("run", name, this.options.namePolicy.run);
    const meta: RunMeta = {
      format: "mltrail-run",
      version: 1,
      runId,
      experimentId: experiment.experimentId,
      name,
      startTime,
      status: "RUNNING",
      ...(opts.parentRunId === undefined ? {} : { parentRunId: opts.parentRunId }),
      ...(opts.description === undefined ? {} : { description: opts.description }),
      ...(context["mlflow.user"] === undefined ? {} : { user: context["mlflow.user"] }),
    };
    const paths = await store.createRunDir(experiment.experimentId, runId);
    const log = await RunLog.open(paths.journal, paths.lock, `run "${runId}"`, {
      durability: this.options.durability,
      fsyncIntervalMs: this.options.fsyncIntervalMs,
      onError: (err: SpoolError) => {
        this.lastError = err.message;
        this.log.error(err.message);
      },
    });
    await store.writeRunMeta(paths, meta);
    const run = new Run({ id: runId, experimentId: experiment.experimentId, name, startTime, writer: log.writer, host: this.host });
    this.open.set(runId, { run, log, paths, meta, baseSeq: log.writer.seq });
    this.stack.push(run);
    if (this.options.handleExit && this.open.size === 1) registerExitParticipant(this.exitParticipant);
    run.setTags({
      ...context,
      "mlflow.runName": name,
      ...(opts.parentRunId === undefined ? {} : { "mlflow.parentRunId": opts.parentRunId }),
      ...(opts.description === undefined ? {} : { "mlflow.note.content": opts.description }),
      ...opts.tags,
    });
    if (opts.params !== undefined) run.logParams(opts.params);
    return run;
  }

  /**
   * Runs `fn` inside a new run that is the active run of its async context. The run ends
   * FINISHED when `fn` resolves and FAILED when it throws (the error is rethrown).
   * @example `await tracker.withRun({ name: "cv-fold-1" }, async (run) => train(run));`
   */
  async withRun<T>(options: StartRunOptions, fn: (run: Run) => Promise<T> | T): Promise<T> {
    const run = await this.startRun(options);
    let result: T;
    try {
      result = await activeContext.run(run, () => fn(run));
    } catch (err) {
      await run.end({ status: "FAILED" });
      throw err;
    }
    await run.end();
    return result;
  }

  /**
   * The active run: the innermost `withRun` of the current async context, else the most
   * recently started run of this tracker that is still open.
   * @example `tracker.activeRun()?.id`
   */
  activeRun(): Run | undefined {
    const fromContext = activeContext.getStore();
    if (fromContext !== undefined && !fromContext.ended && this.open.has(fromContext.id)) return fromContext;
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const run = this.stack[i] as Run;
      if (!run.ended) return run;
    }
    return undefined;
  }

  private target(runId: string | undefined, call: string): Run {
    if (runId !== undefined) {
      const found = this.open.get(runId)?.run;
      if (found === undefined || found.ended) throw new ValidationError("runId", runId, `${call} needs an open run of this tracker`);
      return found;
    }
    const active = this.activeRun();
    if (active === undefined) throw new ValidationError("active run", undefined, `${call} needs an active run: call startRun()/withRun() first or pass { runId }`);
    return active;
  }

  /** Logs a param on the active run (or `{ runId }`). @example `tracker.logParam("lr", 0.001)` */
  logParam(key: string, value: ParamValue, target?: RunTarget): void {
    this.target(target?.runId, "logParam").logParam(key, value);
  }

  /** Logs a metric on the active run (or `{ runId }`). @example `tracker.logMetric("loss", 0.3, { step: 1 })` */
  logMetric(key: string, value: number, options?: MetricOptions & RunTarget): void {
    this.target(options?.runId, "logMetric").logMetric(key, value, options);
  }

  /** Logs metrics on the active run (or `{ runId }`). @example `tracker.logMetrics({ loss: 0.3 }, { step: 1 })` */
  logMetrics(metrics: Readonly<Record<string, number>>, options?: MetricOptions & RunTarget): void {
    this.target(options?.runId, "logMetrics").logMetrics(metrics, options);
  }

  /** Sets a tag on the active run (or `{ runId }`). @example `tracker.setTag("stage", "tuning")` */
  setTag(key: string, value: string | number | boolean, target?: RunTarget): void {
    this.target(target?.runId, "setTag").setTag(key, value);
  }

  private async finishRun(run: Run, status: EndStatus, endTime: number): Promise<void> {
    const entry = this.open.get(run.id);
    if (entry === undefined) return;
    try {
      await entry.log.close();
      const store = await this.store();
      await store.writeRunMeta(entry.paths, { ...entry.meta, status, endTime });
    } finally {
      this.forget(entry);
    }
  }

  private forget(entry: OpenRun): void {
    const w = entry.log.writer;
    const count = w.seq - entry.baseSeq;
    this.loggedBefore = {
      logged: this.loggedBefore.logged + count,
      written: this.loggedBefore.written + (w.writtenSeq - entry.baseSeq),
      durable: this.loggedBefore.durable + (w.syncedSeq - entry.baseSeq),
    };
    this.open.delete(entry.run.id);
    const at = this.stack.indexOf(entry.run);
    if (at >= 0) this.stack.splice(at, 1);
    if (this.open.size === 0) unregisterExitParticipant(this.exitParticipant);
  }

  /** Ends every open run synchronously (exit paths). */
  private endAllSync(status: EndStatus): void {
    for (const entry of [...this.open.values()]) {
      const endTime = this.clock();
      entry.run.endQueued(status, endTime, Promise.resolve());
      entry.log.closeSync();
      writeFileAtomicSync(entry.paths.meta, `${JSON.stringify({ ...entry.meta, status, endTime }, null, 2)}\n`);
      this.forget(entry);
    }
  }

  /** Reads a run by id. Throws NotFoundError. @example `const { info, data } = await tracker.getRun(id);` */
  async getRun(runId: string): Promise<RunRecord> {
    checkRunId("runId", runId);
    await this.open.get(runId)?.log.writer.commitSync();
    return (await this.store()).getRun(runId);
  }

  /** A metric's history in logged order. @example `await tracker.getMetricHistory(id, "loss")` */
  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    checkRunId("runId", runId);
    this.open.get(runId)?.log.writer.commitSync();
    return (await this.store()).getMetricHistory(runId, key);
  }

  /**
   * Searches runs with MLflow's filter syntax (see docs/search-syntax.md).
   * @example `await tracker.searchRuns({ filter: "metrics.acc > 0.9", orderBy: ["metrics.acc DESC"] })`
   */
  async searchRuns(options: SearchRunsOptions = {}): Promise<RunRecord[]> {
    for (const entry of this.open.values()) entry.log.writer.commitSync();
    const store = await this.store();
    const names = options.experiment === undefined ? [this.options.experiment] : typeof options.experiment === "string" ? [options.experiment] : options.experiment;
    const ids: string[] = [];
    for (const name of names) {
      const exp = await store.getExperimentByName(name);
      if (exp === undefined) throw new NotFoundError(`experiment "${name}" not found`);
      ids.push(exp.experimentId);
    }
    const searchOpts = {
      ...(options.filter === undefined ? {} : { filter: options.filter }),
      ...(options.orderBy === undefined ? {} : { orderBy: options.orderBy }),
      ...(options.maxResults === undefined ? {} : { maxResults: options.maxResults }),
    };
    return searchRunRecords(await store.listRuns(ids), searchOpts);
  }

  /** All experiments. @example `await tracker.listExperiments()` */
  async listExperiments(): Promise<Experiment[]> {
    return (await this.store()).listExperiments();
  }

  /** An experiment by name, or undefined. @example `await tracker.getExperimentByName("churn")` */
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    return (await this.store()).getExperimentByName(name);
  }

  /** Writes and fsyncs everything logged so far. @example `const { pending } = await tracker.flush();` */
  async flush(): Promise<FlushResult> {
    await Promise.all([...this.open.values()].map((e) => e.log.writer.flush()));
    const s = this.stats();
    return { acked: s.acked, pending: s.pending, rejected: s.rejected };
  }

  /**
   * Counts of logged, written, durable and pending records.
   * @example `console.log(tracker.stats())`
   */
  stats(): TrackerStats {
    let { logged, written, durable } = this.loggedBefore;
    for (const e of this.open.values()) {
      logged += e.log.writer.seq - e.baseSeq;
      written += e.log.writer.writtenSeq - e.baseSeq;
      durable += e.log.writer.syncedSeq - e.baseSeq;
    }
    return { logged, written, durable, acked: durable, pending: logged - durable, rejected: 0, activeRuns: this.open.size, state: "LOCAL", lastError: this.lastError };
  }

  /**
   * Ends runs still open (FINISHED), flushes and releases everything. The process can then
   * exit on its own. Idempotent.
   * @example `await tracker.close()`
   */
  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.open.values()].map((e) => e.run.end()));
    this.closed = true;
    unregisterExitParticipant(this.exitParticipant);
  }

  /** Same as {@link close} (`await using tracker = new Tracker()`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

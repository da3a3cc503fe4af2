/**
 * Tracker: the public methods, each checking nothing itself and delegating to the modules of
 * src/tracker/ (the state and wiring in session.ts; run queries, lifecycle, registry,
 * artifact/lineage, comparison and close/flush calls in their own files). The read and
 * comparison methods sit in its base class TrackerQueries (tracker/queries-base.ts), the model
 * registry's in TrackerModels (tracker/models-base.ts) below that.
 *
 * @packageDocumentation
 */
import type { AbTest } from "./ab/test.js";
import type { AbTestOptions } from "./ab/types.js";
import { checkFunction } from "./model/args.js";
import type { Experiment, NestedParams, ParamValue } from "./model/types.js";
import type { ResolvedOptions, TrackerOptions } from "./options.js";
import type { MetricOptions, Run } from "./run.js";
import type { StartRunOptions } from "./start-run.js";
import type { GcResult } from "./store/lifecycle-ops.js";
import * as analysis from "./tracker/analysis-calls.js";
import { checkEvent } from "./tracker/checks.js";
import * as lifecycle from "./tracker/lifecycle-calls.js";
import { runWithin } from "./tracker/open-runs.js";
import { attachSession } from "./tracker/models-base.js";
import { TrackerQueries } from "./tracker/queries-base.js";
import { TrackerSession } from "./tracker/session.js";
import * as shutdown from "./tracker/shutdown.js";
import { startRun } from "./tracker/start.js";
import type { FlushOptions, FlushResult, RunTarget, TrackerEvents, TrackerStats } from "./tracker-types.js";

export type { StartRunOptions } from "./start-run.js";
export type { RunTarget, TrackerState, TrackerStats, FlushResult, FlushOptions, RejectedRecord, TrackerEvents } from "./tracker-types.js";

/**
 * The entry point: starts runs, answers queries, owns the run logs and their replication.
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
export class Tracker extends TrackerQueries implements AsyncDisposable {
  /** The resolved options (frozen). */
  readonly options: ResolvedOptions;
  private readonly session: TrackerSession;

  /**
   * Creates a tracker. Throws ValidationError for unknown or ill-typed options. Opens nothing
   * and sends nothing until the first call that needs it.
   * @param options see {@link TrackerOptions}; every field has a default and most an env var.
   */
  constructor(options?: TrackerOptions) {
    super();
    this.session = new TrackerSession(options);
    this.options = this.session.options;
    attachSession(this, this.session);
  }

  /**
   * Listens to tracker events: `"error"` (problems that did not throw), `"rejected"` (records
   * the server refused) and `"state"` (replication UP / DEGRADED / DOWN / PAUSED).
   * @example `tracker.on("error", (e) => console.warn(e.message))`
   */
  on<E extends keyof TrackerEvents>(event: E, listener: (...args: TrackerEvents[E]) => void): this {
    this.session.events.on(checkEvent(event), checkFunction<(...args: unknown[]) => void>("listener", listener));
    return this;
  }

  /** Removes a listener added with {@link on}. @example `tracker.off("error", handler)` */
  off<E extends keyof TrackerEvents>(event: E, listener: (...args: TrackerEvents[E]) => void): this {
    this.session.events.off(checkEvent(event), checkFunction<(...args: unknown[]) => void>("listener", listener));
    return this;
  }

  /**
   * Starts a run and makes it the active run. With a reachable server the run is created
   * there first (so `run.id` is the server's id); otherwise it starts locally and is created
   * on the server later. Params and tags given here are checked in full before anything is
   * stored. `{ resume: runId }` continues a run of the local store instead (see
   * {@link StartRunOptions.resume}).
   * @example `const run = await tracker.startRun({ name: "baseline", params: { lr: 1e-3 } });`
   */
  async startRun(request: StartRunOptions = {}): Promise<Run> {
    return startRun(this.session, request);
  }

  /**
   * Runs `fn` inside a new run that is the active run of its async context. The run ends
   * FINISHED when `fn` resolves and FAILED when it throws (the error is rethrown).
   * @example `await tracker.withRun({ name: "cv-fold-1" }, async (run) => train(run));`
   */
  async withRun<T>(options: StartRunOptions, fn: (run: Run) => Promise<T> | T): Promise<T> {
    checkFunction("withRun fn", fn);
    return runWithin(await this.startRun(options), fn);
  }

  /**
   * The active run: the innermost `withRun` of the current async context, else the most
   * recently started run of this tracker that is still open.
   * @example `tracker.activeRun()?.id`
   */
  activeRun(): Run | undefined {
    return this.session.runs.activeRun();
  }

  /** Logs a param on the active run (or `{ runId }`). @example `tracker.logParam("lr", 0.001)` */
  logParam(key: string, value: ParamValue, target?: RunTarget): void {
    this.session.runs.target(target?.runId, "logParam").logParam(key, value);
  }

  /** Logs a metric on the active run (or `{ runId }`). @example `tracker.logMetric("loss", 0.3, { step: 1 })` */
  logMetric(key: string, value: number, options?: MetricOptions & RunTarget): void {
    this.session.runs.target(options?.runId, "logMetric").logMetric(key, value, options);
  }

  /** Logs metrics on the active run (or `{ runId }`). @example `tracker.logMetrics({ loss: 0.3 }, { step: 1 })` */
  logMetrics(metrics: Readonly<Record<string, number>>, options?: MetricOptions & RunTarget): void {
    this.session.runs.target(options?.runId, "logMetrics").logMetrics(metrics, options);
  }

  /** Sets a tag on the active run (or `{ runId }`). @example `tracker.setTag("stage", "tuning")` */
  setTag(key: string, value: string | number | boolean, target?: RunTarget): void {
    this.session.runs.target(target?.runId, "setTag").setTag(key, value);
  }

  /**
   * Logs several params on the active run (or `{ runId }`): all are checked first, so nothing
   * is stored when one is bad. Nested objects are flattened with `.` as in {@link Run.logParams}.
   * @example `tracker.logParams({ lr: 0.001, optimizer: { name: "adam" } })`
   */
  logParams(params: NestedParams, target?: RunTarget): void {
    this.session.runs.target(target?.runId, "logParams").logParams(params);
  }

  /**
   * Sets several tags on the active run (or `{ runId }`): all are checked first.
   * @example `tracker.setTags({ team: "ranking", stage: "dev" })`
   */
  setTags(tags: Readonly<Record<string, string | number | boolean>>, target?: RunTarget): void {
    this.session.runs.target(target?.runId, "setTags").setTags(tags);
  }

  /**
   * Deletes a run (MLflow's lifecycle stage): it keeps everything it logged, searches skip it
   * unless `runViewType` asks for it, `getRun` shows `deleted: true`, and {@link restoreRun}
   * brings it back. On the local store it stays restorable until `mltrail gc`. Idempotent.
   * Throws NotFoundError for an unknown run.
   * @example `await tracker.deleteRun(runId)`
   */
  async deleteRun(runId: string): Promise<void> {
    await lifecycle.runStage(this.session, runId, true);
  }

  /** Restores a deleted run. Idempotent. Throws NotFoundError. @example `await tracker.restoreRun(runId)` */
  async restoreRun(runId: string): Promise<void> {
    await lifecycle.runStage(this.session, runId, false);
  }

  /**
   * Deletes an experiment by name and, as MLflow does, every run in it (restorable: see
   * {@link restoreExperiment}); no run can start in it meanwhile. The `Default` experiment
   * cannot be deleted. Idempotent. Resolves with the experiment (`deleted: true`).
   * @example `await tracker.deleteExperiment("scratch")`
   */
  async deleteExperiment(name: string): Promise<Experiment> {
    return lifecycle.experimentStage(this.session, name, true);
  }

  /**
   * Removes deleted runs, and deleted experiments once empty, from the local run log for good
   * (folders, journals, artifacts): restoring is impossible afterwards. `olderThanMs` keeps
   * recent deletions; `runIds` limits it to those runs. A run a live process holds is skipped.
   * @example `const { runs } = await tracker.gc({ olderThanMs: 30 * 86_400_000 })`
   */
  async gc(options: { readonly olderThanMs?: number; readonly runIds?: readonly string[] } = {}): Promise<GcResult> {
    return lifecycle.gc(this.session, options);
  }

  /** Restores a deleted experiment and every run in it, as MLflow does. Idempotent. @example `await tracker.restoreExperiment("scratch")` */
  async restoreExperiment(name: string): Promise<Experiment> {
    return lifecycle.experimentStage(this.session, name, false);
  }

  /**
   * Starts (or joins) an A/B test of model versions: refs are resolved once and frozen in the
   * test's record; `assign(unit)` is deterministic across processes (GrowthBook hashing);
   * exposures and outcomes go through the run log like any other record.
   * @example `const ab = await tracker.abTest({ key: "churn-v2", variants: [{ model: "churn", ref: "1.0.0" }, { model: "churn", ref: "1.1.0" }] })`
   */
  async abTest(options: AbTestOptions): Promise<AbTest> {
    return analysis.abTest(this, options);
  }

  /**
   * Writes and fsyncs everything logged so far by every run of this tracker (as `run.flush()`
   * does for one run) and, with a server, then waits up to `timeoutMs` until the server has
   * acknowledged all of it and every ended run has passed the end-of-run check (its status,
   * end time, name, tags and params read back equal to the run log). `timeoutMs: 0` waits for
   * the disk only. Never throws for transport problems: what is not acknowledged stays in the
   * log and is counted in `pending`; `stats().state` tells why.
   * @example `const { pending } = await tracker.flush({ timeoutMs: 5000 }); // pending === 0: all on the server`
   */
  async flush(options: FlushOptions = {}): Promise<FlushResult> {
    return shutdown.flush(this.session, options);
  }

  /**
   * Counts of logged, written, durable, acknowledged, pending and rejected records, and the
   * replication state.
   * @example `console.log(tracker.stats())`
   */
  stats(): TrackerStats {
    return this.session.stats();
  }

  /**
   * Ends runs still open (FINISHED), flushes, waits for replication up to `timeoutMs`, and
   * releases everything; what the server has not acknowledged stays in the log for the next
   * tracker or `mltrail sync`. It also waits, within what is left of `timeoutMs`, for the
   * point files of long runs that a worker thread builds after a run's end; one still running
   * then is stopped (readers build what is missing). Once it resolves nothing of mltrail
   * writes into the store, and the process can exit on its own. Resolves with what is still
   * pending; never throws for transport problems. Idempotent.
   * @example `const { pending } = await tracker.close({ timeoutMs: 5000 })`
   */
  async close(options: FlushOptions = {}): Promise<FlushResult> {
    return shutdown.close(this.session, options);
  }

  /** What `JSON.stringify(tracker)` and `util.inspect(tracker)` show: options (credentials masked) and counts, never internals. @example `console.log(tracker)` */
  toJSON(): Record<string, unknown> {
    return { options: this.options, activeRuns: this.session.runs.size, closed: this.session.closed };
  }

  /** @internal `util.inspect` / `console.log` view: see {@link toJSON}. */
  [Symbol.for("nodejs.util.inspect.custom")](_depth: number, opts: object, inspect: (value: unknown, opts: object) => string): string {
    return `Tracker ${inspect(this.toJSON(), opts)}`;
  }

  /** Same as {@link close} (`await using tracker = new Tracker()`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Tracker: wires options, the local run log, the query side and (with a server) the
 * replicator, and exposes the public methods.
 *
 * @packageDocumentation
 */
import { checkHistoryOptions, type MetricHistoryOptions, type SampledHistoryOptions } from "./store/series/history-options.js";
import { AsyncLocalStorage } from "node:async_hooks";
import { EventEmitter } from "node:events";
import { v7 as uuidv7 } from "uuid";
import { validateTemplate, checkNamePolicy } from "./capture/naming.js";
import { MltrailError, NotFoundError, StateError, ValidationError } from "./errors.js";
import { systemClock, type Clock } from "./internal/clock.js";
import { registerExitParticipant, unregisterExitParticipant, type ExitParticipant } from "./internal/exit-hooks.js";
import { createLogger, type Logger } from "./internal/logger.js";
import { MLFLOW_LIMITS } from "./model/limits.js";
import type { EndStatus, Experiment, Metric, NestedParams, ParamValue, RunRecord, RunViewType, SearchRunsOptions } from "./model/types.js";
import { checkViewType, setExperimentStage, setRunStage, syncLifecycle, type LifecycleContext } from "./lifecycle.js";
import { collectGarbage, type GcResult } from "./store/lifecycle-ops.js";
import { checkName, checkRunId, checkString } from "./model/validate.js";
import { checkFunction, checkOptionalString, checkOptions, checkRequiredOptions, checkStringList, checkStringsIn } from "./model/args.js";
import { resolveAutoResume } from "./resume-auto.js";
import { resolveOptions, type ResolvedOptions, type TrackerOptions } from "./options.js";
import { LocalQueries, type Queries } from "./queries.js";
import { createBackend, localBackend, type TrackingBackend } from "./backends/index.js";
import { connectRemote, type RemoteSide } from "./remote/connect.js";
import { FanOut } from "./remote/fan-out.js";
import { claimPendingRuns, earlierRunsNotice, syncCommand } from "./remote/drain.js";
import { RemoteQueries } from "./remote/queries.js";
import type { ReplicationState } from "./remote/replication-state.js";
import { attachAddons } from "./run-addons.js";
import { END_QUEUED, type Run, type MetricOptions, type RunHost } from "./run.js";
import { openRun, type OpenRun } from "./open-run.js";
import type { StartRunOptions } from "./start-run.js";
import { LocalStore } from "./store/local-store.js";
import { Models, type ModelVersion, type RegisterModelOptions } from "./models.js";
import type { AuditEntry, RegistryStore } from "./registry/store.js";
import { checkVersionUpdate } from "./registry/rules.js";
import { checkVersionChange } from "./registry/arguments.js";
import { checkArtifactPath } from "./artifacts/paths.js";
import type { DatasetInfo } from "./artifacts/run-artifacts.js";
import { checkDownloadDest, type ArtifactEntry, type DownloadProgress } from "./store/artifact-queries.js";
import { buildLineage, parseLineageTarget, type Lineage, type LineageTarget } from "./lineage.js";
import {
  compareModelVersions,
  compareReleaseExplanations,
  compareRuns,
  type CompareReleaseExplanationsOptions,
  type CompareRunsOptions,
  type ModelComparison,
  type ReleaseExplanationDiff,
  type RunComparison,
} from "./compare/index.js";
import type { WriteReportOptions, WriteReportResult } from "./report/index.js";
import { createAbTest, type AbTest } from "./ab/test.js";
import type { AbTestOptions } from "./ab/types.js";

export type { StartRunOptions } from "./start-run.js";
export type { RunTarget, TrackerState, TrackerStats, FlushResult, FlushOptions, RejectedRecord, TrackerEvents } from "./tracker-types.js";
import type { RunTarget, TrackerState, TrackerStats, FlushResult, FlushOptions, TrackerEvents } from "./tracker-types.js";

interface Core {
  readonly store: LocalStore;
  readonly queries: Queries;
  /** The backend's registry, else the local store's. */
  readonly registry: RegistryStore;
}

const activeContext = new AsyncLocalStorage<Run>();

/** A `timeoutMs` option: a finite number ≥ 0, or the default. */
function timeoutOf(options: FlushOptions | undefined, fallback: number): number {
  const value = checkOptions<FlushOptions>("options", options).timeoutMs;
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    throw new ValidationError("timeoutMs", value, "must be a finite number of milliseconds ≥ 0");
  return value;
}

const EVENTS: readonly string[] = ["error", "rejected", "state"];

function checkEvent<E extends keyof TrackerEvents>(event: E): E {
  if (typeof event === "string" && EVENTS.includes(event)) return event;
  throw new ValidationError("event", event, `must be one of ${EVENTS.join(", ")}`);
}

/** String arguments of registry calls: each `[field, value]` must be a string (`undefined`/`null` skip optional ones). */
function checkModelArgs(required: readonly [string, unknown][], optional: readonly [string, unknown][] = []): void {
  for (const [field, value] of required) checkString(field, value);
  for (const [field, value] of optional) if (value !== undefined && value !== null) checkString(field, value);
}

function checkSearchOptions(options: unknown): void {
  const o = checkOptions<Record<string, unknown>>("searchRuns options", options);
  if (o["experiment"] !== undefined && typeof o["experiment"] !== "string") checkStringList("searchRuns options.experiment", o["experiment"]);
  if (typeof o["experiment"] === "string") checkString("searchRuns options.experiment", o["experiment"]);
  checkOptionalString("searchRuns options.filter", o["filter"]);
  if (o["orderBy"] !== undefined) checkStringList("searchRuns options.orderBy", o["orderBy"]);
}

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
export class Tracker implements AsyncDisposable {
  /** The resolved options (frozen). */
  readonly options: ResolvedOptions;
  private readonly log: Logger;
  private readonly clock: Clock = systemClock;
  private readonly events = new EventEmitter();
  /** The backend `trackingUri` names; undefined for the local store (opened with the core). */
  private readonly backend: TrackingBackend | undefined;
  /** Replication to the backend, when it receives records. */
  private readonly remote: RemoteSide | undefined;
  /** Replication to the further `targets`, each on its own. */
  private readonly fanOut: FanOut | undefined;
  private corePromise: Promise<Core> | undefined;
  private readonly warnedCodes = new Set<string>();
  /** Settles once runs left pending by earlier processes have been handed to the replicator. */
  private draining: Promise<void> = Promise.resolve();
  private readonly open = new Map<string, OpenRun>();
  /** Ended runs whose records still wait in memory for the disk (a full disk). */
  private readonly backlog = new Set<OpenRun>();
  /** Replication progress of the runs this tracker started (shared with the replicator; kept after they end). */
  private readonly progress = new WeakMap<Run, ReplicationState>();
  private readonly stack: Run[] = [];
  /** Runs the process exit hooks ended (they drop late logging calls). */
  private readonly endedOnExit: Run[] = [];
  private closed = false;
  private lastError: string | undefined;
  private finished = { logged: 0, written: 0, durable: 0 };
  private readonly host: RunHost;
  private readonly exitParticipant: ExitParticipant;
  private readonly models: Models;

  /**
   * Creates a tracker. Throws ValidationError for unknown or ill-typed options. Opens nothing
   * and sends nothing until the first call that needs it.
   * @param options see {@link TrackerOptions}; every field has a default and most an env var.
   */
  constructor(options?: TrackerOptions) {
    this.options = resolveOptions(options);
    validateTemplate(this.options.runNameTemplate);
    checkName("options.experiment", this.options.experiment, MLFLOW_LIMITS.experimentNameLength);
    checkNamePolicy("experiment", this.options.experiment, this.options.namePolicy.experiment);
    this.log = createLogger(this.options.logLevel, this.options.logger);
    const described = this.options.backend;
    if (described.kind === "mlflow" && described.notice !== undefined) this.log.warn(described.notice);
    this.backend = createBackend(this.options, (error) => this.emitError(error));
    this.remote =
      this.backend === undefined
        ? undefined
        : connectRemote(this.backend, this.options, this.log, {
            onState: (state) => this.events.emit("state", state),
            onError: (error) => this.emitError(error),
            onRejected: (info) => this.events.emit("rejected", info),
            spool: async () => (await this.core()).store,
          });
    this.fanOut = FanOut.create(this.options, this.log, {
      onError: (error) => this.emitError(error),
      onRejected: (info) => this.events.emit("rejected", info),
      spool: async () => (await this.core()).store,
    });
    if (this.fanOut !== undefined && this.options.mode === "offline") this.fanOut.close();
    else if (this.fanOut !== undefined && this.options.drainOnStart)
      this.core().catch((err: unknown) => this.emitError(err instanceof MltrailError ? err : new MltrailError(String(err))));
    if (this.remote !== undefined) {
      if (this.options.mode === "offline") this.remote.replicator.close();
      // Runs earlier processes left pending start going out now, not at the first call.
      else if (this.options.drainOnStart)
        this.core().catch((err: unknown) => this.emitError(err instanceof MltrailError ? err : new MltrailError(String(err))));
    }
    this.host = {
      clock: this.clock,
      finishRun: (run, status, endTime) => this.finishRun(run, status, endTime),
      flushRun: (run) => this.flushRun(run),
      warn: (message) => this.log.warn(message),
      remoteId: (run) => this.progress.get(run)?.state.remoteRunId,
      runUrl: (run) => {
        const st = this.progress.get(run)?.state;
        return st?.remoteRunId === undefined || st.remoteExperimentId === undefined
          ? undefined
          : this.remote?.backend.runUrl?.(st.remoteExperimentId, st.remoteRunId);
      },
    };
    const ownRegistry = this.backend?.registry;
    this.models = new Models({
      store: async () => ownRegistry ?? (await this.core()).registry,
      getRun: (runId) => this.runFacts(runId),
      runDatasets: (runId) => this.getRunDatasets(runId),
      requireRationale: this.options.requireRationale,
      namePolicy: this.options.namePolicy.model,
      clock: this.clock,
    });
    this.exitParticipant = {
      endAllSync: (status) => this.endAllSync(status),
      flushForExit: async (timeoutMs) => {
        await Promise.all([this.replicating?.flush(timeoutMs), this.fanningOut?.flush(timeoutMs)]);
        this.warnPending();
      },
      exitFlushTimeoutMs: this.options.exitFlushTimeoutMs,
      beforeExit: () => this.beforeExit(),
    };
    // With a server, the hooks stay while the tracker is open, so a script that ends without
    // close() still sends its runs' ends and last records (bounded by exitFlushTimeoutMs).
    if (this.options.handleExit && (this.replicating !== undefined || this.fanningOut !== undefined)) registerExitParticipant(this.exitParticipant);
  }

  /** The fan-out, when records go to further targets. */
  private get fanningOut(): FanOut | undefined {
    return this.options.mode === "online" ? this.fanOut : undefined;
  }

  /** The replicator, when records go to a server. */
  private get replicating(): RemoteSide["replicator"] | undefined {
    return this.options.mode === "online" ? this.remote?.replicator : undefined;
  }

  /**
   * Listens to tracker events: `"error"` (problems that did not throw), `"rejected"` (records
   * the server refused) and `"state"` (replication UP / DEGRADED / DOWN / PAUSED).
   * @example `tracker.on("error", (e) => console.warn(e.message))`
   */
  on<E extends keyof TrackerEvents>(event: E, listener: (...args: TrackerEvents[E]) => void): this {
    this.events.on(checkEvent(event), checkFunction<(...args: unknown[]) => void>("listener", listener));
    return this;
  }

  /** Removes a listener added with {@link on}. @example `tracker.off("error", handler)` */
  off<E extends keyof TrackerEvents>(event: E, listener: (...args: TrackerEvents[E]) => void): this {
    this.events.off(checkEvent(event), checkFunction<(...args: unknown[]) => void>("listener", listener));
    return this;
  }

  /**
   * Reports a problem that did not throw. With an `"error"` listener, the listener gets it.
   * Without one, the logger shows each kind of problem (its `code`) once at `warn`, so
   * background failures are never silent and never flood the console.
   */
  private emitError(error: MltrailError): void {
    this.lastError = error.message;
    if (this.events.listenerCount("error") > 0) {
      this.events.emit("error", error);
      return;
    }
    if (this.warnedCodes.has(error.code)) return;
    this.warnedCodes.add(error.code);
    this.log.warn(`${error.message} (further ${error.code} errors are not shown; listen with tracker.on("error", …))`);
  }

  /** Opens the store once. A failed open is not cached: the next call tries again. */
  private core(): Promise<Core> {
    if (this.closed) return Promise.reject(new StateError("the tracker is closed"));
    if (this.corePromise === undefined) {
      const opening = this.openCore();
      this.corePromise = opening;
      opening.catch(() => {
        if (this.corePromise === opening) this.corePromise = undefined;
      });
    }
    return this.corePromise;
  }

  private async openCore(): Promise<Core> {
    const described = this.options.backend;
    const store = await LocalStore.open(described.kind === "local" ? described.root : this.options.spoolDir);
    store.onDamage = (error) => {
      this.log.error(error.message);
      this.emitError(error);
    };
    const remote = this.remote;
    // Read-your-writes: the server's answers, with the log for runs the server lacks part of.
    const settle = async (): Promise<void> => {
      await this.draining;
      await this.replicating?.flush(this.options.closeTimeoutMs);
    };
    // The local store answers what the backend cannot (and everything when it is the backend).
    const local = localBackend(store, (error) => this.emitError(error));
    const own = this.backend?.queries;
    const queries =
      remote === undefined || own === undefined
        ? new LocalQueries(store)
        : new RemoteQueries(own, store, remote.target, settle, remote.backend.capabilities.search);
    const registry = this.backend?.registry ?? (local.registry as RegistryStore);
    if (remote !== undefined && this.replicating !== undefined && this.options.drainOnStart) {
      const earlierToo = this.options.syncEarlierRuns === true;
      this.draining = claimPendingRuns(store, remote.target, { skip: new Set(this.open.keys()), earlier: earlierToo }).then(
        ({ sources, earlier }) => {
          if (sources.length > 0)
            this.log.info(
              `replicating ${sources.length} run(s) left pending by earlier processes${earlierToo ? " or logged before the server was configured" : ""}`,
            );
          const notice = this.options.syncEarlierRuns === undefined ? earlierRunsNotice(earlier, remote.target, store.layout.root) : undefined;
          if (notice !== undefined) this.log.warn(notice);
          for (const s of sources) remote.replicator.add(s);
        },
        (err: unknown) => this.emitError(err instanceof MltrailError ? err : new MltrailError(`could not scan for pending runs: ${String(err)}`)),
      );
    }
    const fanOut = this.fanningOut;
    if (fanOut !== undefined && this.options.drainOnStart) {
      const previous = this.draining;
      this.draining = Promise.all([previous, fanOut.drain(store, new Set(this.open.keys()))]).then(
        ([, count]) => {
          if (count > 0) this.log.info(`replicating ${count} run(s) left pending by earlier processes to ${fanOut.targets.join(", ")}`);
        },
        (err: unknown) => this.emitError(err instanceof MltrailError ? err : new MltrailError(`could not scan for pending runs: ${String(err)}`)),
      );
    }
    return { store, queries, registry };
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
    const { store } = await this.core();
    const options = await resolveAutoResume(store, request, this.options.experiment);
    const resume = (options as { resume?: unknown } | null)?.resume;
    if (typeof resume === "string" && this.replicating !== undefined) {
      // A crashed run of this log that the start-up drain is still sending holds its lock: let it finish first.
      await this.draining;
      if (this.replicating.holds(resume)) await this.replicating.flush(this.options.closeTimeoutMs);
    }
    const entry = await openRun({
      options: this.options,
      store,
      remote: this.replicating === undefined ? undefined : this.remote,
      target: this.remote?.target,
      clock: this.clock,
      runKey: uuidv7().replace(/-/g, ""),
      request: options,
      host: this.host,
      onError: (error) => {
        this.log.error(error.message);
        this.emitError(error);
      },
      onCommit: (runId) => {
        this.replicating?.notify(runId);
        this.fanningOut?.notify(runId);
      },
    });
    this.open.set(entry.run.id, entry);
    this.stack.push(entry.run);
    if (entry.state !== undefined) this.progress.set(entry.run, entry.state);
    if (this.remote !== undefined)
      this.log.debug(
        entry.run.url === undefined
          ? `run "${entry.run.name}" started locally; ${this.remote.target} gets it once it answers`
          : `run "${entry.run.name}": ${entry.run.url}`,
      );
    if (this.options.handleExit && this.open.size === 1) registerExitParticipant(this.exitParticipant);
    if (entry.source !== undefined) this.replicating?.add(entry.source);
    await this.fanningOut?.attach(entry, (await store.getExperiment(entry.meta.experimentId)).name);
    entry.begin();
    attachAddons(entry.run, this.options, options);
    return entry.run;
  }

  /**
   * Runs `fn` inside a new run that is the active run of its async context. The run ends
   * FINISHED when `fn` resolves and FAILED when it throws (the error is rethrown).
   * @example `await tracker.withRun({ name: "cv-fold-1" }, async (run) => train(run));`
   */
  async withRun<T>(options: StartRunOptions, fn: (run: Run) => Promise<T> | T): Promise<T> {
    checkFunction("withRun fn", fn);
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
    // After the exit hooks ended the runs, late calls reach the ended run, which drops them.
    const onExit = runId === undefined ? this.endedOnExit.at(-1) : this.endedOnExit.find((r) => r.id === runId);
    if (onExit !== undefined && (runId !== undefined || this.activeRun() === undefined)) return onExit;
    if (runId !== undefined) {
      const found = this.open.get(runId)?.run;
      if (found === undefined || found.ended) throw StateError.of("runId", runId, `is not an open run of this tracker: ${call} needs one`);
      return found;
    }
    const active = this.activeRun();
    if (active === undefined)
      throw StateError.of("active run", undefined, `is missing: ${call} needs an active run: call startRun()/withRun() first or pass { runId }`);
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

  /**
   * Logs several params on the active run (or `{ runId }`): all are checked first, so nothing
   * is stored when one is bad. Nested objects are flattened with `.` as in {@link Run.logParams}.
   * @example `tracker.logParams({ lr: 0.001, optimizer: { name: "adam" } })`
   */
  logParams(params: NestedParams, target?: RunTarget): void {
    this.target(target?.runId, "logParams").logParams(params);
  }

  /**
   * Sets several tags on the active run (or `{ runId }`): all are checked first.
   * @example `tracker.setTags({ team: "ranking", stage: "dev" })`
   */
  setTags(tags: Readonly<Record<string, string | number | boolean>>, target?: RunTarget): void {
    this.target(target?.runId, "setTags").setTags(tags);
  }

  private async flushRun(run: Run): Promise<void> {
    const entry = this.open.get(run.id);
    if (entry === undefined) return;
    await entry.log.writer.flush(); // durable locally; waiting for the server is tracker.flush()'s job
  }

  private async finishRun(run: Run, status: EndStatus, endTime: number): Promise<void> {
    const entry = this.open.get(run.id);
    if (entry === undefined) return;
    try {
      await entry.finish(status, endTime);
    } finally {
      this.forget(entry);
    }
  }

  private forget(entry: OpenRun): void {
    const w = entry.log.writer;
    if (w.pendingCount > 0) {
      // A full disk: the records wait in memory and are written once space returns; stats count them meanwhile.
      this.backlog.add(entry);
      void w.drained().then(() => this.backlog.delete(entry) && this.count(entry));
    } else this.count(entry);
    this.open.delete(entry.run.id);
    const at = this.stack.indexOf(entry.run);
    if (at >= 0) this.stack.splice(at, 1);
    if (this.open.size === 0 && this.replicating === undefined) unregisterExitParticipant(this.exitParticipant);
  }

  private count(entry: OpenRun): void {
    const w = entry.log.writer;
    this.finished = {
      logged: this.finished.logged + (w.seq - entry.baseSeq),
      written: this.finished.written + (w.writtenSeq - entry.baseSeq),
      durable: this.finished.durable + (w.syncedSeq - entry.baseSeq),
    };
  }

  private beforeExitDone = false;

  /** A natural exit without close(): end open runs and flush replication, once, bounded. */
  private beforeExit(): Promise<void> | undefined {
    // Only replication needs this: on the local store the exit hook ends runs synchronously.
    const replicator = this.replicating;
    const fanOut = this.fanningOut;
    if (this.beforeExitDone || this.closed || (replicator === undefined && fanOut === undefined)) return undefined;
    if (this.open.size === 0 && this.stats().pending === 0 && Object.values(fanOut?.stats() ?? {}).every((t) => t.pending === 0)) return undefined;
    this.beforeExitDone = true;
    const code = process.exitCode;
    const status = code === undefined || code === 0 || code === "0" ? "FINISHED" : "FAILED";
    const timeout = this.options.exitFlushTimeoutMs;
    return (async () => {
      await Promise.allSettled([...this.open.values()].map((e) => e.run.end({ status })));
      await Promise.all([replicator?.flush(timeout), fanOut?.flush(timeout)]);
      this.warnPending();
    })();
  }

  private pendingWarned = false;

  /** Once: what the server has not acknowledged, where it is kept, and the command that sends it. */
  private warnPending(): void {
    const remote = this.remote;
    const pending = this.stats().pending;
    if (this.pendingWarned || remote === undefined || pending === 0) return;
    this.pendingWarned = true;
    this.log.warn(
      `${pending} record(s) not yet on ${remote.target} are kept in ${this.options.spoolDir}; a later tracker on that folder sends them, or now: ${syncCommand(remote.target, this.options.spoolDir)}`,
    );
  }

  /** Ends every open run synchronously (exit paths). */
  private endAllSync(status: EndStatus): void {
    for (const entry of [...this.open.values()]) {
      const endTime = this.clock();
      entry.run[END_QUEUED](status, endTime, Promise.resolve());
      this.endedOnExit.push(entry.run);
      entry.log.closeSync();
      LocalStore.writeRunMetaSync(entry.paths, { ...entry.meta, status, endTime });
      this.forget(entry);
    }
    // A signal (KILLED) flushes next and reports after; other exit paths report now.
    if (status !== "KILLED" && this.replicating !== undefined) this.warnPending();
  }

  private commitOpen(runId?: string): void {
    for (const entry of this.open.values()) if (runId === undefined || entry.run.id === runId) entry.log.writer.commitSync();
  }

  /** Reads a run by id (local or server id). Throws NotFoundError. @example `const { info, data } = await tracker.getRun(id);` */
  async getRun(runId: string): Promise<RunRecord> {
    checkRunId("runId", runId);
    this.commitOpen(runId);
    return (await this.core()).queries.getRun(runId);
  }

  /** A run's facts for a release: complete (from the local log when it holds the run), never a partial server view. */
  private async runFacts(runId: string): Promise<RunRecord> {
    checkRunId("runId", runId);
    this.commitOpen(runId);
    return (await this.core()).queries.runFacts(runId);
  }

  /**
   * A metric's history in logged order; `options` keeps a step range and/or the first
   * `maxResults` points (on the local store only those are read).
   * @example `await tracker.getMetricHistory(id, "loss", { startStep: 100, endStep: 199 })`
   */
  async getMetricHistory(runId: string, key: string, options?: MetricHistoryOptions): Promise<Metric[]> {
    return this.history(runId, key, options, false);
  }

  /**
   * A sample of a metric's history for charts: at most `maxResults` points (default and limit
   * 2500) spread evenly over the step range in (step, timestamp, value) order, the first and
   * last kept; MLflow's `get-history-bulk-interval` on a server.
   * @example `await tracker.getSampledMetricHistory(id, "loss", { maxResults: 500 })`
   */
  async getSampledMetricHistory(runId: string, key: string, options?: SampledHistoryOptions): Promise<Metric[]> {
    return this.history(runId, key, options, true);
  }

  private async history(runId: string, key: string, options: MetricHistoryOptions | undefined, sampled: boolean): Promise<Metric[]> {
    checkRunId("runId", runId);
    if (typeof key !== "string") throw new ValidationError("metric key", key, "must be a string");
    const { range, maxResults } = checkHistoryOptions(options, sampled);
    this.commitOpen(runId);
    return (await this.core()).queries.getMetricHistory(runId, key, options === undefined && !sampled ? undefined : { range, maxResults, sampled });
  }

  /**
   * Several metrics' histories at once (every metric of the run when `keys` is omitted), in
   * logged order; on the local store in one pass over the run log.
   * @example `const { loss, acc } = await tracker.getMetricHistories(id, ["loss", "acc"])`
   */
  async getMetricHistories(runId: string, keys?: readonly string[]): Promise<Record<string, Metric[]>> {
    checkRunId("runId", runId);
    if (keys !== undefined && (!Array.isArray(keys) || keys.some((k) => typeof k !== "string")))
      throw new ValidationError("keys", keys, "must be an array of metric keys");
    this.commitOpen(runId);
    return (await this.core()).queries.getMetricHistories(runId, keys);
  }

  /**
   * Searches runs with MLflow's filter syntax (see docs/search-syntax.md).
   * @example `await tracker.searchRuns({ filter: "metrics.acc > 0.9", orderBy: ["metrics.acc DESC"] })`
   */
  async searchRuns(options: SearchRunsOptions = {}): Promise<RunRecord[]> {
    checkSearchOptions(options);
    this.commitOpen();
    const names =
      options.experiment === undefined ? [this.options.experiment] : typeof options.experiment === "string" ? [options.experiment] : options.experiment;
    const view = checkViewType("searchRuns options.runViewType", options.runViewType);
    return (await this.core()).queries.searchRuns(names, { filter: options.filter, orderBy: options.orderBy, maxResults: options.maxResults }, view);
  }

  /**
   * Deletes a run (MLflow's lifecycle stage): it keeps everything it logged, searches skip it
   * unless `runViewType` asks for it, `getRun` shows `deleted: true`, and {@link restoreRun}
   * brings it back. On the local store it stays restorable until `mltrail gc`. Idempotent.
   * Throws NotFoundError for an unknown run.
   * @example `await tracker.deleteRun(runId)`
   */
  async deleteRun(runId: string): Promise<void> {
    checkRunId("runId", runId);
    await this.setRunStage(runId, true);
  }

  /** Restores a deleted run. Idempotent. Throws NotFoundError. @example `await tracker.restoreRun(runId)` */
  async restoreRun(runId: string): Promise<void> {
    checkRunId("runId", runId);
    await this.setRunStage(runId, false);
  }

  private async setRunStage(runId: string, deleted: boolean): Promise<void> {
    this.commitOpen(runId);
    await setRunStage(await this.lifecycleContext(), runId, deleted);
  }

  private async lifecycleContext(): Promise<LifecycleContext> {
    const { store, queries } = await this.core();
    return { store, queries, remote: this.remote, now: this.clock(), onError: (e) => this.emitError(e) };
  }

  /**
   * Deletes an experiment by name and, as MLflow does, every run in it (restorable: see
   * {@link restoreExperiment}); no run can start in it meanwhile. The `Default` experiment
   * cannot be deleted. Idempotent. Resolves with the experiment (`deleted: true`).
   * @example `await tracker.deleteExperiment("scratch")`
   */
  async deleteExperiment(name: string): Promise<Experiment> {
    checkString("name", name);
    return setExperimentStage(await this.lifecycleContext(), name, true);
  }

  /**
   * Removes deleted runs, and deleted experiments once empty, from the local run log for good
   * (folders, journals, artifacts): restoring is impossible afterwards. `olderThanMs` keeps
   * recent deletions; `runIds` limits it to those runs. A run a live process holds is skipped.
   * @example `const { runs } = await tracker.gc({ olderThanMs: 30 * 86_400_000 })`
   */
  async gc(options: { readonly olderThanMs?: number; readonly runIds?: readonly string[] } = {}): Promise<GcResult> {
    const o = checkOptions<{ olderThanMs?: unknown; runIds?: unknown }>("options", options);
    if (o.olderThanMs !== undefined && (typeof o.olderThanMs !== "number" || !(o.olderThanMs >= 0)))
      throw new ValidationError("options.olderThanMs", o.olderThanMs, "must be a number of milliseconds ≥ 0");
    if (o.runIds !== undefined) checkStringList("options.runIds", o.runIds);
    return collectGarbage((await this.core()).store, options, this.clock());
  }

  /** Restores a deleted experiment and every run in it, as MLflow does. Idempotent. @example `await tracker.restoreExperiment("scratch")` */
  async restoreExperiment(name: string): Promise<Experiment> {
    checkString("name", name);
    return setExperimentStage(await this.lifecycleContext(), name, false);
  }

  /**
   * The artifacts of a run directly under `path` (the root by default): files with their size
   * and sha256, and folders.
   * @example `await tracker.listArtifacts(runId, "plots")`
   */
  async listArtifacts(runId: string, path?: string): Promise<ArtifactEntry[]> {
    checkRunId("runId", runId);
    this.commitOpen(runId);
    return (await this.core()).queries.listArtifacts(runId, path === undefined ? undefined : checkArtifactPath(path, "path"));
  }

  /**
   * Downloads an artifact file or folder of a run into `dest` (keeping its relative path),
   * verifying every file against the run's manifest. Resolves with the local path.
   * @example `const dir = await tracker.downloadArtifacts(runId, "model", "./downloads")`
   */
  async downloadArtifacts(runId: string, path: string, dest: string, options: { readonly onProgress?: DownloadProgress } = {}): Promise<string> {
    checkRunId("runId", runId);
    checkString("dest", dest);
    if (checkOptions<{ onProgress?: unknown }>("options", options).onProgress !== undefined) checkFunction("options.onProgress", options.onProgress);
    this.commitOpen(runId);
    const rel = path === "" ? "" : checkArtifactPath(path, "path");
    return (await this.core()).queries.downloadArtifacts(runId, rel, await checkDownloadDest(dest), options.onProgress);
  }

  /** The dataset inputs a run recorded. @example `await tracker.getRunDatasets(runId)` */
  async getRunDatasets(runId: string): Promise<DatasetInfo[]> {
    checkRunId("runId", runId);
    this.commitOpen(runId);
    return (await this.core()).queries.runDatasets(runId);
  }

  /**
   * Where a model version or a run came from: model version → run → datasets → code and
   * environment. Say which one you mean: a model ref (`"churn@1.2.0"`, or any ref
   * `getModelVersion` takes, as a string or `{ model, ref }`), or `{ runId }`.
   * @example `const { run, datasets, code } = await tracker.lineage("churn@champion")`
   * @example `await tracker.lineage({ runId })`
   */
  async lineage(target: LineageTarget): Promise<Lineage> {
    const parsed = parseLineageTarget(target);
    let modelVersion: ModelVersion | undefined;
    let runId: string;
    if (parsed.kind === "run") runId = parsed.runId;
    else {
      modelVersion = await this.getModelVersion(parsed.name, parsed.ref).catch((err: unknown) => {
        throw parsed.looksLikeRunId && err instanceof NotFoundError
          ? new NotFoundError(`${err.message} (for a run's lineage, pass { runId })`, { cause: err })
          : err;
      });
      if (modelVersion.runId === undefined) throw new ValidationError("target", target, "this model version records no run");
      runId = modelVersion.runId;
    }
    const [run, datasets] = await Promise.all([this.getRun(runId), this.getRunDatasets(runId)]);
    return buildLineage(run, datasets, modelVersion);
  }

  /**
   * Compares runs (ids, or a search): params that differ, per metric last/min/max and the step
   * of the best value, the best run per metric (direction by option, else by name: loss and
   * error minimise, acc/auc/f1 maximise), datasets and git commit per run.
   * @example `const cmp = await tracker.compareRuns([a, b], { direction: { latency: "min" } })`
   */
  async compareRuns(runs: readonly string[] | SearchRunsOptions, options?: CompareRunsOptions): Promise<RunComparison> {
    if (Array.isArray(runs)) checkStringList("runs", runs);
    else checkSearchOptions(checkRequiredOptions("runs", runs));
    checkOptions("options", options);
    return compareRuns(this, runs, options);
  }

  /**
   * Compares releases of a model (refs as `getModelVersion` takes them; all versions when
   * empty), with their semver, aliases and rationale.
   * @example `await tracker.compareModelVersions("churn", ["1.0.0", "champion"])`
   */
  async compareModelVersions(name: string, refs: readonly string[] = [], options?: CompareRunsOptions): Promise<ModelComparison> {
    checkString("name", name);
    checkStringList("refs", refs);
    checkOptions("options", options);
    return compareModelVersions(this, name, refs, options);
  }

  /**
   * Compares the explanations two releases carry (logged with `logExplanation` of
   * `mltrail/explain` and picked up by `registerModel`): per feature the change in global
   * importance, share and rank, flags for a rank moved by ≥ `rankMoved` or a share changed by
   * ≥ `shareChanged`, and a one-line verdict.
   * @example `const diff = await tracker.compareExplanations("churn@1.2.0", "churn@1.3.0", { rankMoved: 2, shareChanged: 0.1 })`
   */
  async compareExplanations(a: string, b: string, options?: CompareReleaseExplanationsOptions): Promise<ReleaseExplanationDiff> {
    checkString("a", a);
    checkString("b", b);
    checkOptionalString("options.name", checkOptions<CompareReleaseExplanationsOptions>("options", options).name);
    return compareReleaseExplanations(this, a, b, options);
  }

  /**
   * Writes one self-contained HTML report (works offline; charts inlined) over an experiment,
   * a set of runs or a model's releases. The report code is loaded on first use.
   * @example `await tracker.report({ experiment: "churn", output: "report.html" })`
   */
  async report(options: WriteReportOptions): Promise<WriteReportResult> {
    checkString("report options.output", checkStringsIn("report options", checkRequiredOptions<WriteReportOptions>("report options", options)).output);
    const { writeReport } = await import("./report/index.js");
    return writeReport(this, options);
  }

  /**
   * Starts (or joins) an A/B test of model versions: refs are resolved once and frozen in the
   * test's record; `assign(unit)` is deterministic across processes (GrowthBook hashing);
   * exposures and outcomes go through the run log like any other record.
   * @example `const ab = await tracker.abTest({ key: "churn-v2", variants: [{ model: "churn", ref: "1.0.0" }, { model: "churn", ref: "1.1.0" }] })`
   */
  async abTest(options: AbTestOptions): Promise<AbTest> {
    checkStringsIn("abTest options", checkRequiredOptions("abTest options", options));
    return createAbTest(this, options);
  }

  /**
   * The experiments: active ones unless `viewType` asks for deleted ones (`"DELETED_ONLY"`, `"ALL"`).
   * @example `await tracker.listExperiments({ viewType: "ALL" })`
   */
  async listExperiments(options: { readonly viewType?: RunViewType } = {}): Promise<Experiment[]> {
    const view = checkViewType("listExperiments options.viewType", checkOptions<{ viewType?: unknown }>("options", options).viewType);
    return (await this.core()).queries.listExperiments(view);
  }

  /** An experiment by name, or undefined. @example `await tracker.getExperimentByName("churn")` */
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    checkString("name", name);
    return (await this.core()).queries.getExperimentByName(name);
  }

  /**
   * Releases a model version under the semver rules (README, "Model releases with semantic versions"). With
   * `version` the version is checked; with `bump` it is computed from the previous release;
   * with neither it is inferred from what changed (signature, content digest, params). A bump
   * below what the changes require fails with a ValidationError naming the change. Identical
   * content makes no new version: the existing one is returned.
   * @example `const mv = await tracker.registerModel("churn", { runId: run.id, bump: "minor", rationale: "new features" });`
   */
  async registerModel(name: string, options: RegisterModelOptions): Promise<ModelVersion> {
    checkString("model name", name);
    checkStringsIn("registerModel options", checkRequiredOptions("registerModel options", options));
    return this.models.register(name, options);
  }

  /**
   * Resolves a version: exact (`"1.2.0"`), a range (`"^1.2"`, `"~1.2.3"`, `">=2 <3"`: the
   * highest non-deprecated stable match), an alias (`"champion"`) or `"latest"`; or one string
   * `"name@ref"`. Throws NotFoundError when nothing matches.
   * @example `await tracker.getModelVersion("churn@^2")`
   */
  async getModelVersion(nameOrRef: string, ref?: string): Promise<ModelVersion> {
    checkString("model reference", nameOrRef);
    checkOptionalString("ref", ref);
    return this.models.get(nameOrRef, ref);
  }

  /** Every live version of a model, oldest first. @example `await tracker.listModelVersions("churn")` */
  async listModelVersions(name: string): Promise<ModelVersion[]> {
    checkString("model name", name);
    return this.models.list(name);
  }

  /** Names of registered models. @example `await tracker.listModels()` */
  async listModels(): Promise<string[]> {
    return this.models.models();
  }

  /**
   * Points an alias at a version. `expected` makes it compare-and-set: the alias must point
   * at that version (or, with `null`, at nothing) or a ConflictError is thrown. `latest`,
   * `v<digits>` and semver-shaped names are reserved.
   * Resolves with the version the alias now points at (its `aliases` include the new one), like
   * every registry call that changes a version.
   * @example `const champion = await tracker.setAlias("churn", "champion", "1.2.0", { expected: "1.1.0" })`
   */
  async setAlias(name: string, alias: string, version: string, options: { readonly expected?: string | null } = {}): Promise<ModelVersion> {
    checkModelArgs(
      [
        ["model name", name],
        ["alias", alias],
        ["version", version],
      ],
      [["options.expected", checkOptions<{ expected?: unknown }>("options", options).expected]],
    );
    await this.models.setAlias(name, alias, version, options);
    return this.models.get(name, version);
  }

  /** Removes an alias (compare-and-set with `expected`). @example `await tracker.deleteAlias("churn", "challenger")` */
  async deleteAlias(name: string, alias: string, options: { readonly expected?: string | null } = {}): Promise<void> {
    checkModelArgs(
      [
        ["model name", name],
        ["alias", alias],
      ],
      [["options.expected", checkOptions<{ expected?: unknown }>("options", options).expected]],
    );
    await this.models.deleteAlias(name, alias, options);
  }

  /**
   * Promotes a prerelease to its stable version with the same content: `1.3.0-rc.2` → `1.3.0`.
   * @example `await tracker.promote("churn", "1.3.0-rc.2", { rationale: "passed the canary" })`
   */
  async promote(name: string, version: string, options: { readonly rationale?: string } = {}): Promise<ModelVersion> {
    checkModelArgs(
      [
        ["model name", name],
        ["version", version],
      ],
      [["options.rationale", checkOptions<{ rationale?: unknown }>("options", options).rationale]],
    );
    this.models.checkRationale(options.rationale);
    return this.models.promote(name, version, options.rationale ?? "");
  }

  /**
   * Marks a version deprecated: ranges and `latest` skip it; exact refs still resolve. The
   * reason is required and goes to the audit trail. Options take the same shape as
   * `deleteModelVersion`'s; a plain string is still accepted as the reason.
   * @example `await tracker.deprecate("churn", "1.0.0", { reason: "leaks labels" })`
   */
  async deprecate(name: string, version: string, options: { readonly reason: string } | string): Promise<ModelVersion> {
    const reason = typeof options === "string" ? options : typeof options === "object" && options !== null ? options.reason : options;
    if (typeof reason !== "string" || reason.trim() === "")
      throw new ValidationError(typeof options === "string" ? "reason" : "options.reason", reason, "a deprecation needs a reason");
    checkModelArgs(
      [
        ["model name", name],
        ["version", version],
      ],
      [[typeof options === "string" ? "reason" : "options.reason", reason]],
    );
    return this.models.update(name, version, { deprecated: reason }, "deprecate", reason);
  }

  /** Changes the mutable fields of a version: description and tags (rule 6). @example `await tracker.updateModelVersion("churn", "1.2.0", { description: "…" })` */
  async updateModelVersion(
    name: string,
    version: string,
    change: { readonly description?: string; readonly tags?: Readonly<Record<string, string>> },
  ): Promise<ModelVersion> {
    checkVersionChange(change);
    checkModelArgs([
      ["model name", name],
      ["version", version],
    ]);
    checkStringsIn("change", change);
    checkVersionUpdate(change as Readonly<Record<string, unknown>>); // immutable fields: rule 6
    for (const key of Object.keys(change)) {
      if (key !== "description" && key !== "tags")
        throw new ValidationError(`update.${key}`, (change as Record<string, unknown>)[key], "use deprecate() or setAlias() for this field");
    }
    return this.models.update(name, version, change, "update");
  }

  /** Deletes a version, leaving a tombstone: its version string is never reused (rule 5). @example `await tracker.deleteModelVersion("churn", "1.1.0", { reason: "bad data" })` */
  async deleteModelVersion(name: string, version: string, options: { readonly reason?: string } = {}): Promise<void> {
    checkModelArgs(
      [
        ["model name", name],
        ["version", version],
      ],
      [["options.reason", checkOptions<{ reason?: unknown }>("options", options).reason]],
    );
    await this.models.delete(name, version, options.reason);
  }

  /** Every registry change of a model: who, when, what and why. @example `await tracker.modelHistory("churn")` */
  async modelHistory(name: string): Promise<AuditEntry[]> {
    checkString("model name", name);
    return this.models.history(name);
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
    checkOptions("options", options);
    const timeoutMs = timeoutOf(options, this.options.closeTimeoutMs);
    await Promise.all([...this.open.values()].map((e) => e.log.writer.flush()));
    // The drain started by the constructor is set once the spool is open: wait for that first.
    await this.corePromise?.catch(() => undefined);
    await this.draining;
    await Promise.all([this.replicating?.flush(timeoutMs), this.fanningOut?.flush(timeoutMs)]);
    await this.sendLifecycle();
    const s = this.stats();
    return { acked: s.acked, pending: s.pending, rejected: s.rejected };
  }

  /** Deletions and restores of runs in the log that the backend has not received yet (now that their runs are there). */
  private async sendLifecycle(): Promise<void> {
    const core = this.replicating === undefined ? undefined : await this.corePromise?.catch(() => undefined);
    if (core === undefined) return;
    await syncLifecycle({ store: core.store, remote: this.remote, onError: (e) => this.emitError(e) }).catch((err: unknown) =>
      this.emitError(err instanceof MltrailError ? err : new MltrailError(String(err))),
    );
  }

  /**
   * Counts of logged, written, durable, acknowledged, pending and rejected records, and the
   * replication state.
   * @example `console.log(tracker.stats())`
   */
  stats(): TrackerStats {
    let { logged, written, durable } = this.finished;
    for (const e of [...this.open.values(), ...this.backlog]) {
      logged += e.log.writer.seq - e.baseSeq;
      written += e.log.writer.writtenSeq - e.baseSeq;
      durable += e.log.writer.syncedSeq - e.baseSeq;
    }
    const targets = this.fanOut?.stats();
    const base = { logged, written, durable, activeRuns: this.open.size, ...(targets === undefined ? {} : { targets }) };
    const replicator = this.replicating;
    if (replicator === undefined) {
      const state: TrackerState = this.remote === undefined ? "LOCAL" : "OFFLINE";
      return {
        ...base,
        acked: this.remote === undefined ? durable : 0,
        pending: this.remote === undefined ? logged - durable : logged,
        rejected: 0,
        state,
        lastError: this.lastError,
      };
    }
    const r = replicator.stats();
    return { ...base, acked: r.acked, pending: r.pending + (logged - written), rejected: r.rejected, state: r.state, lastError: this.lastError ?? r.lastError };
  }

  /**
   * Ends runs still open (FINISHED), flushes, waits for replication up to `timeoutMs`, and
   * releases everything; what the server has not acknowledged stays in the log for the next
   * tracker or `mltrail sync`. The process can then exit on its own. Resolves with what is
   * still pending; never throws for transport problems. Idempotent.
   * @example `const { pending } = await tracker.close({ timeoutMs: 5000 })`
   */
  async close(options: FlushOptions = {}): Promise<FlushResult> {
    const timeoutMs = timeoutOf(options, this.options.closeTimeoutMs);
    if (!this.closed) {
      await Promise.all([...this.open.values()].map((e) => e.run.end()));
      await this.corePromise?.catch(() => undefined);
      await this.draining;
      await Promise.all([this.replicating?.flush(timeoutMs), this.fanningOut?.flush(timeoutMs)]);
      await this.sendLifecycle();
      this.warnPending();
      this.closed = true;
      this.remote?.replicator.close();
      this.fanOut?.close();
      this.backend?.close();
      unregisterExitParticipant(this.exitParticipant);
    }
    const s = this.stats();
    return { acked: s.acked, pending: s.pending, rejected: s.rejected };
  }

  /** What `JSON.stringify(tracker)` and `util.inspect(tracker)` show: options (credentials masked) and counts, never internals. @example `console.log(tracker)` */
  toJSON(): Record<string, unknown> {
    return { options: this.options, activeRuns: this.open.size, closed: this.closed };
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

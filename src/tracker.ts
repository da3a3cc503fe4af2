/**
 * Tracker: the public methods, each checking nothing itself and delegating to the modules of
 * src/tracker/ (the state and wiring in session.ts; run queries, lifecycle, registry,
 * artifact/lineage, comparison and close/flush calls in their own files).
 *
 * @packageDocumentation
 */
import type { DatasetInfo } from "./artifacts/run-artifacts.js";
import type { AbTest } from "./ab/test.js";
import type { AbTestOptions } from "./ab/types.js";
import type { CompareReleaseExplanationsOptions, CompareRunsOptions, ModelComparison, ReleaseExplanationDiff, RunComparison } from "./compare/index.js";
import type { Lineage, LineageTarget } from "./lineage.js";
import { checkFunction, checkOptionalString } from "./model/args.js";
import type { Experiment, Metric, NestedParams, ParamValue, RunRecord, RunViewType, SearchRunsOptions, SearchRunsPageRequest } from "./model/types.js";
import type { RunsPage } from "./store/paging.js";
import { checkString } from "./model/validate.js";
import type { Models, ModelVersion, RegisterModelOptions } from "./models.js";
import type { ResolvedOptions, TrackerOptions } from "./options.js";
import type { AuditEntry } from "./registry/store.js";
import type { WriteReportOptions, WriteReportResult } from "./report/index.js";
import type { MetricOptions, Run } from "./run.js";
import type { StartRunOptions } from "./start-run.js";
import type { ArtifactEntry, DownloadProgress } from "./store/artifact-queries.js";
import type { GcResult } from "./store/lifecycle-ops.js";
import type { MetricHistoryOptions, SampledHistoryOptions } from "./store/series/history-options.js";
import * as analysis from "./tracker/analysis-calls.js";
import * as artifacts from "./tracker/artifact-calls.js";
import { checkEvent } from "./tracker/checks.js";
import * as lifecycle from "./tracker/lifecycle-calls.js";
import { runWithin } from "./tracker/open-runs.js";
import * as registry from "./tracker/registry-calls.js";
import * as queries from "./tracker/run-queries.js";
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
export class Tracker implements AsyncDisposable {
  /** The resolved options (frozen). */
  readonly options: ResolvedOptions;
  private readonly session: TrackerSession;
  private readonly models: Models;

  /**
   * Creates a tracker. Throws ValidationError for unknown or ill-typed options. Opens nothing
   * and sends nothing until the first call that needs it.
   * @param options see {@link TrackerOptions}; every field has a default and most an env var.
   */
  constructor(options?: TrackerOptions) {
    this.session = new TrackerSession(options);
    this.options = this.session.options;
    this.models = registry.createModels(this.session);
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

  /** Reads a run by id (local or server id). Throws NotFoundError. @example `const { info, data } = await tracker.getRun(id);` */
  async getRun(runId: string): Promise<RunRecord> {
    return queries.getRun(this.session, runId);
  }

  /**
   * A metric's history in logged order; `options` keeps a step range and/or the first
   * `maxResults` points (on the local store only those are read).
   * @example `await tracker.getMetricHistory(id, "loss", { startStep: 100, endStep: 199 })`
   */
  async getMetricHistory(runId: string, key: string, options?: MetricHistoryOptions): Promise<Metric[]> {
    return queries.metricHistory(this.session, runId, key, options, false);
  }

  /**
   * A sample of a metric's history for charts: at most `maxResults` points (default and limit
   * 2500) spread evenly over the step range in (step, timestamp, value) order, the first and
   * last kept; MLflow's `get-history-bulk-interval` on a server.
   * @example `await tracker.getSampledMetricHistory(id, "loss", { maxResults: 500 })`
   */
  async getSampledMetricHistory(runId: string, key: string, options?: SampledHistoryOptions): Promise<Metric[]> {
    return queries.metricHistory(this.session, runId, key, options, true);
  }

  /**
   * Several metrics' histories at once (every metric of the run when `keys` is omitted), in
   * logged order; on the local store in one pass over the run log.
   * @example `const { loss, acc } = await tracker.getMetricHistories(id, ["loss", "acc"])`
   */
  async getMetricHistories(runId: string, keys?: readonly string[]): Promise<Record<string, Metric[]>> {
    return queries.metricHistories(this.session, runId, keys);
  }

  /**
   * Searches runs with MLflow's filter syntax (see docs/search-syntax.md).
   * @example `await tracker.searchRuns({ filter: "metrics.acc > 0.9", orderBy: ["metrics.acc DESC"] })`
   */
  async searchRuns(options: SearchRunsOptions = {}): Promise<RunRecord[]> {
    return queries.searchRuns(this.session, options);
  }

  /**
   * One page of a search, as MLflow's `runs/search` pages: `maxResults` runs (default 1000)
   * from where `pageToken` says, and `nextPageToken` while more remain (absent on the last
   * page). The same runs, in the same order, as {@link searchRuns}, runs not yet on the
   * server included. On a server, a page must end within the first 50,000 runs of the search.
   * @example
   * ```ts
   * let page = await tracker.searchRunsPage({ filter: "metrics.acc > 0.9", maxResults: 100 });
   * for (;;) {
   *   for (const run of page.runs) console.log(run.info.runId);
   *   if (page.nextPageToken === undefined) break;
   *   page = await tracker.searchRunsPage({ filter: "metrics.acc > 0.9", maxResults: 100, pageToken: page.nextPageToken });
   * }
   * ```
   */
  async searchRunsPage(options: SearchRunsPageRequest = {}): Promise<RunsPage> {
    return queries.searchRunsPage(this.session, options);
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
   * The artifacts of a run directly under `path` (the root by default): files with their size
   * and sha256, and folders.
   * @example `await tracker.listArtifacts(runId, "plots")`
   */
  async listArtifacts(runId: string, path?: string): Promise<ArtifactEntry[]> {
    return artifacts.listArtifacts(this.session, runId, path);
  }

  /**
   * Downloads an artifact file or folder of a run into `dest` (keeping its relative path),
   * verifying every file against the run's manifest. Resolves with the local path.
   * @example `const dir = await tracker.downloadArtifacts(runId, "model", "./downloads")`
   */
  async downloadArtifacts(runId: string, path: string, dest: string, options: { readonly onProgress?: DownloadProgress } = {}): Promise<string> {
    return artifacts.downloadArtifacts(this.session, runId, path, dest, options);
  }

  /** The dataset inputs a run recorded. @example `await tracker.getRunDatasets(runId)` */
  async getRunDatasets(runId: string): Promise<DatasetInfo[]> {
    return queries.runDatasets(this.session, runId);
  }

  /**
   * Where a model version or a run came from: model version → run → datasets → code and
   * environment. Say which one you mean: a model ref (`"churn@1.2.0"`, or any ref
   * `getModelVersion` takes, as a string or `{ model, ref }`), or `{ runId }`.
   * @example `const { run, datasets, code } = await tracker.lineage("churn@champion")`
   * @example `await tracker.lineage({ runId })`
   */
  async lineage(target: LineageTarget): Promise<Lineage> {
    return artifacts.lineage(this.session, (name, ref) => this.getModelVersion(name, ref), target);
  }

  /**
   * Compares runs (ids, or a search): params that differ, per metric last/min/max and the step
   * of the best value, the best run per metric (direction by option, else by name: loss and
   * error minimise, acc/auc/f1 maximise), datasets and git commit per run.
   * @example `const cmp = await tracker.compareRuns([a, b], { direction: { latency: "min" } })`
   */
  async compareRuns(runs: readonly string[] | SearchRunsOptions, options?: CompareRunsOptions): Promise<RunComparison> {
    return analysis.compareRuns(this, runs, options);
  }

  /**
   * Compares releases of a model (refs as `getModelVersion` takes them; all versions when
   * empty), with their semver, aliases and rationale.
   * @example `await tracker.compareModelVersions("churn", ["1.0.0", "champion"])`
   */
  async compareModelVersions(name: string, refs: readonly string[] = [], options?: CompareRunsOptions): Promise<ModelComparison> {
    return analysis.compareModelVersions(this, name, refs, options);
  }

  /**
   * Compares the explanations two releases carry (logged with `logExplanation` of
   * `mltrail/explain` and picked up by `registerModel`): per feature the change in global
   * importance, share and rank, flags for a rank moved by ≥ `rankMoved` or a share changed by
   * ≥ `shareChanged`, and a one-line verdict.
   * @example `const diff = await tracker.compareExplanations("churn@1.2.0", "churn@1.3.0", { rankMoved: 2, shareChanged: 0.1 })`
   */
  async compareExplanations(a: string, b: string, options?: CompareReleaseExplanationsOptions): Promise<ReleaseExplanationDiff> {
    return analysis.compareExplanations(this, a, b, options);
  }

  /**
   * Writes one self-contained HTML report (works offline; charts inlined) over an experiment,
   * a set of runs or a model's releases. The report code is loaded on first use.
   * @example `await tracker.report({ experiment: "churn", output: "report.html" })`
   */
  async report(options: WriteReportOptions): Promise<WriteReportResult> {
    return analysis.report(this, options);
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
   * The experiments: active ones unless `viewType` asks for deleted ones (`"DELETED_ONLY"`, `"ALL"`).
   * @example `await tracker.listExperiments({ viewType: "ALL" })`
   */
  async listExperiments(options: { readonly viewType?: RunViewType } = {}): Promise<Experiment[]> {
    return queries.listExperiments(this.session, options);
  }

  /** An experiment by name, or undefined. @example `await tracker.getExperimentByName("churn")` */
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    return queries.experimentByName(this.session, name);
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
    return registry.registerModel(this.models, name, options);
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
    return registry.setAlias(this.models, name, alias, version, options);
  }

  /** Removes an alias (compare-and-set with `expected`). @example `await tracker.deleteAlias("churn", "challenger")` */
  async deleteAlias(name: string, alias: string, options: { readonly expected?: string | null } = {}): Promise<void> {
    await registry.deleteAlias(this.models, name, alias, options);
  }

  /**
   * Promotes a prerelease to its stable version with the same content: `1.3.0-rc.2` → `1.3.0`.
   * @example `await tracker.promote("churn", "1.3.0-rc.2", { rationale: "passed the canary" })`
   */
  async promote(name: string, version: string, options: { readonly rationale?: string } = {}): Promise<ModelVersion> {
    return registry.promote(this.models, name, version, options);
  }

  /**
   * Marks a version deprecated: ranges and `latest` skip it; exact refs still resolve. The
   * reason is required and goes to the audit trail. Options take the same shape as
   * `deleteModelVersion`'s; a plain string is still accepted as the reason.
   * @example `await tracker.deprecate("churn", "1.0.0", { reason: "leaks labels" })`
   */
  async deprecate(name: string, version: string, options: { readonly reason: string } | string): Promise<ModelVersion> {
    return registry.deprecate(this.models, name, version, options);
  }

  /** Changes the mutable fields of a version: description and tags (rule 6). @example `await tracker.updateModelVersion("churn", "1.2.0", { description: "…" })` */
  async updateModelVersion(
    name: string,
    version: string,
    change: { readonly description?: string; readonly tags?: Readonly<Record<string, string>> },
  ): Promise<ModelVersion> {
    return registry.updateModelVersion(this.models, name, version, change);
  }

  /** Deletes a version, leaving a tombstone: its version string is never reused (rule 5). @example `await tracker.deleteModelVersion("churn", "1.1.0", { reason: "bad data" })` */
  async deleteModelVersion(name: string, version: string, options: { readonly reason?: string } = {}): Promise<void> {
    await registry.deleteModelVersion(this.models, name, version, options);
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
   * tracker or `mltrail sync`. The process can then exit on its own. Resolves with what is
   * still pending; never throws for transport problems. Idempotent.
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

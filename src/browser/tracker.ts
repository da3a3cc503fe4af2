/**
 * The browser Tracker: the Node SDK's tracking calls for a page, with IndexedDB as the run log
 * and `fetch` as the transport. Records are durable in IndexedDB once the group commit after
 * the logging call's task has run; replication sends them to the MLflow server from there, and
 * a later page load sends whatever an earlier one left.
 *
 * @packageDocumentation
 */
import { MltrailError, StateError } from "../errors.js";
import { checkFunction, checkOptionalString, checkOptions, checkRequiredOptions, checkStringsIn } from "../model/args.js";
import { checkString } from "../model/validate.js";
import type { Models, ModelVersion, RegisterModelOptions } from "../models.js";
import { createFetchHttpClient } from "../remote/fetch-http.js";
import type { BrowserTrackerEvents, BrowserTrackerStats, FlushOptions, FlushResult } from "./types.js";
import { Core } from "./core.js";
import { browserGlobals } from "./dom.js";
import { type ResolvedBrowserOptions, type TrackerOptions, resolveBrowserOptions } from "./options.js";
import { browserModels } from "./registry.js";
import { type BrowserRunHost, Run } from "./run.js";
import { type StartRunOptions, newRun, planBrowserRun, runToResume, startRecords } from "./start.js";

type Listeners = { [E in keyof BrowserTrackerEvents]: Set<(...args: BrowserTrackerEvents[E]) => void> };

/**
 * Tracks runs from a web page to an MLflow server (which must allow the page's origin with
 * `--cors-allowed-origins`). Same calls as the Node SDK's `Tracker`; records go to IndexedDB
 * first, so a reload, a crashed tab or a lost network loses nothing.
 *
 * @example
 * ```ts
 * import { Tracker } from "mltrail/browser";
 * const tracker = new Tracker({ trackingUri: "https://mlflow.example.com", experiment: "in-browser" });
 * const run = await tracker.startRun({ name: "fit", resume: "auto" });
 * run.logMetric("loss", 0.3, { step: 1 });
 * await run.end();
 * await tracker.flush({ timeoutMs: 5000 });
 * ```
 */
export class Tracker {
  /** The options after defaults (credentials are not shown by `JSON.stringify`). */
  readonly options: ResolvedBrowserOptions;
  private readonly corePromise: Promise<Core>;
  private readonly open = new Map<string, Run>();
  private readonly listeners: Listeners = { error: new Set(), rejected: new Set(), state: new Set() };
  private logged = 0;
  private lastError: string | undefined;
  private closed = false;
  private readonly host: BrowserRunHost;
  private readonly stopWatching: () => void;

  /**
   * @param options - see {@link TrackerOptions}; `trackingUri` is required.
   * @throws ValidationError naming the first bad option; StateError without IndexedDB or Web Locks.
   */
  constructor(options: TrackerOptions) {
    this.options = resolveBrowserOptions(options);
    const g = browserGlobals();
    const { auth } = this.options;
    const http = createFetchHttpClient({ trackingUri: this.options.trackingUri, timeoutMs: this.options.requestTimeoutMs, ...auth });
    this.corePromise = Core.open(this.options, g, http, {
      error: (e) => this.emitError(e),
      state: (s) => this.emit("state", s),
      rejected: (doc, record, error) => this.emit("rejected", { runId: doc.remoteRunId ?? doc.rk, seq: record.s, record, error }),
    });
    this.corePromise.catch((e: unknown) => this.emitError(e instanceof MltrailError ? e : new MltrailError(String(e), { cause: e })));
    this.host = {
      append: (doc, records) => {
        this.core.commit.append(doc, records);
        this.logged += records.length;
      },
      finishRun: async (run) => {
        this.open.delete(run.key);
        await this.core.commit.flush();
        this.core.pump.notify(run.key, true);
      },
      flushRun: () => this.core.commit.flush(),
    };
    const onHide = (event: { type?: string; persisted?: boolean }): void => {
      if (g.document?.visibilityState === undefined || g.document.visibilityState === "hidden")
        this.onPageHide(event.type === "pagehide" && event.persisted !== true);
    };
    g.addEventListener?.("pagehide", onHide);
    g.addEventListener?.("visibilitychange", onHide);
    this.stopWatching = () => {
      g.removeEventListener?.("pagehide", onHide);
      g.removeEventListener?.("visibilitychange", onHide);
    };
  }

  private coreValue: Core | undefined;
  private modelsValue: Models | undefined;
  private async models(): Promise<Models> {
    this.modelsValue ??= browserModels(await this.ready(), (e) => this.emitError(e));
    return this.modelsValue;
  }
  private get core(): Core {
    if (this.coreValue === undefined) throw new StateError("the tracker is not open yet (await startRun first)");
    return this.coreValue;
  }

  private async ready(): Promise<Core> {
    if (this.closed) throw StateError.of("tracker", "closed", "is closed: create a new Tracker");
    this.coreValue ??= await this.corePromise;
    return this.coreValue;
  }

  /** Adds a listener. @example `tracker.on("state", (s) => console.log(s))` */
  on<E extends keyof BrowserTrackerEvents>(event: E, listener: (...args: BrowserTrackerEvents[E]) => void): this {
    this.listeners[event].add(listener);
    return this;
  }

  /** Removes a listener. @example `tracker.off("state", listener)` */
  off<E extends keyof BrowserTrackerEvents>(event: E, listener: (...args: BrowserTrackerEvents[E]) => void): this {
    this.listeners[event].delete(listener);
    return this;
  }

  private emit<E extends keyof BrowserTrackerEvents>(event: E, ...args: BrowserTrackerEvents[E]): void {
    for (const l of this.listeners[event]) (l as (...a: BrowserTrackerEvents[E]) => void)(...args);
  }

  private emitError(error: MltrailError): void {
    this.lastError = error.message;
    this.emit("error", error);
  }

  /**
   * Starts a run (or continues one with `resume`). With a reachable server the run is created
   * there first (so `run.id` is the server's id, within 10 s); otherwise it starts in
   * IndexedDB and is created on the server later, once, by its run key.
   * @example `const run = await tracker.startRun({ name: "fit", params: { lr: 1e-3 } });`
   */
  async startRun(options: StartRunOptions = {}): Promise<Run> {
    const core = await this.ready();
    const plan = planBrowserRun(options, this.options);
    const now = Date.now();
    const resumed = plan.resume === undefined ? undefined : await runToResume(core, plan);
    let doc = resumed;
    try {
      if (doc !== undefined) {
        const records = startRecords(doc, plan.params, plan.tags, doc.ended === true ? doc.seq + 1 : doc.seq, now);
        if (doc.ended === true) records.unshift({ s: doc.seq + 1, t: "resume", ts: now });
        core.own.add(doc.rk);
        core.commit.append(doc, records);
        this.logged += records.length;
      } else {
        const fresh = await newRun(core, { ...plan, resume: undefined }, now);
        doc = fresh.doc;
        await core.locks.take(doc.rk, 0); // a new key: always free
        core.own.add(doc.rk);
        core.commit.append(doc, fresh.records);
        this.logged += fresh.records.length;
        core.announce(doc.rk);
      }
      await core.commit.flush();
    } finally {
      if (resumed !== undefined) core.resuming.delete(resumed.rk);
    }
    const sender = core.pump.sender(doc);
    await Promise.race([sender.ensureRemoteRun().catch(() => undefined), new Promise((r) => setTimeout(r, Math.min(10_000, this.options.requestTimeoutMs)))]);
    core.pump.start(sender);
    const run = new Run(doc, this.host, doc.seq);
    this.open.set(run.key, run);
    return run;
  }

  /**
   * Runs `fn` inside a new run: it ends FINISHED when `fn` resolves and FAILED when it throws
   * (the error is rethrown).
   * @example `await tracker.withRun({ name: "fold-1" }, async (run) => train(run));`
   */
  async withRun<T>(options: StartRunOptions, fn: (run: Run) => Promise<T> | T): Promise<T> {
    checkFunction("withRun fn", fn);
    const run = await this.startRun(options);
    let result: T;
    try {
      result = await fn(run);
    } catch (err) {
      await run.end({ status: "FAILED" });
      throw err;
    }
    await run.end();
    return result;
  }

  /** The most recently started run that is still open. @example `tracker.activeRun()?.id` */
  activeRun(): Run | undefined {
    return [...this.open.values()].at(-1);
  }

  /**
   * Commits what is queued and waits up to `timeoutMs` for the server to acknowledge every
   * pending record (this page's and the earlier page loads' it took over). Never throws for
   * transport problems: what is not acknowledged stays in IndexedDB and counts in `pending`.
   * @throws StorageFullError while IndexedDB refuses the queued records (they stay queued).
   * @example `const { pending } = await tracker.flush({ timeoutMs: 5000 });`
   */
  async flush(options: FlushOptions = {}): Promise<FlushResult> {
    checkOptions("options", options);
    const core = await this.ready();
    await core.commit.flush();
    await core.pump.flush(options.timeoutMs ?? this.options.closeTimeoutMs);
    const s = this.stats();
    return { acked: s.acked, pending: s.pending, rejected: s.rejected };
  }

  /**
   * Counts of logged, written, acknowledged, pending and rejected records, and the
   * replication state.
   * @example `console.log(tracker.stats())`
   */
  stats(): BrowserTrackerStats {
    const core = this.coreValue;
    const written = core?.commit.written ?? 0;
    return {
      logged: this.logged,
      written,
      durable: written,
      acked: core?.pump.acked ?? 0,
      pending: (core?.pump.pending ?? 0) + (core?.commit.queued ?? 0),
      rejected: core?.pump.rejected ?? 0,
      activeRuns: this.open.size,
      state: core?.pump.state ?? "UP",
      lastError: this.lastError ?? core?.pump.lastError,
    };
  }

  /**
   * Ends open runs (FINISHED), flushes, waits for the server up to `timeoutMs`, then stops;
   * what is not acknowledged stays in IndexedDB for the next page load. Idempotent.
   * @example `await tracker.close({ timeoutMs: 5000 })`
   */
  async close(options: FlushOptions = {}): Promise<FlushResult> {
    if (!this.closed) {
      await Promise.all([...this.open.values()].map((r) => r.end()));
      const result = await this.flush(options);
      this.closed = true;
      this.stopWatching();
      this.core.close();
      return result;
    }
    const s = this.stats();
    return { acked: s.acked, pending: s.pending, rejected: s.rejected };
  }

  /**
   * Releases a model version under the Node tracker's semver rules, with the same release
   * record, in the MLflow server's registry. It first waits (up to `closeTimeoutMs`) until the
   * server has acknowledged every record of the run this page logged, so the release records
   * the run's params and metrics even right after `run.end()`. The model files must already
   * be in the run's artifacts (see docs/browser.md: a page does not upload them).
   * @throws ValidationError naming the option and rule; StateError when the run is not all on the server in time.
   * @example `const mv = await tracker.registerModel("digits", { runId: run.id, bump: "minor", rationale: "retrained in the page" });`
   */
  async registerModel(name: string, options: RegisterModelOptions): Promise<ModelVersion> {
    checkString("model name", name);
    checkStringsIn("registerModel options", checkRequiredOptions("registerModel options", options));
    return (await this.models()).register(name, options);
  }

  /**
   * Resolves a version as Node's tracker does: exact (`"1.2.0"`), a range (`"^1.2"`), an
   * alias, `"latest"`, or one string `"name@ref"`.
   * @throws NotFoundError when nothing matches.
   * @example `await tracker.getModelVersion("digits@^1")`
   */
  async getModelVersion(nameOrRef: string, ref?: string): Promise<ModelVersion> {
    checkString("model reference", nameOrRef);
    checkOptionalString("ref", ref);
    return (await this.models()).get(nameOrRef, ref);
  }

  /** The page is going away: commit what is queued and send the last batches with `keepalive`. */
  private onPageHide(unloading: boolean): void {
    const core = this.coreValue;
    if (core === undefined || this.closed) return;
    const committed = core.commit.flush();
    for (const run of this.open.values()) core.pump.sender(run.doc).sendWithKeepalive();
    // A page being unloaded logs nothing more: once its last commit is in, its runs' locks go
    // at once, so an open tab takes them over without waiting for the browser to free them.
    if (unloading) void committed.then(() => core.locks.close()).catch(() => undefined);
  }

  /** What `JSON.stringify(tracker)` shows: options without credentials, and counts. @example `JSON.stringify(tracker)` */
  toJSON(): Record<string, unknown> {
    const { auth, ...rest } = this.options;
    return {
      options: { ...rest, auth: auth.token === undefined && auth.headers === undefined ? "none" : "***" },
      activeRuns: this.open.size,
      closed: this.closed,
    };
  }
}

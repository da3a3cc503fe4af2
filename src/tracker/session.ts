/**
 * A tracker's state and wiring: its options, logger and events, the backend with its
 * replication and fan-out, the core opened once, the open runs, and the hooks runs and the
 * process exit paths call back into. `Tracker` holds one and delegates to the functions of
 * this folder, which work on it.
 */
import { EventEmitter } from "node:events";
import { createBackend, type TrackingBackend } from "../backends/index.js";
import { validateTemplate, checkNamePolicy } from "../capture/naming.js";
import { MltrailError, StateError } from "../errors.js";
import { systemClock, type Clock } from "../internal/clock.js";
import { registerExitParticipant, unregisterExitParticipant, type ExitParticipant } from "../internal/exit-hooks.js";
import { createLogger, type Logger } from "../internal/logger.js";
import { MLFLOW_LIMITS } from "../model/limits.js";
import type { EndStatus } from "../model/types.js";
import { checkName } from "../model/validate.js";
import type { OpenRun } from "../open-run.js";
import { resolveOptions, type ResolvedOptions, type TrackerOptions } from "../options.js";
import { connectRemote, type RemoteSide } from "../remote/connect.js";
import { syncCommand } from "../remote/drain.js";
import { FanOut } from "../remote/fan-out.js";
import type { Run, RunHost } from "../run.js";
import type { TrackerStats } from "../tracker-types.js";
import { openCore, type Core } from "./core.js";
import { OpenRuns } from "./open-runs.js";
import { trackerStats } from "./stats.js";

/** Any rejection as an MltrailError. */
export function asMltrailError(err: unknown): MltrailError {
  return err instanceof MltrailError ? err : new MltrailError(String(err));
}

/** One tracker's state (see the module comment). @internal */
export class TrackerSession {
  readonly options: ResolvedOptions;
  readonly log: Logger;
  readonly clock: Clock = systemClock;
  readonly events = new EventEmitter();
  /** The backend `trackingUri` names; undefined for the local store (opened with the core). */
  readonly backend: TrackingBackend | undefined;
  /** Replication to the backend, when it receives records. */
  readonly remote: RemoteSide | undefined;
  /** Replication to the further `targets`, each on its own. */
  readonly fanOut: FanOut | undefined;
  readonly runs = new OpenRuns();
  readonly host: RunHost;
  readonly exitParticipant: ExitParticipant;
  /** Settles once runs left pending by earlier processes have been handed to the replicator. */
  draining: Promise<void> = Promise.resolve();
  corePromise: Promise<Core> | undefined;
  closed = false;
  private lastError: string | undefined;
  private readonly warnedCodes = new Set<string>();
  private beforeExitDone = false;
  private pendingWarned = false;

  constructor(options: TrackerOptions | undefined) {
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
    else if (this.fanOut !== undefined && this.options.drainOnStart) this.core().catch((err: unknown) => this.emitError(asMltrailError(err)));
    if (this.remote !== undefined) {
      if (this.options.mode === "offline") this.remote.replicator.close();
      // Runs earlier processes left pending start going out now, not at the first call.
      else if (this.options.drainOnStart) this.core().catch((err: unknown) => this.emitError(asMltrailError(err)));
    }
    this.host = {
      clock: this.clock,
      finishRun: (run, status, endTime) => this.finishRun(run, status, endTime),
      flushRun: (run) => this.flushRun(run),
      warn: (message) => this.log.warn(message),
      remoteId: (run) => this.runs.progress.get(run)?.state.remoteRunId,
      runUrl: (run) => {
        const st = this.runs.progress.get(run)?.state;
        return st?.remoteRunId === undefined || st.remoteExperimentId === undefined
          ? undefined
          : this.remote?.backend.runUrl?.(st.remoteExperimentId, st.remoteRunId);
      },
    };
    this.exitParticipant = {
      endAllSync: (status) => this.endAllSync(status),
      flushForExit: async (timeoutMs) => {
        await this.flushReplication(timeoutMs);
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
  get fanningOut(): FanOut | undefined {
    return this.options.mode === "online" ? this.fanOut : undefined;
  }

  /** The replicator, when records go to a server. */
  get replicating(): RemoteSide["replicator"] | undefined {
    return this.options.mode === "online" ? this.remote?.replicator : undefined;
  }

  /**
   * Reports a problem that did not throw. With an `"error"` listener, the listener gets it.
   * Without one, the logger shows each kind of problem (its `code`) once at `warn`, so
   * background failures are never silent and never flood the console.
   */
  emitError(error: MltrailError): void {
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
  core(): Promise<Core> {
    if (this.closed) return Promise.reject(new StateError("the tracker is closed"));
    if (this.corePromise === undefined) {
      const opening = openCore({
        options: this.options,
        log: this.log,
        backend: this.backend,
        remote: this.remote,
        replicating: this.replicating,
        fanningOut: this.fanningOut,
        draining: () => this.draining,
        openIds: () => new Set(this.runs.open.keys()),
        emitError: (error) => this.emitError(error),
      }).then(({ core, draining }) => {
        this.draining = draining;
        return core;
      });
      this.corePromise = opening;
      opening.catch(() => {
        if (this.corePromise === opening) this.corePromise = undefined;
      });
    }
    return this.corePromise;
  }

  /** Waits up to `timeoutMs` for the server and the further targets to acknowledge what was logged. */
  async flushReplication(timeoutMs: number): Promise<void> {
    await Promise.all([this.replicating?.flush(timeoutMs), this.fanningOut?.flush(timeoutMs)]);
  }

  /** See `Tracker.stats`. */
  stats(): TrackerStats {
    return trackerStats({ runs: this.runs, remote: this.remote, fanOut: this.fanOut, replicating: this.replicating, lastError: this.lastError });
  }

  private async flushRun(run: Run): Promise<void> {
    const entry = this.runs.open.get(run.id);
    if (entry === undefined) return;
    await entry.log.writer.flush(); // durable locally; waiting for the server is tracker.flush()'s job
  }

  private async finishRun(run: Run, status: EndStatus, endTime: number): Promise<void> {
    const entry = this.runs.open.get(run.id);
    if (entry === undefined) return;
    try {
      await entry.finish(status, endTime);
    } finally {
      this.forget(entry);
    }
  }

  private forget(entry: OpenRun): void {
    this.runs.forget(entry);
    if (this.runs.size === 0 && this.replicating === undefined) unregisterExitParticipant(this.exitParticipant);
  }

  /** A natural exit without close(): end open runs and flush replication, once, bounded. */
  private beforeExit(): Promise<void> | undefined {
    // Only replication needs this: on the local store the exit hook ends runs synchronously.
    const replicator = this.replicating;
    const fanOut = this.fanningOut;
    if (this.beforeExitDone || this.closed || (replicator === undefined && fanOut === undefined)) return undefined;
    if (this.runs.size === 0 && this.stats().pending === 0 && Object.values(fanOut?.stats() ?? {}).every((t) => t.pending === 0)) return undefined;
    this.beforeExitDone = true;
    const code = process.exitCode;
    const status = code === undefined || code === 0 || code === "0" ? "FINISHED" : "FAILED";
    const timeout = this.options.exitFlushTimeoutMs;
    return (async () => {
      await Promise.allSettled([...this.runs.open.values()].map((e) => e.run.end({ status })));
      await Promise.all([replicator?.flush(timeout), fanOut?.flush(timeout)]);
      this.warnPending();
    })();
  }

  /** Once: what the server has not acknowledged, where it is kept, and the command that sends it. */
  warnPending(): void {
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
    for (const entry of [...this.runs.open.values()]) {
      this.runs.endSync(entry, status, this.clock());
      this.forget(entry);
    }
    // A signal (KILLED) flushes next and reports after; other exit paths report now.
    if (status !== "KILLED" && this.replicating !== undefined) this.warnPending();
  }
}

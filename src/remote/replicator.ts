/**
 * The replicator: ships run journals to one target through its {@link ReplicationSink}. One request in flight
 * per run (two when both carry metrics only, the target answers the run quickly and a slot is
 * free), overall no more than the sink's adaptive limit (one while the server queues) and
 * `maxConcurrentRequests`; a pass every `intervalMs` and at once when a run has a
 * full batch; exponential backoff with jitter that honours Retry-After; DEGRADED on a failure
 * or a hanging request, DOWN after repeated failures or a long time without a success (one
 * probe at a time); PAUSED on 401/403 until a probe succeeds. Every request goes out once:
 * the retry loop is this one, so the health sees every failure. Nothing is ever dropped: what
 * is not acknowledged stays in the journal for the next pass or process.
 */
import { setMaxListeners } from "node:events";
import { MltrailError, SpoolError, type ApiError } from "../errors.js";
import type { Logger } from "../internal/logger.js";
import type { JournalRecord } from "../log/record.js";
import type { ReplicationSink } from "../backends/types.js";
import { Health, healthThresholds, type ReplicationHealth } from "./health.js";
import { backoffDelay, sleep } from "./retry.js";
import { PipelineGate } from "./pipeline-gate.js";
import { RunReplicator, type ReplicatorServices, type RunSource, type StepResult } from "./run-replicator.js";
import { withAuthHint } from "./auth-hint.js";
import { RequestSlots } from "./request-slots.js";

/** Longest wait for a request slot before capacity is looked at again (it can grow without a release). */
const SLOT_RECHECK_MS = 50;
/** Longest wait of `flush` between looks at the runs when no step ends meanwhile. */
const FLUSH_RECHECK_MS = 100;

/** Settings of a {@link Replicator}. */
export interface ReplicatorOptions {
  /** Where the records go: the target's sink, which makes each call once (this loop retries). */
  readonly sink: ReplicationSink;
  readonly maxConcurrentRequests: number;
  readonly intervalMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly downAfterFailures: number;
  /**
   * The per-request timeout, ms: sets when a hanging request makes the state DEGRADED and
   * DOWN (see `ReplicationHealth`), and how long a write that may still be in flight is given to
   * land before the end-of-run check. @default 30000
   */
  readonly requestTimeoutMs?: number;
  /** Probe period while PAUSED (401/403). */
  readonly pausedProbeMs: number;
  readonly log: Logger;
  readonly onState: (state: ReplicationHealth) => void;
  readonly onError: (error: MltrailError) => void;
  readonly onRejected: (info: { runId: string; seq: number; record: JournalRecord; error: ApiError }) => void;
  /** Finds the server id of a run that is not in memory (e.g. a parent replicated earlier). */
  readonly lookupRemoteId?: (localRunId: string) => Promise<string | undefined>;
}

/** Counts of a replicator. */
export interface ReplicatorStats {
  readonly acked: number;
  readonly rejected: number;
  readonly pending: number;
  readonly state: ReplicationHealth;
  readonly lastError: string | undefined;
}

/** Replicates many runs to one server. */
export class Replicator {
  private readonly runs = new Map<string, RunReplicator>();
  private readonly busy = new Set<string>();
  private readonly health: Health;
  private readonly experimentIds = new Map<string, Promise<string>>();
  private readonly remoteIds = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;
  private readonly abort = new AbortController();
  /** Requests in flight; a pump waiting for a slot is woken when one is released. */
  private readonly slots = new RequestSlots(() => this.capacity());
  private acked = 0;
  private rejected = 0;
  private lastError: string | undefined;
  private pausedUntil = 0;
  private lastPass = 0;
  private stopped = false;
  /** Records still unacknowledged when {@link close} let go of the runs (they stay in the journals). */
  private pendingAtClose = 0;
  private readonly services: ReplicatorServices;
  /** Start times of the steps waiting for the server, for the hanging-request check. */
  private readonly started = new Set<{ at: number }>();

  constructor(private readonly opts: ReplicatorOptions) {
    const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.health = new Health(healthThresholds(requestTimeoutMs, opts.downAfterFailures), (state) => {
      opts.log.info(`replication is ${state}`);
      opts.onState(state);
    });
    // Every sleep and request of every run listens to this one signal.
    setMaxListeners(0, this.abort.signal);
    this.timer = setInterval(() => this.tick(), Math.min(opts.intervalMs, 1000));
    this.timer.unref();
    const sink = opts.sink;
    const gate = new PipelineGate();
    this.services = {
      sink,
      experimentId: (name) => this.experimentId(name),
      remoteIdOf: async (localRunId) =>
        this.remoteIds.get(localRunId) ?? this.runs.get(localRunId)?.source.state.state.remoteRunId ?? (await opts.lookupRemoteId?.(localRunId)),
      awaitingCreation: (localRunId) => {
        const rr = this.runs.get(localRunId);
        return rr !== undefined && rr.source.state.state.remoteRunId === undefined && rr.blocked === undefined;
      },
      acquireExtraRequest: () => this.slots.tryTake(),
      releaseExtraRequest: () => this.slots.release(),
      extraRequestFree: () => !this.slots.full,
      pipelineGate: gate,
      onRemoteId: (localRunId, remoteRunId) => this.remoteIds.set(localRunId, remoteRunId),
      onAcked: (_source, count) => {
        this.acked += count;
      },
      onRejected: (source, record, error) => {
        this.rejected++;
        opts.log.warn(`run ${source.runId}: the server rejected record ${record.s} (kept in rejected.jsonl): ${error.message}`);
        opts.onRejected({ runId: source.runId, seq: record.s, record, error });
      },
      onCorrupt: (source, count) =>
        this.fail(new SpoolError(`run ${source.runId}: ${count} corrupt journal line(s) skipped by replication`, { path: source.journalDir })),
      onNotKept: (source, what) => {
        const error = new MltrailError(`run ${source.runId}: the server does not hold what the run log holds after the run ended: ${what}`, {
          code: "NOT_KEPT",
        });
        opts.log.warn(error.message);
        this.fail(error);
      },
    };
  }

  /** Replication state. */
  get state(): ReplicationHealth {
    return this.health.state;
  }

  /** Remembers a local → server id mapping (online runs, parents). */
  rememberRemoteId(localRunId: string, remoteRunId: string): void {
    this.remoteIds.set(localRunId, remoteRunId);
  }

  /** The server id of the experiment with this name (created when missing), cached. */
  experimentId(name: string): Promise<string> {
    let id = this.experimentIds.get(name);
    if (id === undefined) {
      id = this.opts.sink.experimentId(name);
      id.catch(() => this.experimentIds.delete(name));
      this.experimentIds.set(name, id);
    }
    return id;
  }

  /** Starts replicating a run. */
  add(source: RunSource): void {
    if (this.runs.has(source.runId)) return;
    const remote = source.state.state.remoteRunId;
    if (remote !== undefined) this.remoteIds.set(source.runId, remote);
    this.runs.set(source.runId, new RunReplicator(source, this.services));
    this.kick(source.runId);
  }

  /** True while the replicator holds the run (its lock included) until it is fully sent. */
  holds(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** Tells the replicator a run has new records; sends at once when a full batch is ready. */
  notify(runId: string): void {
    const rr = this.runs.get(runId);
    if (rr !== undefined && rr.pending >= this.opts.sink.limits.metricsPerBatch) this.kick(runId);
  }

  /** Counts across all runs. */
  stats(): ReplicatorStats {
    let pending = this.pendingAtClose;
    for (const rr of this.runs.values()) pending += rr.pending;
    return { acked: this.acked, rejected: this.rejected, pending, state: this.health.state, lastError: this.lastError };
  }

  /**
   * Steps that may be in flight now: the sink's adaptive limit (one while the server queues),
   * at most `maxConcurrentRequests`, and one while DOWN or PAUSED.
   */
  private capacity(): number {
    const max = this.health.capacity(this.opts.maxConcurrentRequests);
    return Math.min(max, this.opts.sink.requestLimit?.current() ?? max);
  }

  private fail(error: MltrailError): void {
    this.lastError = error.message;
    this.opts.onError(error);
  }

  private tick(): void {
    this.health.tick(
      Date.now(),
      [...this.started].map((s) => s.at),
    );
    if (Date.now() - this.lastPass >= this.opts.intervalMs) {
      this.lastPass = Date.now();
      for (const id of this.runs.keys()) this.kick(id);
    }
  }

  private kick(runId: string): void {
    if (this.stopped || this.busy.has(runId)) return;
    const rr = this.runs.get(runId);
    if (rr === undefined || rr.blocked !== undefined) return;
    this.busy.add(runId);
    void this.pump(rr).finally(() => this.busy.delete(runId));
  }

  private async pump(rr: RunReplicator): Promise<void> {
    while (!this.stopped) {
      if (this.health.state === "PAUSED" && Date.now() < this.pausedUntil) return;
      while (this.slots.full) {
        if (this.stopped) return;
        await this.slots.changed(SLOT_RECHECK_MS);
      }
      // Another run's probe may have been refused while this one waited: one probe per period.
      if (this.health.state === "PAUSED" && Date.now() < this.pausedUntil) return;
      this.slots.take();
      const start = { at: Date.now() };
      this.started.add(start);
      let result: StepResult;
      try {
        result = await rr.step();
      } finally {
        this.slots.release();
        this.started.delete(start);
      }
      if (this.stopped) return;
      switch (result.kind) {
        case "progress":
          this.health.success();
          continue;
        case "idle":
          return;
        case "wait":
          await sleep(50, this.abort.signal).catch(() => undefined);
          continue;
        case "later":
          await sleep(result.delayMs, this.abort.signal).catch(() => undefined);
          continue;
        case "done":
          this.health.success();
          this.runs.delete(rr.source.runId);
          rr.source.release?.();
          return;
        case "auth": {
          const first = this.health.state !== "PAUSED";
          this.health.pause();
          this.pausedUntil = Date.now() + this.opts.pausedProbeMs;
          const error = withAuthHint(result.error, rr.source.experimentName, "replication");
          // Loud once per pause; every refused probe is still counted in lastError.
          if (first) {
            this.fail(error);
            this.opts.log.error(`replication PAUSED for run ${rr.source.runId}: ${error.message}`);
          } else this.lastError = error.message;
          return;
        }
        case "blocked":
          this.fail(result.error);
          this.opts.log.error(`run ${rr.source.runId}: replication stopped: ${result.error.message}; its records stay in the run log`);
          return;
        case "retry": {
          this.health.failure();
          this.lastError = result.error.message;
          if (rr.failures === 1 || rr.failures % 10 === 0) this.opts.onError(result.error);
          const delay = Math.max(backoffDelay(rr.failures, { baseMs: this.opts.retryBaseMs, maxMs: this.opts.retryMaxMs }), result.retryAfterMs ?? 0);
          await sleep(delay, this.abort.signal).catch(() => undefined);
          continue;
        }
      }
    }
  }

  /**
   * Waits until every record written so far is acknowledged and every ended run's copy on the
   * server has passed the end-of-run check, or `timeoutMs` passes. Never throws for transport
   * problems.
   */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const targets = new Map([...this.runs].map(([id, rr]) => [id, rr.source.writtenSeq()]));
    for (;;) {
      let waiting = false;
      for (const [id, seq] of targets) {
        const rr = this.runs.get(id);
        // A done run waits here until its pump has recorded the success and let it go.
        if (rr === undefined || rr.blocked !== undefined || (!rr.done && rr.ackedSeq >= seq && !rr.checking)) continue;
        waiting = true;
        this.kick(id);
      }
      // PAUSED (401/403) makes no progress until credentials change: report pending instead of waiting.
      if (!waiting || Date.now() >= deadline || this.stopped || this.health.state === "PAUSED") return;
      // Every step's end releases its slot, which ends this wait; the recheck covers a run whose
      // pump has stopped or sleeps in a backoff. The wait keeps the process alive: a caller
      // awaiting flush must not see the process end under it.
      await this.slots.changed(Math.min(FLUSH_RECHECK_MS, Math.max(1, deadline - Date.now())), true);
    }
  }

  /** Stops replicating; unsent records stay in the journals. */
  close(): void {
    if (!this.stopped) for (const rr of this.runs.values()) this.pendingAtClose += rr.pending;
    this.stopped = true;
    clearInterval(this.timer);
    this.abort.abort();
    this.slots.wake();
    this.opts.sink.close();
    for (const rr of this.runs.values()) rr.source.release?.();
    this.runs.clear();
  }
}

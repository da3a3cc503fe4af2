/**
 * Fan-out: the run log replicated to several targets at once (`targets` option), each by its own
 * replicator, with its own cursor per run in the run's `replication.json`, its own health and
 * counts. One target's failures, backoff or slowness never hold up another's: they share only
 * the run log they read.
 */
import type { ApiError, MltrailError } from "../errors.js";
import type { Logger } from "../internal/logger.js";
import type { JournalRecord } from "../log/record.js";
import { resolveBackend, type ResolvedOptions } from "../options.js";
import type { LocalStore } from "../store/local-store.js";
import { createBackend } from "../backends/index.js";
import type { TrackingBackend } from "../backends/types.js";
import type { OpenRun } from "../open-run-base.js";
import { connectRemote, type RemoteSide } from "./connect.js";
import type { ReplicationHealth } from "./health.js";
import { ReplicationState } from "./replication-state.js";
import { claimPendingRunsFor } from "./drain.js";

/**
 * Replication to one target of a fan-out, as `tracker.stats().targets` reports it.
 * @example `{ state: "DOWN", acked: 0, pending: 120, rejected: 0, lastError: "connection refused" }`
 */
export interface TargetStats {
  /** UP, DEGRADED, DOWN or PAUSED, as the tracker's own state. */
  readonly state: ReplicationHealth;
  /** Records the target acknowledged. */
  readonly acked: number;
  /** Records not yet acknowledged by it. */
  readonly pending: number;
  /** Records it refused (kept in the run's `rejected.jsonl`). */
  readonly rejected: number;
  /** Its last error, if any. */
  readonly lastError: string | undefined;
}

/** Events of a fan-out. @internal */
export interface FanOutEvents {
  onError(error: MltrailError): void;
  onRejected(info: { runId: string; seq: number; record: JournalRecord; error: ApiError }): void;
  spool(): Promise<LocalStore>;
}

/** Replicators to further targets. @internal */
export class FanOut {
  private readonly sides: RemoteSide[] = [];

  /** The fan-out of `options.targets`, or undefined when there are none. Makes no request. */
  static create(options: ResolvedOptions, log: Logger, events: FanOutEvents): FanOut | undefined {
    if (options.targets.length === 0) return undefined;
    const backends = options.targets.flatMap((uri) => {
      const backend = createBackend({ ...options, trackingUri: uri, backend: resolveBackend(uri, options.cwd) }, events.onError);
      return backend === undefined ? [] : [backend];
    });
    return new FanOut(backends, options, log, events);
  }

  constructor(backends: readonly TrackingBackend[], options: ResolvedOptions, log: Logger, events: FanOutEvents) {
    for (const backend of backends) {
      const side = connectRemote(backend, options, log, {
        onState: (state) => log.info(`replication to ${backend.target}: ${state}`),
        onError: events.onError,
        onRejected: events.onRejected,
        spool: events.spool,
      });
      if (side !== undefined) this.sides.push(side);
    }
  }

  /** The targets' identities. */
  get targets(): string[] {
    return this.sides.map((s) => s.target);
  }

  /** Binds a run this process opened to every target and starts replicating it to each. */
  async attach(entry: OpenRun, experimentName: string): Promise<void> {
    const { meta, paths, log } = entry;
    for (const side of this.sides) {
      const state = await ReplicationState.load(paths.dir, side.target);
      await state.save();
      side.replicator.add({
        runId: meta.runId,
        runKey: meta.runKey ?? meta.runId,
        runDir: paths.dir,
        journalDir: paths.journal,
        experimentName,
        name: meta.name,
        startTime: meta.startTime,
        user: meta.user,
        writtenSeq: () => log.writer.writtenSeq,
        state,
      });
    }
  }

  /** Tells every target's replicator a run has new records. */
  notify(runId: string): void {
    for (const side of this.sides) side.replicator.notify(runId);
  }

  /**
   * Hands every target the runs earlier processes left pending for it. A run pending for several
   * targets is claimed once (its writer lock) and released when the last of them is done.
   * Resolves with the number of runs handed over.
   */
  async drain(store: LocalStore, skip: ReadonlySet<string>): Promise<number> {
    const { sources } = await claimPendingRunsFor(store, this.targets, { skip });
    const runs = new Set<string>();
    for (const side of this.sides) {
      for (const source of sources.get(side.target) ?? []) {
        side.replicator.add(source);
        runs.add(source.runId);
      }
    }
    return runs.size;
  }

  /** Waits until every target has every record written so far, or `timeoutMs` passes; targets are waited for together. */
  async flush(timeoutMs: number): Promise<void> {
    await Promise.all(this.sides.map((s) => s.replicator.flush(timeoutMs)));
  }

  /** Each target's state and counts. */
  stats(): Record<string, TargetStats> {
    const out: Record<string, TargetStats> = {};
    for (const side of this.sides) {
      const s = side.replicator.stats();
      out[side.target] = { state: s.state, acked: s.acked, pending: s.pending, rejected: s.rejected, lastError: s.lastError };
    }
    return out;
  }

  /** Stops every replicator; what is unsent stays in the run log. */
  close(): void {
    for (const side of this.sides) {
      side.replicator.close();
      side.backend.close();
    }
  }
}

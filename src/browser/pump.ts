/**
 * Replication of every run a page holds: one loop per run (one request in flight per run,
 * at most `maxConcurrentRequests` overall, one while the server is DOWN or PAUSED), the Node
 * replicator's health states, backoff with full jitter where `Retry-After` wins, and a pass
 * every `replicationIntervalMs` unless a full batch is waiting.
 *
 * @packageDocumentation
 */
import { type ApiError, type MltrailError, SpoolError } from "../errors.js";
import type { JournalRecord } from "../log/record.js";
import { MAX_RETRY_AFTER_MS } from "../remote/errors.js";
import { Health, type ReplicationHealth, healthThresholds } from "../remote/health.js";
import { backoffDelay } from "../remote/retry.js";
import { RunSender, type SenderServices } from "./sender.js";
import type { RunDoc } from "./store.js";

/** Settings of the replication loops. @internal */
export interface PumpSettings {
  readonly maxConcurrentRequests: number;
  readonly replicationIntervalMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly authRetryMs: number;
  readonly requestTimeoutMs: number;
}

/** What the loops report. @internal */
export interface PumpEvents {
  error(error: MltrailError): void;
  state(state: ReplicationHealth): void;
  rejected(doc: RunDoc, record: JournalRecord, error: ApiError): void;
  /** A run is fully on the server (or the tracker closed): its lock can go. */
  released(rk: string): void;
}

interface Loop {
  readonly sender: RunSender;
  wake: (() => void) | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The replication loops of one tracker. @internal */
export class Pump {
  private readonly loops = new Map<string, Loop>();
  private readonly health: Health;
  private readonly starts = new Set<number>();
  private readonly waiting: (() => void)[] = [];
  private readonly watchers = new Set<() => void>();
  private readonly ticker: ReturnType<typeof setInterval>;
  private inFlight = 0;
  private flushing = 0;
  private extra = 0;
  private closed = false;
  /** Records acknowledged since the tracker was created. */
  acked = 0;
  /** Records rejected since the tracker was created. */
  rejected = 0;
  /** The last replication error. */
  lastError: string | undefined;
  private readonly services: SenderServices;

  constructor(
    services: Omit<SenderServices, "acquireExtra" | "releaseExtra" | "onAcked" | "onRejected">,
    private readonly settings: PumpSettings,
    private readonly events: PumpEvents,
  ) {
    const thresholds = healthThresholds(settings.requestTimeoutMs);
    this.health = new Health(thresholds, (s) => events.state(s));
    this.ticker = setInterval(() => this.health.tick(Date.now(), this.starts), Math.max(50, Math.floor(thresholds.slowMs / 2)));
    this.services = {
      ...services,
      acquireExtra: () => {
        if (this.inFlight + this.extra >= this.health.capacity(settings.maxConcurrentRequests)) return false;
        this.extra++;
        return true;
      },
      releaseExtra: () => {
        this.extra--;
        this.nextSlot();
      },
      onAcked: (_doc, count) => {
        this.acked += count;
        this.notifyWatchers();
      },
      onRejected: (doc, record, error) => {
        this.rejected++;
        this.events.rejected(doc, record, error);
      },
    };
  }

  /** Replication state. */
  get state(): ReplicationHealth {
    return this.health.state;
  }

  /** Records committed and not acknowledged, over every run this page replicates. */
  get pending(): number {
    let n = 0;
    for (const { sender } of this.loops.values()) n += sender.pending;
    return n;
  }

  /** The sender of a run this page replicates, created on first use. */
  sender(doc: RunDoc): RunSender {
    return this.loops.get(doc.rk)?.sender ?? new RunSender(doc, this.services);
  }

  /** True while this page replicates the run. */
  has(rk: string): boolean {
    return this.loops.has(rk);
  }

  /** The document of a run this page replicates. */
  doc(rk: string): RunDoc | undefined {
    return this.loops.get(rk)?.sender.doc;
  }

  /** The sender of a run this page replicates, by its run key or its server id. */
  find(id: string): RunSender | undefined {
    const byKey = this.loops.get(id)?.sender;
    if (byKey !== undefined) return byKey;
    for (const { sender } of this.loops.values()) if (sender.doc.remoteRunId === id) return sender;
    return undefined;
  }

  /** Starts (or wakes) the loop of a run. */
  start(sender: RunSender): void {
    if (this.closed) return;
    const existing = this.loops.get(sender.doc.rk);
    if (existing !== undefined) {
      this.notify(sender.doc.rk, true);
      return;
    }
    const loop: Loop = { sender, wake: undefined, timer: undefined };
    this.loops.set(sender.doc.rk, loop);
    void this.run(loop);
  }

  /** New records of a run are committed: send them now when a batch is full, else on the next pass. */
  notify(rk: string, now = false): void {
    const loop = this.loops.get(rk);
    if (loop === undefined) return;
    if (now || loop.sender.pending >= this.services.limits.entitiesPerBatch) {
      clearTimeout(loop.timer);
      loop.timer = undefined;
      loop.wake?.();
    } else {
      loop.timer ??= setTimeout(() => {
        loop.timer = undefined;
        loop.wake?.();
      }, this.settings.replicationIntervalMs);
    }
  }

  private sleep(loop: Loop, ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => done(), ms);
      const done = (): void => {
        clearTimeout(timer);
        loop.wake = undefined;
        resolve();
      };
      loop.wake = ms === undefined ? done : undefined; // a backoff is not cut short by new records
    });
  }

  private async slot(): Promise<void> {
    while (this.inFlight + this.extra >= this.health.capacity(this.settings.maxConcurrentRequests)) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.inFlight++;
  }

  private nextSlot(): void {
    this.waiting.shift()?.();
  }

  private async run(loop: Loop): Promise<void> {
    const { sender } = loop;
    while (!this.closed) {
      if (sender.pending === 0 && sender.doc.done !== true) {
        await this.sleep(loop, undefined);
        continue;
      }
      await this.slot();
      const startedAt = Date.now();
      this.starts.add(startedAt);
      const result = await sender.step();
      this.starts.delete(startedAt);
      this.inFlight--;
      this.nextSlot();
      if (result.kind === "progress") {
        this.health.success();
        const { pending } = sender;
        if (pending > 0 && pending < this.services.limits.entitiesPerBatch && sender.doc.ended !== true && this.flushing === 0) {
          this.notify(sender.doc.rk); // less than a batch: on the next pass
          await this.sleep(loop, undefined);
        }
      } else if (result.kind === "done") {
        break;
      } else if (result.kind === "idle") {
        await this.sleep(loop, undefined);
      } else if (result.kind === "wait") {
        await this.sleep(loop, this.settings.replicationIntervalMs);
      } else {
        this.lastError = result.error.message;
        this.events.error(result.error);
        if (result.kind === "retry") {
          if (!(result.error instanceof SpoolError)) this.health.failure(); // a full quota is not the server's trouble
          const backoff = backoffDelay(sender.failures, { baseMs: this.settings.retryBaseMs, maxMs: this.settings.retryMaxMs });
          await this.sleep(loop, Math.max(backoff, Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS)));
        } else if (result.kind === "auth") {
          this.health.pause();
          await this.sleep(loop, this.settings.authRetryMs);
        } else {
          await this.sleep(loop, undefined); // blocked until new records arrive
        }
      }
    }
    this.loops.delete(sender.doc.rk);
    clearTimeout(loop.timer);
    this.notifyWatchers();
    this.events.released(sender.doc.rk);
  }

  private notifyWatchers(): void {
    for (const w of this.watchers) w();
  }

  /**
   * Sends everything now and resolves once nothing is pending or after `timeoutMs`.
   * `extraPending` counts records not yet committed (they are waited for by the caller).
   */
  async flush(timeoutMs: number): Promise<void> {
    this.flushing++;
    try {
      for (const rk of this.loops.keys()) this.notify(rk, true);
      if (this.pending > 0) await this.settled(timeoutMs);
    } finally {
      this.flushing--;
    }
  }

  private settled(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.pending > 0) return;
        finish();
      };
      const timer = setTimeout(() => finish(), timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.watchers.delete(check);
        resolve();
      };
      this.watchers.add(check);
    });
  }

  /** Stops every loop; their runs' locks are released. */
  close(): void {
    this.closed = true;
    clearInterval(this.ticker);
    for (const loop of this.loops.values()) {
      clearTimeout(loop.timer);
      loop.wake?.();
    }
  }
}

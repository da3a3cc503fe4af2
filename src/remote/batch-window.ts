/**
 * Pipelining within one run: the metric-only log-batch requests in flight after the run's
 * cursor. While the batch at the cursor is out, the ones after it go too, so the run keeps
 * {@link PIPELINE_DEPTH} requests going, a new one starting as soon as any is answered (not
 * only the oldest). The cursor still moves in journal order: a batch counts once it and every
 * batch before it were answered. MLflow keys metric history by (key, timestamp, step, value),
 * so the order of metric rows on the server does not matter and a resend of a batch that
 * already landed adds no row (checked on MLflow 3.18, SQLite and PostgreSQL).
 */
import type { Batch } from "./batcher.js";
import type { AnswerGate } from "./pipeline-gate.js";

/** Requests of one run in flight at once while the server answers quickly. */
export const PIPELINE_DEPTH = 2;
/** Batches sent but not yet counted (answered ones waiting for an older one), at most. */
export const MAX_WINDOW = 4;

/** How a log-batch request ended: answered after `ms`, or failed. */
export type Outcome = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly error: unknown };

/** A log-batch request on its way. */
export interface InFlight {
  /** Sequence number of the batch's first record. */
  readonly firstSeq: number;
  readonly batch: Batch;
  readonly done: Promise<Outcome>;
}

/** What the window needs from its run replicator. */
export interface WindowServices {
  /** Fastest answers seen, shared by the replicator's runs. */
  readonly gate: AnswerGate;
  /** Takes a request slot beyond the run's own (false: none free). */
  acquireExtra(): boolean;
  releaseExtra(): void;
  /** True when {@link acquireExtra} would find a slot now: no batch is built for a request that cannot start. */
  extraFree(): boolean;
}

/** The requests of one run in flight, oldest (the cursor's) first. */
export class BatchWindow {
  private flights: { readonly flight: InFlight; settled: boolean }[] = [];
  /** How long the last answered log-batch took, ms. */
  private lastMs = Number.POSITIVE_INFINITY;

  constructor(private readonly services: WindowServices) {}

  /** True while any batch is sent and not yet counted. */
  get busy(): boolean {
    return this.flights.length > 0;
  }

  /**
   * The request for the batch starting at `firstSeq` when it is the window's oldest. Otherwise
   * (the cursor moved differently: a bisection, a failure) the window is let go: its requests
   * finish alone, and their batches are sent again from the cursor.
   */
  take(firstSeq: number): InFlight | undefined {
    const oldest = this.flights[0];
    if (oldest !== undefined && oldest.flight.firstSeq === firstSeq) return oldest.flight;
    this.forget();
    return undefined;
  }

  /** Lets go of every request: they finish alone, and their batches are sent again from the cursor. */
  forget(): void {
    this.flights = [];
  }

  /** Starts a request; `extra` requests hold a slot of {@link WindowServices.acquireExtra} until answered. */
  start(firstSeq: number, batch: Batch, send: () => Promise<void>, extra = false): InFlight {
    const sentAt = performance.now();
    const entry = { flight: undefined as unknown as InFlight, settled: false };
    const done = send().then(
      (): Outcome => {
        this.lastMs = performance.now() - sentAt;
        this.services.gate.answered(this.lastMs);
        return { ok: true, ms: this.lastMs };
      },
      (error: unknown): Outcome => ({ ok: false, error }),
    );
    void done.then(() => {
      entry.settled = true;
      if (extra) this.services.releaseExtra();
    });
    entry.flight = { firstSeq, batch, done };
    this.flights.push(entry);
    return entry.flight;
  }

  /**
   * Sends more metric-only batches after the window's last while fewer than
   * {@link PIPELINE_DEPTH} are unanswered, the server answers about as fast as it ever did and a
   * slot is free. `nextAfter(offset)` gives the metric-only batch `offset` records past the
   * cursor (undefined: none) and `send` its request.
   */
  fill(nextAfter: (offset: number) => { readonly firstSeq: number; readonly batch: Batch } | undefined, send: (batch: Batch) => Promise<void>): void {
    for (;;) {
      const open = this.flights.filter((f) => !f.settled).length;
      if (open >= PIPELINE_DEPTH || this.flights.length >= MAX_WINDOW || !this.services.gate.allows(this.lastMs) || !this.services.extraFree()) return;
      const next = nextAfter(this.flights.reduce((n, f) => n + f.flight.batch.count, 0));
      if (next === undefined || !this.services.acquireExtra()) return;
      this.start(next.firstSeq, next.batch, () => send(next.batch), true);
    }
  }

  /** Resolves when the oldest request or any other one is answered. */
  async next(): Promise<void> {
    await Promise.race(this.flights.filter((f) => !f.settled).map((f) => f.flight.done));
  }

  /** True once the oldest request was answered. */
  oldestSettled(): boolean {
    return this.flights[0]?.settled ?? true;
  }

  /** The oldest batch was counted: drop it. */
  shift(): void {
    this.flights.shift();
  }

  /** Waits for every request of the window, then forgets them (a batch with params or tags, or an end, goes alone). */
  async drain(): Promise<void> {
    const flights = this.flights;
    this.flights = [];
    await Promise.all(flights.map((f) => f.flight.done));
  }
}

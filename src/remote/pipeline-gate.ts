/**
 * When a run may have a second metric-only log-batch in flight: while the server answers about
 * as fast as it ever did for this replicator. A server that queues requests (a busy shared
 * server) answers many times slower than its fastest, and then one request per run is what it
 * gets: twice the requests would only lengthen its queue. Pure: no clock, no I/O.
 */

/** A second batch is always allowed while the last answer came within this many ms. */
const ALWAYS_OK_MS = 1000;
/** ... or within this multiple of the fastest answer seen (a pair on a one-worker server takes about twice one batch). */
const SLOWDOWN = 3;

/** What a run's batch window asks of the shared gate (a {@link PipelineGate}, or one that also tells others). */
export type AnswerGate = Pick<PipelineGate, "answered" | "allows">;

/**
 * The fastest log-batch answer time seen by one replicator, shared by its runs.
 * @example
 * ```ts
 * const gate = new PipelineGate();
 * gate.answered(400);
 * gate.allows(900); // true: within 3 × 400 ms
 * gate.allows(5000); // false: the server is queueing
 * ```
 */
export class PipelineGate {
  private fastestMs = Number.POSITIVE_INFINITY;

  /** A log-batch request (or a pair sent together) was answered after `ms`. */
  answered(ms: number): void {
    if (ms >= 0 && ms < this.fastestMs) this.fastestMs = ms;
  }

  /** True when a run whose last log-batch (or pair) took `lastMs` may send two at once. */
  allows(lastMs: number): boolean {
    return Number.isFinite(lastMs) && lastMs <= Math.max(ALWAYS_OK_MS, SLOWDOWN * this.fastestMs);
  }
}

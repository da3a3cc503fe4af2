/**
 * The replication requests' timeout, adapted to how long the server takes to answer: a server
 * that queues requests (a busy shared server, one worker) answers late but answers, and a
 * timeout there only resends work that is still in the server's queue.
 */
import { ApiError, ConnectionError } from "../errors.js";
import { connectionErrorKind, isRetryable } from "./errors.js";
import type { ConcurrencyLimit } from "./concurrency-limit.js";

/**
 * Settings of an {@link AdaptiveTimeout}.
 * @example `{ floorMs: 30_000, ceilingMs: 300_000 }`
 */
export interface AdaptiveTimeoutOptions {
  /** The smallest timeout, ms: the tracker's `requestTimeoutMs`. */
  readonly floorMs: number;
  /** The largest timeout, ms. @default 10 × floorMs, at most 600000 (and never below floorMs) */
  readonly ceilingMs?: number;
}

/** Timeouts in a row after which the timeout stops doubling (2^5 = 32 × the estimate). */
const MAX_BACKOFF = 5;

/**
 * A per-request timeout estimated from the latencies of answered requests, the way TCP sets its
 * retransmission timeout (RFC 6298): a smoothed latency and its mean deviation, the timeout
 * `max(floor, 2 × smoothed, smoothed + 4 × deviation)`, doubled after each timeout in a row
 * (a server that answers nothing gives no latency to learn from) and back to the estimate on
 * the next answer; always within `[floorMs, ceilingMs]`.
 *
 * @example
 * ```ts
 * const timeout = new AdaptiveTimeout({ floorMs: 30_000 });
 * timeout.answered(42_000); // a queueing server: the next requests wait longer than 30 s
 * timeout.currentMs(); // 84000
 * ```
 */
export class AdaptiveTimeout {
  /** The smallest timeout, ms. */
  readonly floorMs: number;
  /** The largest timeout, ms. */
  readonly ceilingMs: number;
  private smoothed: number | undefined;
  private deviation = 0;
  private backoff = 0;

  constructor(options: AdaptiveTimeoutOptions) {
    this.floorMs = Math.max(1, options.floorMs);
    this.ceilingMs = Math.max(this.floorMs, options.ceilingMs ?? Math.min(600_000, 10 * this.floorMs));
  }

  /** The timeout of the next request, ms. */
  currentMs(): number {
    const s = this.smoothed ?? 0;
    const estimate = Math.max(this.floorMs, 2 * s, s + 4 * this.deviation);
    return Math.round(Math.min(this.ceilingMs, estimate * 2 ** this.backoff));
  }

  /** A request was answered (any HTTP status) after `ms`. */
  answered(ms: number): void {
    if (!(ms >= 0)) return;
    if (this.smoothed === undefined) {
      this.smoothed = ms;
      this.deviation = ms / 2;
    } else {
      this.deviation = 0.75 * this.deviation + 0.25 * Math.abs(this.smoothed - ms);
      this.smoothed = 0.875 * this.smoothed + 0.125 * ms;
    }
    this.backoff = 0;
  }

  /** A request timed out: the next ones wait twice as long, until one is answered. */
  timedOut(): void {
    this.backoff = Math.min(MAX_BACKOFF, this.backoff + 1);
  }
}

/** The longest a timed-out request's slot stays taken after its timeout, ms. */
export const ABANDONED_HOLD_MAX_MS = 30_000;

/**
 * How a request of {@link timedCall} uses a {@link ConcurrencyLimit}: `heavy` (a log-batch: its
 * fast answers raise the limit), `urgent` (`startRun` waiting: it goes before queued requests).
 */
export interface LimitSlot {
  readonly limit?: ConcurrencyLimit | undefined;
  /** @default false */
  readonly heavy?: boolean;
  /** @default false */
  readonly urgent?: boolean;
}

/**
 * Sends one request with `timeout`'s current value and feeds the outcome back: an answer (any
 * HTTP status) is a latency sample, a timeout makes the next requests wait longer. With a
 * `slot.limit`, the request first waits for a slot of it (that wait is not part of the answer
 * time) and teaches it too: an answer's time, or a failure worth retrying (no answer in time,
 * 429, 5xx, an overloaded database). The slot of a request abandoned at its timeout is given
 * back a quarter of its time later (see {@link ConcurrencyLimit.releaseAfter}).
 * @example `await timedCall(timeout, (timeoutMs) => client.logBatch(runId, batch, { timeoutMs }), { limit, heavy: true })`
 */
export async function timedCall<T>(timeout: AdaptiveTimeout, send: (timeoutMs: number) => Promise<T>, slot: LimitSlot = {}): Promise<T> {
  const { limit, heavy = false, urgent = false } = slot;
  await limit?.acquire(urgent);
  const started = performance.now();
  let abandonedMs = 0;
  try {
    const result = await send(timeout.currentMs());
    timeout.answered(performance.now() - started);
    limit?.answered(performance.now() - started, heavy);
    return result;
  } catch (error) {
    if (error instanceof ApiError) timeout.answered(performance.now() - started);
    else if (error instanceof ConnectionError && connectionErrorKind(error) === "timeout") {
      abandonedMs = performance.now() - started;
      timeout.timedOut();
    }
    if (isRetryable(error)) limit?.failed();
    else if (error instanceof ApiError) limit?.answered(performance.now() - started, heavy);
    throw error;
  } finally {
    // A request abandoned at its timeout may still be in the server: its slot stays taken a
    // quarter of that time longer (at most ABANDONED_HOLD_MAX_MS), so a resend does not join it there.
    // (Any other outcome: abandonedMs is 0 and the slot is given back at once.)
    limit?.releaseAfter(Math.min(ABANDONED_HOLD_MAX_MS, abandonedMs / 4));
  }
}

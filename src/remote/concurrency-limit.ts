/**
 * How many requests one tracker keeps in flight to one server, adapted to how the server
 * answers. A server that queues requests (a shared server busy with other trainers, a
 * one-worker SQLite store) answers in more than a second; more requests from this process would
 * only lengthen its queue, and MLflow's database connection pool (15 connections by default)
 * runs dry when dozens of requests wait at once: it then stalls for 30 s and answers 400. So
 * while answers are slow the limit is one request, as a plain client's loop keeps; while the
 * server answers log-batches quickly it grows back, one request per {@link FAST_TO_GROW} fast
 * answers in a row, up to `maxConcurrentRequests` (additive increase, multiplicative decrease,
 * as TCP does with its window). No clock, no I/O: the caller measures answer times.
 *
 * Why several fast answers and not one: trainers start together (a sweep, a cluster job), and
 * their first batches meet an idle server that answers each quickly, before any queue forms.
 * Grown on that one answer, sixteen trainers' limits doubled at once: MLflow on SQLite then
 * held 30 requests at a time, its connection pool ran dry and the server stalled for 30 s at
 * the start of the wave, then answered 400 (mltrail's throughput halved against plain loops).
 * By the third answer of each trainer the other trainers' requests are queued and the answers
 * are slow, so the limit stays at one; a run alone on an idle server grows within three
 * batches.
 */

/** Fast log-batch answers in a row that raise the limit by one. */
export const FAST_TO_GROW = 3;

/** A request answered within this many ms was not queued behind other work. */
export const QUEUEING_MS = 1000;

/**
 * The adaptive concurrency limit of one tracker and one server, shared by `startRun`'s run
 * creates, every run's replication and their pipelined batches. It starts at one request;
 * each {@link FAST_TO_GROW} log-batches in a row answered within {@link QUEUEING_MS} add one
 * (up to the maximum), each slower answer halves the limit, and each failure worth retrying (timeout, 429, 5xx, an overloaded database) sets it
 * back to one. Requests beyond the limit wait in {@link acquire}, in order.
 * @example
 * ```ts
 * const limit = new ConcurrencyLimit(4);
 * await limit.acquire(); // 1 in flight (the limit starts at 1)
 * limit.answered(300);
 * limit.answered(250);
 * limit.answered(280); // three fast answers in a row: the limit is 2
 * limit.release();
 * limit.answered(4_000); // the server is queueing: back to 1
 * ```
 */
export class ConcurrencyLimit {
  private value = 1;
  /** Fast heavy answers since the limit last changed or an answer was slow. */
  private fastInRow = 0;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  /** @param max - the most requests in flight (the tracker's `maxConcurrentRequests`, at least 1). */
  constructor(private readonly max: number) {}

  /** Requests that may be in flight now, at least 1. */
  current(): number {
    return Math.max(1, Math.min(this.max, this.value));
  }

  /** Requests holding a slot now. */
  get inFlight(): number {
    return this.active;
  }

  /**
   * Resolves once a slot is free and taken; every caller must {@link release} it. An `urgent`
   * request (a `startRun` waiting for its run) goes before the waiting replication requests.
   */
  acquire(urgent = false): Promise<void> {
    if (this.waiting.length === 0 && this.active < this.current()) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      if (urgent) this.waiting.unshift(resolve);
      else this.waiting.push(resolve);
    });
  }

  /** Gives back a slot taken by {@link acquire}. */
  release(): void {
    this.active = Math.max(0, this.active - 1);
    this.wake();
  }

  /**
   * Gives back the slot of a request abandoned at its timeout only after `ms` (at once when
   * `ms` is not positive, as {@link release}): the server may
   * still be working on it. MLflow answers a request that waited 30 s for a database connection
   * with a 400 a moment after a 30 s client timeout; a resend sent at once met the abandoned
   * request still in the server, twice as many requests held the pool and it stalled again.
   * The timer does not keep the process alive (the run's journal keeps what is not sent).
   */
  releaseAfter(ms: number): void {
    if (!(ms > 0)) {
      this.release();
      return;
    }
    setTimeout(() => this.release(), ms).unref?.();
  }

  /**
   * A request was answered (any HTTP status) after `ms`. A slow answer of any request halves
   * the limit; only fast answers of `heavy` ones (log-batches, the work the server queues),
   * {@link FAST_TO_GROW} in a row, raise it: small requests (lookups, run creates) are fast even
   * on a server about to queue.
   */
  answered(ms: number, heavy = true): void {
    if (!(ms >= 0)) return;
    if (ms > QUEUEING_MS) {
      this.value = Math.max(1, Math.floor(this.value / 2));
      this.fastInRow = 0;
    } else if (heavy && ++this.fastInRow >= FAST_TO_GROW) {
      this.value = Math.min(this.max, this.value + 1);
      this.fastInRow = 0;
    }
    this.wake();
  }

  /** A request failed in a way worth retrying (no answer in time, 429, 5xx): the server is struggling. */
  failed(): void {
    this.value = 1;
    this.fastInRow = 0;
  }

  private wake(): void {
    while (this.waiting.length > 0 && this.active < this.current()) {
      this.active++;
      this.waiting.shift()?.();
    }
  }
}

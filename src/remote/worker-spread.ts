/**
 * Whether a run's two pipelined log-batches share one server worker. MLflow with several
 * workers (uvicorn processes on one listening socket) keeps each kept-alive connection on the
 * worker that accepted it, and which worker accepts a new connection is up to the kernel: now
 * and then both of a run's connections land on the same one. The two requests then take turns
 * in that worker while the others idle, and the run logs at about half its rate for as long as
 * the connections live (measured on MLflow 3.18 with 4 workers on PostgreSQL: about 7,900
 * metrics/s instead of 12,500–13,500, in about one run of six; bare loops too).
 *
 * The sign is the answer time: a log-batch answered while it was the only request in flight
 * shows what one batch costs; two in flight on two workers are answered about as fast each,
 * two in one worker about twice as slowly, every time. So when even the fastest of
 * {@link WINDOW} pair answers (time per record) is {@link SLOWDOWN} times the fastest lone
 * answer or more, the next log-batch goes with `Connection: close`, and the one after opens a
 * new connection, which another worker may accept. A one-worker server (SQLite) always looks like that: after
 * {@link MAX_FUTILE} new connections in a row that did not help, the check stops. Pure: no
 * clock, no I/O; the MLflow sink measures and sends.
 */

/** Answers of batches with fewer records are not compared (their fixed costs dominate). */
export const MIN_RECORDS = 100;
/** Pair answers whose fastest is compared (a slow answer now and then, a checkpoint or a collection, is not the sign). */
export const WINDOW = 4;
/** A pair answer this many times slower per record than the fastest lone one: one worker for both. */
export const SLOWDOWN = 1.6;
/** New connections in a row that found no second worker, after which the check stops. */
export const MAX_FUTILE = 3;

/**
 * The pair check of one tracker and one server, shared by its runs' log-batches.
 * @example
 * ```ts
 * const spread = new WorkerSpread();
 * spread.answered(spread.generation, 120, 1000, 1, 1); // alone: 0.12 ms a record
 * for (let i = 0; i < 4; i++) spread.answered(spread.generation, 240, 1000, 2, 2); // pairs twice as slow
 * spread.takeNewConnection(); // true: the next log-batch closes its connection
 * ```
 */
export class WorkerSpread {
  /** The fastest lone answer, ms per record. */
  private loneBest = Number.POSITIVE_INFINITY;
  /** Pair answers counted in this window, and the fastest of them (ms per record). */
  private pairs = 0;
  private pairFastest = Number.POSITIVE_INFINITY;
  /** New connections in a row since pairs were last seen on two workers. */
  private inRow = 0;
  private stopped = false;
  private due = false;
  private gen = 0;

  /** Stamp of the connections now: a request sent under an older one says nothing of the new pair. */
  get generation(): number {
    return this.gen;
  }

  /** True while pairs are still compared (a one-worker server ends it). */
  get checking(): boolean {
    return !this.stopped;
  }

  /**
   * A log-batch of `records` records, sent under `generation`, was answered after `ms`;
   * `inFlightAtSend` and `inFlightAtAnswer` count the tracker's requests to the server then,
   * itself included.
   */
  answered(generation: number, ms: number, records: number, inFlightAtSend: number, inFlightAtAnswer: number): void {
    if (!(ms > 0) || records < MIN_RECORDS || generation !== this.gen) return;
    const perRecord = ms / records;
    if (inFlightAtSend === 1 && inFlightAtAnswer === 1) {
      this.loneBest = Math.min(this.loneBest, perRecord);
      return;
    }
    if (inFlightAtSend !== 2 || inFlightAtAnswer !== 2 || !Number.isFinite(this.loneBest) || this.due || !this.checking) return;
    this.pairFastest = Math.min(this.pairFastest, perRecord);
    if (++this.pairs < WINDOW) return;
    const fastest = this.pairFastest;
    this.newWindow();
    if (fastest < SLOWDOWN * this.loneBest) this.inRow = 0;
    else if (this.inRow >= MAX_FUTILE) this.stopped = true;
    else {
      this.inRow++;
      this.due = true;
    }
  }

  /**
   * True once after pairs were found sharing a worker: the caller sends its next log-batch
   * with `Connection: close`. Answers of requests sent before (on the old connections) no
   * longer count.
   */
  takeNewConnection(): boolean {
    if (!this.due) return false;
    this.due = false;
    this.gen++;
    this.newWindow();
    return true;
  }

  private newWindow(): void {
    this.pairs = 0;
    this.pairFastest = Number.POSITIVE_INFINITY;
  }
}

/**
 * A journal's write outage (a full disk above all): the error, reported once per outage
 * however many retries fail, the retry timer with exponential backoff, and a last word on
 * stderr when the process exits with records still unwritten.
 */
import { SpoolError, StorageFullError } from "../errors.js";
import { isDiskFull } from "./fs-errors.js";

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2000;

/** What an outage calls back into its writer. */
export interface OutageHost {
  readonly dir: string;
  readonly onError: ((error: SpoolError) => void) | undefined;
  /** Tries the write again (the retry timer fired). */
  retry(): void;
  /** The process exits during the outage: one last synchronous try. */
  lastAttempt(): void;
}

/** The outage state of one journal writer. */
export class WriteOutage {
  /** The last write error, until a later write succeeds. */
  error: SpoolError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delay = RETRY_MIN_MS;
  private readonly atExit = (): void => this.host.lastAttempt();

  constructor(private readonly host: OutageHost) {}

  /** Whether a retry is scheduled. */
  get retrying(): boolean {
    return this.timer !== undefined;
  }

  /** A write of `lines` records failed: keeps the error, reports a new outage, schedules a retry. */
  failed(err: unknown, lines: number): SpoolError {
    const { dir } = this.host;
    const what = `cannot append ${lines} record(s) to the run log`;
    const kept = "they stay queued in memory and are written as soon as it succeeds";
    const began = this.error === undefined;
    this.error = isDiskFull(err)
      ? new StorageFullError(`${what}: the disk is full; ${kept}`, { cause: err, path: dir })
      : new SpoolError(`${what}: ${(err as Error).message}; ${kept}`, { cause: err, path: dir });
    if (began) this.host.onError?.(this.error);
    if (this.timer === undefined) {
      if (this.delay === RETRY_MIN_MS) process.on("exit", this.atExit);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.host.retry();
      }, this.delay);
      this.timer.unref();
      this.delay = Math.min(this.delay * 2, RETRY_MAX_MS);
    }
    return this.error;
  }

  /** The error a record gets when the backlog held during the outage (`lines`, `bytes`) is at its bound. */
  backlogFull(lines: number, bytes: number): StorageFullError {
    return new StorageFullError(
      `the run log cannot be written (${this.error?.message ?? "write failed"}) and ${lines} record(s) (${bytes} bytes) already wait in memory, the most it keeps: this record was not logged`,
      { path: this.host.dir },
    );
  }

  /** Says on stderr which records the last try at exit could not write. */
  reportUnwritten(lines: number, firstSeq: number, lastSeq: number): void {
    process.stderr.write(
      `mltrail: ${lines} record(s) (sequence ${firstSeq}–${lastSeq}) could not be written to the run log at ${this.host.dir}: ${this.error?.message ?? "write failed"}\n`,
    );
  }

  /** A write succeeded: the outage is over. */
  recovered(): void {
    this.error = undefined;
    this.delay = RETRY_MIN_MS;
    process.off("exit", this.atExit);
  }

  /** The writer closed. */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}

/**
 * One Web Lock per run (`mltrail.run.<runKey>`), the browser's counterpart of the run log's
 * writer lock: the tab that holds it is the only one that appends to the run or sends it, so
 * two tabs never assign the same sequence numbers or replay one run at once. A tab holds the
 * lock of a run it logs until the server has all of it; a tab that goes away (closed, reloaded,
 * crashed) loses its locks, and another tab (or the next page load) takes the run over.
 *
 * @packageDocumentation
 */
import type { LockManager } from "./dom.js";

/** Name of a run's lock. @internal */
export function lockName(rk: string): string {
  return `mltrail.run.${rk}`;
}

/** The locks this page holds or waits for, one request per run. @internal */
export class RunLocks {
  private readonly held = new Map<string, () => void>();
  private readonly waits = new Map<string, Promise<boolean>>();
  private readonly abort = new AbortController();

  constructor(private readonly locks: LockManager) {}

  /** True while this page holds the run's lock. */
  holds(rk: string): boolean {
    return this.held.has(rk);
  }

  /**
   * Takes the run's lock: at once when free (`waitMs` 0), else waiting up to `waitMs`
   * (`Infinity`: until the holder lets go or the tracker closes). Resolves true when held.
   * Concurrent calls for one run share one request.
   */
  take(rk: string, waitMs: number): Promise<boolean> {
    if (this.held.has(rk)) return Promise.resolve(true);
    const pending = this.waits.get(rk);
    if (pending !== undefined) return waitMs === Number.POSITIVE_INFINITY ? pending : within(pending, waitMs);
    const request = new Promise<boolean>((resolve) => {
      const signal = waitMs === 0 ? undefined : this.abort.signal;
      const options = waitMs === 0 ? { ifAvailable: true } : { signal: signal as AbortSignal };
      this.locks
        .request(lockName(rk), options, (lock) => {
          if (lock === null || this.abort.signal.aborted) {
            resolve(false);
            return Promise.resolve();
          }
          return new Promise<void>((release) => {
            this.held.set(rk, release);
            resolve(true);
          });
        })
        .catch(() => resolve(false)) // aborted: the tracker closed
        .finally(() => this.waits.delete(rk));
    });
    this.waits.set(rk, request);
    request.then(() => this.waits.delete(rk));
    return waitMs === 0 || waitMs === Number.POSITIVE_INFINITY ? request : within(request, waitMs);
  }

  /** Lets go of a run's lock (another tab, or a later page load, may take it). */
  release(rk: string): void {
    const release = this.held.get(rk);
    this.held.delete(rk);
    release?.();
  }

  /** Lets go of every lock and stops waiting. */
  close(): void {
    this.abort.abort();
    for (const rk of [...this.held.keys()]) this.release(rk);
  }
}

/** `promise`, or false after `ms` (the request itself goes on, and a late grant is kept). */
function within(promise: Promise<boolean>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then((held) => {
      clearTimeout(timer);
      resolve(held);
    });
  });
}

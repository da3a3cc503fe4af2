/**
 * Retry timing: exponential backoff with full jitter ({@link backoffDelay}) and a small
 * retry loop for one-off calls ({@link withRetry}). Pure apart from the injected `sleep`,
 * `now` and `random`. The replicator runs its own loop but reuses {@link backoffDelay} and
 * `retryAfterMs`.
 *
 * @packageDocumentation
 */
import { isRetryable, MAX_RETRY_AFTER_MS, retryAfterOf } from "./errors.js";

/**
 * Backoff parameters.
 * @example `{ baseMs: 500, maxMs: 30_000, jitter: true }`
 */
export interface BackoffOptions {
  /** Cap of the first retry's delay, ms. @default 500 */
  readonly baseMs?: number;
  /** Largest delay, ms. @default 30000 */
  readonly maxMs?: number;
  /** Full jitter: a uniform delay in `[0, cap)`. Without it the delay is the cap itself. @default true */
  readonly jitter?: boolean;
  /** Random source in `[0, 1)`. @default Math.random */
  readonly random?: () => number;
}

/**
 * Delay before retry number `attempt` (1 = the first retry): the cap is
 * `min(maxMs, baseMs · 2^(attempt-1))`, and with full jitter the delay is `random() · cap`.
 *
 * @example
 * ```ts
 * backoffDelay(3, { baseMs: 100, jitter: false }); // 400
 * backoffDelay(3, { baseMs: 100, random: () => 0.5 }); // 200
 * ```
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const baseMs = options.baseMs ?? 500;
  const maxMs = options.maxMs ?? 30_000;
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 52));
  if (options.jitter === false) return cap;
  const random = options.random ?? Math.random;
  return Math.floor(Math.min(Math.max(random(), 0), 1) * cap);
}

/**
 * When and how often {@link withRetry} retries.
 * @example `{ retries: 3, baseMs: 200 }`
 */
export interface RetryPolicy extends BackoffOptions {
  /** Retries after the first attempt (0 = no retry). @default 4 */
  readonly retries?: number;
  /** Longest wait honoured from `Retry-After`, ms. @default 300000 */
  readonly maxRetryAfterMs?: number;
  /** Give up when the next attempt would start later than this after the first one, ms. @default 120000 */
  readonly maxElapsedMs?: number;
  /** Which errors are retried. @default isRetryable */
  readonly shouldRetry?: (error: unknown, attempt: number) => boolean;
}

/**
 * Clock and timer used by {@link withRetry}; inject fakes in tests.
 * @example `{ sleep: async () => {}, now: () => 0 }`
 */
export interface RetryEnvironment {
  /** Waits `ms`. @default a `setTimeout` that is `unref()`ed and honours `signal` */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Current time, ms. @default Date.now */
  readonly now?: () => number;
  /** Stops retrying (the last error is thrown) once aborted. */
  readonly signal?: AbortSignal;
}

/**
 * A sleep that rejects with the signal's reason when aborted. By default its timer is
 * `unref()`ed, so background work (replication) never keeps the process alive; `ref: true`
 * keeps it alive, for a retry a caller is awaiting.
 * @example `await sleep(100);`
 */
export function sleep(ms: number, signal?: AbortSignal, ref = false): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    if (!ref) timer.unref();
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `fn` and retries it while `policy.shouldRetry` says so, at most `policy.retries`
 * times and within `policy.maxElapsedMs`. Each wait is the larger of the backoff delay and
 * the server's `Retry-After` (capped at `maxRetryAfterMs`). The last error is thrown as is.
 *
 * @param fn - the call; receives the attempt number (0 = first try).
 * @example
 * ```ts
 * const run = await withRetry(() => client.getRun(id), { retries: 3 });
 * ```
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy = {}, environment: RetryEnvironment = {}): Promise<T> {
  const retries = policy.retries ?? 4;
  const shouldRetry = policy.shouldRetry ?? isRetryable;
  const now = environment.now ?? Date.now;
  // Someone awaits this call: its retry timers must keep the process alive.
  const wait = environment.sleep ?? ((ms: number, signal?: AbortSignal) => sleep(ms, signal, true));
  const maxElapsedMs = policy.maxElapsedMs ?? 120_000;
  const started = now();
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= retries || environment.signal?.aborted === true || !shouldRetry(error, attempt)) throw error;
      const backoff = backoffDelay(attempt + 1, policy);
      const asked = Math.min(retryAfterOf(error) ?? 0, policy.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS);
      const delay = Math.max(backoff, asked);
      if (now() + delay - started > maxElapsedMs) throw error;
      try {
        await wait(delay, environment.signal);
      } catch {
        throw error;
      }
    }
  }
}

/**
 * Health of the connection to a tracking server, shared by all runs of a replicator. Every
 * request that does not end in a usable answer counts: errors, timeouts, 429s and 2xx bodies
 * that cannot be parsed; and so does a request still waiting for its answer after `slowMs`
 * with no success of any other request since it was sent (a server that answers others is
 * slow for one request, not hanging).
 * UP → DEGRADED on the first such sign → DOWN after `downAfterFailures` failures in a row, or
 * when no request has succeeded for `downAfterMs` since the trouble began (then only one
 * request at a time probes the server) → UP on the first success. PAUSED on 401/403 until a
 * probe succeeds (credentials fixed, e.g. by a header provider).
 */

/**
 * Health of replication to the server, as reported by `tracker.stats().state` and the
 * tracker's `"state"` event:
 * - `UP`: the last request succeeded and none is hanging;
 * - `DEGRADED`: a request failed (error, timeout, 429, a 2xx body that is not the expected
 *   JSON) or has had no answer for a while (5 s, or half of `requestTimeoutMs` when smaller);
 * - `DOWN`: 5 failures in a row, or no success for 60 s (or twice `requestTimeoutMs` when
 *   smaller) since the trouble began; one request at a time then probes the server;
 * - `PAUSED`: the server refused the credentials (401/403), until a probe succeeds.
 * @example `tracker.on("state", (s: ReplicationHealth) => { if (s === "PAUSED") console.warn("check MLflow credentials"); })`
 */
export type ReplicationHealth = "UP" | "DEGRADED" | "DOWN" | "PAUSED";

/** Thresholds of a {@link Health}. */
export interface HealthOptions {
  /** Failures in a row that make the state DOWN. */
  readonly downAfterFailures: number;
  /** A request unanswered this long makes the state DEGRADED, ms. */
  readonly slowMs: number;
  /** Trouble without any success for this long makes the state DOWN, ms. */
  readonly downAfterMs: number;
}

/**
 * Thresholds derived from the request timeout: slow after min(5 s, timeout / 2), down after
 * min(60 s, 2 × timeout) without a success.
 * @example `healthThresholds(30_000) // { downAfterFailures: 5, slowMs: 5000, downAfterMs: 60000 }`
 */
export function healthThresholds(requestTimeoutMs: number, downAfterFailures = 5): HealthOptions {
  return {
    downAfterFailures,
    slowMs: Math.max(1, Math.min(5000, Math.floor(requestTimeoutMs / 2))),
    downAfterMs: Math.max(1, Math.min(60_000, requestTimeoutMs * 2)),
  };
}

/** Tracks consecutive failures, hanging requests and the resulting state. */
export class Health {
  state: ReplicationHealth = "UP";
  consecutiveFailures = 0;
  /** When the current trouble began (first failure or start of a hanging request); undefined while healthy. */
  private troubleSince: number | undefined;
  private lastSuccessAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly options: HealthOptions,
    private readonly onChange: (state: ReplicationHealth) => void,
  ) {}

  private set(state: ReplicationHealth): void {
    if (state === this.state) return;
    this.state = state;
    this.onChange(state);
  }

  private worsen(now: number): void {
    if (this.state === "PAUSED") return;
    const down = this.consecutiveFailures >= this.options.downAfterFailures || now - (this.troubleSince ?? now) >= this.options.downAfterMs;
    this.set(down ? "DOWN" : "DEGRADED");
  }

  /** A request succeeded. */
  success(now = Date.now()): void {
    this.lastSuccessAt = now;
    this.consecutiveFailures = 0;
    this.troubleSince = undefined;
    this.set("UP");
  }

  /** A retryable request failed (error, timeout, 429, unusable 2xx body). */
  failure(now = Date.now()): void {
    this.consecutiveFailures++;
    this.troubleSince ??= now;
    this.worsen(now);
  }

  /**
   * Periodic check. `starts` are the send times of the requests still waiting for their
   * answer. One waiting longer than `slowMs`, with no success since it was sent, is trouble;
   * trouble without a success ages towards DOWN.
   */
  tick(now: number, starts: Iterable<number>): void {
    let hanging: number | undefined;
    for (const at of starts) {
      if (now - at >= this.options.slowMs && at >= this.lastSuccessAt) hanging = Math.min(hanging ?? at, at);
    }
    if (hanging !== undefined) this.troubleSince ??= hanging;
    if (this.troubleSince !== undefined) this.worsen(now);
  }

  /** The server refused our credentials. */
  pause(): void {
    this.set("PAUSED");
  }

  /** How many requests may be in flight at once. */
  capacity(max: number): number {
    return this.state === "DOWN" || this.state === "PAUSED" ? 1 : max;
  }
}

/**
 * Health of the connection to a tracking server, shared by all runs of a replicator:
 * UP → DEGRADED after a failure → DOWN after `downAfterFailures` failures in a row (then only
 * one request at a time probes the server) → UP on the first success. PAUSED on 401/403 until
 * a probe succeeds (credentials fixed, e.g. by a header provider).
 */

/**
 * Health of replication to the server, as reported by `tracker.stats().state` and the
 * tracker's `"state"` event: `DEGRADED` after a failed request; `DOWN` after 5 failures in a
 * row (one request at a time then probes the server); `PAUSED` when the server refused the
 * credentials (401/403), until a probe succeeds; `UP` again on the first success.
 * @example `tracker.on("state", (s: ReplicationHealth) => { if (s === "PAUSED") console.warn("check MLflow credentials"); })`
 */
export type ReplicationHealth = "UP" | "DEGRADED" | "DOWN" | "PAUSED";

/** Tracks consecutive failures and the resulting state. */
export class Health {
  state: ReplicationHealth = "UP";
  consecutiveFailures = 0;

  constructor(
    private readonly downAfterFailures: number,
    private readonly onChange: (state: ReplicationHealth) => void,
  ) {}

  private set(state: ReplicationHealth): void {
    if (state === this.state) return;
    this.state = state;
    this.onChange(state);
  }

  /** A request succeeded. */
  success(): void {
    this.consecutiveFailures = 0;
    this.set("UP");
  }

  /** A retryable request failed. */
  failure(): void {
    this.consecutiveFailures++;
    if (this.state === "PAUSED") return;
    this.set(this.consecutiveFailures >= this.downAfterFailures ? "DOWN" : "DEGRADED");
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

/**
 * The adaptive limit on requests in flight to one server (shared by a tracker's run creates and
 * replication): one request while the server answers slowly or fails, more (one per fast
 * log-batch answer) while it answers quickly; requests beyond it wait their turn. And MLflow's
 * 400 for an exhausted database connection pool is an overload to retry, not a bad request.
 */
import { describe, expect, it } from "vitest";
import { AdaptiveTimeout, timedCall } from "../../src/remote/adaptive-timeout.js";
import { ConcurrencyLimit, FAST_TO_GROW, QUEUEING_MS } from "../../src/remote/concurrency-limit.js";
import { apiErrorFromResponse, connectionErrorFrom, isOverloadedStore, isRetryable } from "../../src/remote/errors.js";

const poolTimeout = (): ReturnType<typeof apiErrorFromResponse> =>
  apiErrorFromResponse({
    status: 400,
    data: { error_code: "BAD_REQUEST", message: "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00" },
    endpoint: "/api/2.0/mlflow/runs/log-batch",
    headers: {},
  });

describe("ConcurrencyLimit", () => {
  it("starts at one request and grows by one per FAST_TO_GROW fast log-batch answers in a row, up to the maximum", () => {
    expect(FAST_TO_GROW).toBe(3);
    const limit = new ConcurrencyLimit(3);
    expect(limit.current()).toBe(1);
    limit.answered(100);
    limit.answered(QUEUEING_MS);
    expect(limit.current()).toBe(1); // one fast answer is no evidence: trainers that start together all see one
    limit.answered(200);
    expect(limit.current()).toBe(2);
    for (let i = 0; i < 2; i++) limit.answered(100);
    expect(limit.current()).toBe(2);
    limit.answered(100);
    expect(limit.current()).toBe(3);
    for (let i = 0; i < 9; i++) limit.answered(100);
    expect(limit.current()).toBe(3);
  });

  it("counts fast answers in a row: a slow answer or a failure starts the count again", () => {
    const limit = new ConcurrencyLimit(4);
    limit.answered(100);
    limit.answered(100);
    limit.answered(QUEUEING_MS + 1, false); // a slow small request: the server is queueing
    limit.answered(100);
    limit.answered(100);
    expect(limit.current()).toBe(1);
    limit.failed();
    limit.answered(100);
    limit.answered(100);
    expect(limit.current()).toBe(1);
    limit.answered(100);
    expect(limit.current()).toBe(2);
  });

  it("is not raised by small requests, which are fast even on a server about to queue", () => {
    const limit = new ConcurrencyLimit(4);
    for (let i = 0; i < 10; i++) limit.answered(50, false);
    expect(limit.current()).toBe(1);
  });

  it("halves on a slow answer of any request and falls to one on a failure", () => {
    const limit = new ConcurrencyLimit(8);
    for (let i = 0; i < 7 * FAST_TO_GROW; i++) limit.answered(100);
    expect(limit.current()).toBe(8);
    limit.answered(QUEUEING_MS + 1, false);
    expect(limit.current()).toBe(4);
    limit.answered(5000);
    expect(limit.current()).toBe(2);
    limit.answered(100);
    limit.failed();
    expect(limit.current()).toBe(1);
  });

  it("makes requests beyond the limit wait, in order, until a slot is released or the limit grows", async () => {
    const limit = new ConcurrencyLimit(2);
    const order: string[] = [];
    await limit.acquire();
    const b = limit.acquire().then(() => order.push("b"));
    const c = limit.acquire().then(() => order.push("c"));
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(limit.inFlight).toBe(1);
    for (let i = 0; i < FAST_TO_GROW; i++) limit.answered(100); // fast in a row: the limit is 2, so one waiting request goes
    await b;
    expect(order).toEqual(["b"]);
    limit.release();
    await c;
    expect(order).toEqual(["b", "c"]);
    expect(limit.inFlight).toBe(2);
  });

  it("lets an urgent request (a startRun waiting for its run) go before the queued ones", async () => {
    const limit = new ConcurrencyLimit(1);
    const order: string[] = [];
    await limit.acquire();
    const queued = limit.acquire().then(() => order.push("replication"));
    const urgent = limit.acquire(true).then(() => order.push("startRun"));
    limit.release();
    await urgent;
    limit.release();
    await queued;
    expect(order).toEqual(["startRun", "replication"]);
  });
});

describe("timedCall with a limit", () => {
  it("holds a slot per request, raises the limit on a fast heavy answer and drops it on a retryable failure", async () => {
    const timeout = new AdaptiveTimeout({ floorMs: 30_000 });
    const limit = new ConcurrencyLimit(4);
    let during = 0;
    for (let i = 0; i < FAST_TO_GROW; i++) {
      await timedCall(
        timeout,
        async () => {
          during = limit.inFlight;
        },
        { limit, heavy: true },
      );
      expect(during).toBe(1);
      expect(limit.inFlight).toBe(0);
    }
    expect(limit.current()).toBe(2);
    const overloaded = poolTimeout();
    await expect(timedCall(timeout, () => Promise.reject(overloaded), { limit, heavy: true })).rejects.toBe(overloaded);
    expect(limit.current()).toBe(1);
    expect(limit.inFlight).toBe(0);
  });
});

describe("a request abandoned at its timeout", () => {
  it("keeps its slot a quarter of its time longer, so a resend does not join it in the server", async () => {
    const timeout = new AdaptiveTimeout({ floorMs: 30_000 });
    const limit = new ConcurrencyLimit(4);
    const timedOut = connectionErrorFrom(Object.assign(new Error("timeout of 200ms exceeded"), { code: "ECONNABORTED" }), "/runs/log-batch");
    const sent = performance.now();
    await expect(timedCall(timeout, () => new Promise((_, reject) => setTimeout(() => reject(timedOut), 200)), { limit, heavy: true })).rejects.toBe(timedOut);
    expect(limit.inFlight).toBe(1); // still taken: the server may be working on it
    let resentAt = 0;
    await timedCall(
      timeout,
      async () => {
        resentAt = performance.now();
      },
      { limit, heavy: true },
    );
    // Held for a quarter of the time the request was out: the resend starts no sooner than
    // 200 ms + 50 ms after the first was sent (a busy machine only makes it later; measured from
    // the send, not from this test's resumption, which a descheduled process may delay past the hold).
    expect(resentAt - sent).toBeGreaterThanOrEqual(250 - 5);
    expect(limit.inFlight).toBe(0);
  });

  it("gives its slot back at once for any other failure or an answer", async () => {
    const timeout = new AdaptiveTimeout({ floorMs: 30_000 });
    const limit = new ConcurrencyLimit(4);
    const overloaded = poolTimeout();
    await expect(timedCall(timeout, () => Promise.reject(overloaded), { limit, heavy: true })).rejects.toBe(overloaded);
    expect(limit.inFlight).toBe(0);
    await timedCall(timeout, async () => 1, { limit, heavy: true });
    expect(limit.inFlight).toBe(0);
  });
});

describe("an overloaded database behind MLflow", () => {
  it("is retried: MLflow's 400 for a connection pool that ran dry, or a locked SQLite", () => {
    expect(isOverloadedStore(poolTimeout())).toBe(true);
    expect(isRetryable(poolTimeout())).toBe(true);
    const locked = apiErrorFromResponse({ status: 400, data: { message: "(sqlite3.OperationalError) database is locked" }, endpoint: "/x", headers: {} });
    expect(isRetryable(locked)).toBe(true);
  });

  it("is told apart from a bad request, which is not retried", () => {
    const bad = apiErrorFromResponse({ status: 400, data: { message: "Invalid value NaN for parameter 'value'" }, endpoint: "/x", headers: {} });
    expect(isOverloadedStore(bad)).toBe(false);
    expect(isRetryable(bad)).toBe(false);
  });
});

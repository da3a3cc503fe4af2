/**
 * The pure parts of replication to a slow, queueing server: the adaptive request timeout (it
 * follows the server's answer times, doubles after a timeout, stays within floor and ceiling),
 * the pipelining gate (two batches in flight only while the server answers about as fast as it
 * ever did) and the batch window (a new request starts as soon as any is answered; the cursor
 * only moves in order).
 */
import { describe, expect, it } from "vitest";
import { AdaptiveTimeout, timedCall } from "../../src/remote/adaptive-timeout.js";
import { BatchWindow } from "../../src/remote/batch-window.js";
import type { Batch } from "../../src/remote/batcher.js";
import { PipelineGate } from "../../src/remote/pipeline-gate.js";
import { apiErrorFromResponse, connectionErrorFrom } from "../../src/remote/errors.js";

describe("AdaptiveTimeout", () => {
  it("is the floor until answers come slower than half of it", () => {
    const t = new AdaptiveTimeout({ floorMs: 30_000 });
    expect(t.currentMs()).toBe(30_000);
    for (let i = 0; i < 20; i++) t.answered(200);
    expect(t.currentMs()).toBe(30_000);
  });

  it("grows with a queueing server's answer times and comes back down with them", () => {
    const t = new AdaptiveTimeout({ floorMs: 30_000 });
    for (let i = 0; i < 30; i++) t.answered(40_000);
    expect(t.currentMs()).toBeGreaterThanOrEqual(80_000);
    for (let i = 0; i < 60; i++) t.answered(1000);
    expect(t.currentMs()).toBe(30_000);
  });

  it("doubles after each timeout in a row, within the ceiling, and drops back on the next answer", () => {
    const t = new AdaptiveTimeout({ floorMs: 1000, ceilingMs: 5000 });
    t.timedOut();
    expect(t.currentMs()).toBe(2000);
    t.timedOut();
    expect(t.currentMs()).toBe(4000);
    t.timedOut();
    expect(t.currentMs()).toBe(5000);
    t.answered(100);
    expect(t.currentMs()).toBe(1000);
  });

  it("defaults its ceiling to 10 × the floor, at most 10 minutes", () => {
    expect(new AdaptiveTimeout({ floorMs: 30_000 }).ceilingMs).toBe(300_000);
    expect(new AdaptiveTimeout({ floorMs: 120_000 }).ceilingMs).toBe(600_000);
    expect(new AdaptiveTimeout({ floorMs: 700_000 }).ceilingMs).toBe(700_000);
  });

  it("timedCall learns from answers (errors included) and backs off on timeouts only", async () => {
    const t = new AdaptiveTimeout({ floorMs: 1000, ceilingMs: 100_000 });
    const timeout = connectionErrorFrom(Object.assign(new Error("timeout of 1000ms exceeded"), { code: "ECONNABORTED" }), "/runs/log-batch");
    await expect(timedCall(t, () => Promise.reject(timeout))).rejects.toBe(timeout);
    expect(t.currentMs()).toBe(2000);
    const refused = apiErrorFromResponse({ status: 503, data: {}, endpoint: "/runs/log-batch", headers: {} });
    await expect(timedCall(t, () => Promise.reject(refused))).rejects.toBe(refused);
    expect(t.currentMs()).toBe(1000); // an answer, even a 503, ends the back-off
    let given = 0;
    await timedCall(t, async (ms) => {
      given = ms;
    });
    expect(given).toBe(1000);
  });
});

describe("PipelineGate", () => {
  it("allows a second batch while answers stay within 3 × the fastest, or 1 s", () => {
    const gate = new PipelineGate();
    expect(gate.allows(900)).toBe(true);
    expect(gate.allows(Number.POSITIVE_INFINITY)).toBe(false); // nothing answered yet for this run
    gate.answered(800);
    expect(gate.allows(2300)).toBe(true);
    expect(gate.allows(2500)).toBe(false);
    gate.answered(5000); // slower answers do not raise the fastest
    expect(gate.allows(2500)).toBe(false);
  });
});

/** A batch of `count` metric records. */
function batch(count: number, lastSeq: number): Batch {
  return { metrics: Array.from({ length: count }, (_, i) => ({ key: "m", value: i, step: i, timestamp: i })), params: [], tags: [], count, lastSeq };
}

/** A request the test answers by hand. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("BatchWindow", () => {
  /** A window over records 1..100 in batches of 10, whose first batch (seq 1-10) was answered quickly. */
  async function setup(slots: number) {
    let extra = 0;
    const gate = new PipelineGate();
    const window = new BatchWindow({
      gate,
      acquireExtra: () => (extra < slots ? ++extra > 0 : false),
      releaseExtra: () => {
        extra--;
      },
      extraFree: () => extra < slots,
    });
    const sent: { firstSeq: number; request: ReturnType<typeof deferred> }[] = [];
    let cursor = 1;
    const nextAfter = (offset: number) => (cursor + offset > 100 ? undefined : { firstSeq: cursor + offset, batch: batch(10, cursor + offset + 9) });
    const send = (b: Batch) => {
      const request = deferred();
      sent.push({ firstSeq: b.lastSeq - 9, request });
      return request.promise;
    };
    window.start(1, batch(10, 10), () => Promise.resolve());
    await window.next();
    window.shift();
    cursor = 11;
    return { window, gate, sent, nextAfter, send, extra: () => extra, moveCursor: (to: number) => (cursor = to) };
  }

  it("keeps two requests going: a new one starts as soon as any is answered, the cursor moves in order", async () => {
    const { window, sent, nextAfter, send, extra, moveCursor } = await setup(4);
    const first = deferred();
    const current = window.start(11, batch(10, 20), () => first.promise);
    window.fill(nextAfter, send);
    expect(sent.map((s) => s.firstSeq)).toEqual([21]); // the cursor's and one more: 2 in flight
    // The later one is answered first: the next starts at once, the cursor's is still awaited.
    sent[0]?.request.resolve();
    await window.next();
    expect(window.oldestSettled()).toBe(false);
    window.fill(nextAfter, send);
    expect(sent.map((s) => s.firstSeq)).toEqual([21, 31]);
    first.resolve();
    await window.next();
    expect(window.oldestSettled()).toBe(true);
    expect(await current.done).toMatchObject({ ok: true });
    window.shift();
    moveCursor(21);
    // The answered batch after it is now the cursor's: taken without a new request.
    const second = window.take(21);
    expect(second?.firstSeq).toBe(21);
    expect(await second?.done).toMatchObject({ ok: true });
    window.shift();
    sent[1]?.request.resolve();
    await window.drain();
    expect(extra()).toBe(0);
  });

  it("lets go of every request when the cursor's batch is not the oldest (they are sent again from the cursor)", async () => {
    const { window, sent, nextAfter, send } = await setup(4);
    const first = deferred();
    window.start(11, batch(10, 20), () => first.promise);
    window.fill(nextAfter, send);
    first.reject(new Error("503"));
    await window.next();
    window.forget();
    expect(window.busy).toBe(false);
    expect(window.take(21)).toBeUndefined();
    sent[0]?.request.resolve();
  });

  it("sends (and builds) nothing ahead when no request slot is free, or before the run's first answer", async () => {
    const none = await setup(0);
    const b = deferred();
    none.window.start(11, batch(10, 20), () => b.promise);
    let built = 0;
    none.window.fill((offset) => {
      built++;
      return none.nextAfter(offset);
    }, none.send);
    expect(none.sent).toEqual([]);
    expect(built).toBe(0); // no batch is built for a request that cannot start
    b.resolve();
    const fresh = new BatchWindow({ gate: new PipelineGate(), acquireExtra: () => true, releaseExtra: () => undefined, extraFree: () => true });
    const sent: Batch[] = [];
    fresh.start(1, batch(10, 10), () => new Promise(() => undefined));
    fresh.fill(
      () => ({ firstSeq: 11, batch: batch(10, 20) }),
      async (x) => {
        sent.push(x);
      },
    );
    expect(sent).toEqual([]);
  });
});

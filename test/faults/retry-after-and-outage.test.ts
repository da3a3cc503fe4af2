/**
 * An outage (every request gets a 503 or a reset): stats go DEGRADED then DOWN, a short
 * flush resolves with records pending and does not throw; once the server heals everything
 * lands exactly. A 429 with `Retry-After: 2` holds the next log-batch back for 2 s.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReplicationHealth } from "../../src/remote/health.js";
import { Tracker } from "../../src/tracker.js";
import { randomFaults, reset, startFaultProxy, status, type FaultProxy } from "../support/fault-proxy.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";
import { experimentIdOf, metricHistory, metricRow, searchAllRuns, tempDir, testOptions, toRecord, waitFor } from "./helpers.js";

let proxy: FaultProxy;
let spool: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  proxy = await startFaultProxy(mlflowUri());
  spool = await tempDir("outage");
});
afterAll(async () => {
  await proxy?.close();
  await spool?.cleanup();
});

const LOG_BATCH = "/runs/log-batch";

describe("outage, then recovery", () => {
  it("goes DEGRADED then DOWN, flush reports pending without throwing, then everything lands; Retry-After: 2 is honoured", { timeout: 120_000 }, async () => {
    const experiment = uniqueName("faults-outage");
    const tracker = new Tracker(testOptions(proxy.url, experiment, spool.dir, { retryBaseMs: 20, retryMaxMs: 200, requestTimeoutMs: 15_000 }));
    const states: ReplicationHealth[] = [];
    const errors: string[] = [];
    tracker.on("state", (s) => states.push(s));
    tracker.on("error", (e) => errors.push(e.message));

    // The server is down: 503s and connection resets for everything.
    const outage = proxy.use(
      /./,
      randomFaults(3, [
        [0.5, status(503)],
        [0.5, reset],
      ]),
    );
    const run = await tracker.startRun({ name: "outage-run", params: { lr: 0.01 }, tags: { stage: "one" } });
    expect(run.remoteId).toBeUndefined(); // started locally
    const expected = new Set<string>();
    for (let step = 0; step < 3000; step++) {
      const timestamp = 1_700_000_000_000 + step;
      run.logMetric("loss", step * 0.5, { step, timestamp });
      expected.add(metricRow({ key: "loss", value: step * 0.5, step, timestamp }));
    }
    run.setTag("stage", "two");

    await waitFor(() => tracker.stats().state === "DOWN", 20_000, "state DOWN");
    expect(states.slice(0, 2)).toEqual(["DEGRADED", "DOWN"]);
    expect(errors.length).toBeGreaterThan(0);
    expect(tracker.stats().lastError).toBeDefined();

    const t0 = performance.now();
    const flushed = await tracker.flush({ timeoutMs: 500 });
    const flushMs = performance.now() - t0;
    expect(flushed.pending).toBeGreaterThan(0);
    expect(flushed.acked).toBe(0);
    expect(flushMs).toBeGreaterThanOrEqual(450);
    expect(flushMs).toBeLessThan(20_000); // returns near its timeout, not after the outage (loose bound: CI may be busy)
    expect(tracker.stats()).toMatchObject({ state: "DOWN", rejected: 0 });
    expect(tracker.stats().pending).toBeGreaterThanOrEqual(3000);

    // More data, and the end, while still down.
    for (let step = 3000; step < 4000; step++) {
      const timestamp = 1_700_000_000_000 + step;
      run.logMetric("loss", step * 0.5, { step, timestamp });
      expected.add(metricRow({ key: "loss", value: step * 0.5, step, timestamp }));
    }
    await run.end();

    // The server heals, except that the first log-batch gets a 429 asking for 2 s.
    proxy.use(LOG_BATCH, status(429, { retryAfter: 2 }), { times: 1 });
    const before = proxy.events.length;
    outage();

    const healed = await tracker.flush({ timeoutMs: 60_000 });
    expect(healed, `stats: ${JSON.stringify(tracker.stats())}`).toMatchObject({ pending: 0, rejected: 0 });
    expect(tracker.stats().state).toBe("UP");
    expect(states.at(-1)).toBe("UP");

    const batches = proxy.events.slice(before).filter((e) => e.path.endsWith(LOG_BATCH));
    expect(batches[0]?.fault).toBe("status");
    expect(batches[0]?.status).toBe(429);
    const gap = (batches[1]?.at ?? 0) - (batches[0]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(1990); // Retry-After: 2, with a little timer slack
    expect(gap).toBeLessThan(20_000); // the retry came after Retry-After, not after a long backoff (loose bound)
    await tracker.close({ timeoutMs: 10_000 });

    // The server holds exactly one run with exactly what was logged.
    const runs = await searchAllRuns(await experimentIdOf(experiment));
    expect(runs).toHaveLength(1);
    const [serverRun] = runs;
    if (serverRun === undefined) throw new Error("no run");
    expect(serverRun.info).toMatchObject({ run_name: "outage-run", status: "FINISHED" });
    expect(toRecord(serverRun.data.params)).toEqual({ lr: "0.01" });
    expect(toRecord(serverRun.data.tags)["stage"]).toBe("two");
    const rows = (await metricHistory(serverRun.info.run_id, "loss")).map(metricRow);
    expect(rows).toHaveLength(expected.size);
    expect(new Set(rows)).toEqual(expected);
    console.log(`[outage] states ${states.join(" → ")}; flush(500) took ${flushMs.toFixed(0)} ms; 429 → next log-batch gap ${gap.toFixed(0)} ms`);
  });

  it("close() during an outage leaves the records in the log; a later tracker drains them exactly once", { timeout: 120_000 }, async () => {
    const experiment = uniqueName("faults-drain");
    const dir = (await tempDir("drain")).dir;
    const outage = proxy.use(
      /./,
      randomFaults(5, [
        [0.7, status(503)],
        [0.3, reset],
      ]),
    );
    const first = new Tracker(testOptions(proxy.url, experiment, dir, { auth: { headers: { "x-test-client": "first" } } }));
    const run = await first.startRun({ name: "left-behind", params: { p: 1 } });
    const expected = new Set<string>();
    for (let step = 0; step < 1500; step++) {
      const timestamp = 1_700_000_000_000 + step;
      run.logMetric("m", step, { step, timestamp });
      expected.add(metricRow({ key: "m", value: step, step, timestamp }));
    }
    run.setTag("t", "last");
    await run.end();
    const flushed = await first.flush({ timeoutMs: 300 });
    expect(flushed.pending).toBeGreaterThan(1500);
    const t0 = performance.now();
    await first.close({ timeoutMs: 300 }); // never throws for transport problems
    expect(performance.now() - t0).toBeLessThan(20_000); // close() honours its timeout (loose bound)
    // What close() left in the log still counts as pending (logged = acked + pending + rejected).
    const afterClose = first.stats();
    expect(afterClose.pending).toBe(flushed.pending);
    expect(afterClose.acked + afterClose.pending + afterClose.rejected).toBe(afterClose.logged);
    // The server heals at once. A closed tracker starts nothing more: what reaches the server from
    // it after close() is at most what was already on the wire (one request per run, and the
    // global bound); a retry loop left running would keep sending for as long as the next tracker
    // works below, and is counted at the end.
    const closedAt = performance.now();
    outage();

    // A later process (same spool, same server) starts another run: the leftovers are drained too.
    const second = new Tracker(testOptions(proxy.url, experiment, dir, { drainOnStart: true }));
    await second.withRun({ name: "next" }, (r) => r.logMetric("m", 1, { step: 0, timestamp: 1_700_000_000_000 }));
    const deadline = Date.now() + 30_000;
    let runs = await searchAllRuns(await experimentIdOf(experiment));
    while (!(runs.length === 2 && runs.every((r) => r.info.status === "FINISHED")) && Date.now() < deadline) {
      await second.flush({ timeoutMs: 1000 });
      runs = await searchAllRuns(await experimentIdOf(experiment));
    }
    await second.close({ timeoutMs: 10_000 });
    const lateFromFirst = proxy.events.filter((e) => e.client === "first" && e.at > closedAt);
    expect(lateFromFirst.length, JSON.stringify(lateFromFirst)).toBeLessThanOrEqual(4); // maxConcurrentRequests
    runs = await searchAllRuns(await experimentIdOf(experiment));
    expect(runs.map((r) => r.info.run_name).sort()).toEqual(["left-behind", "next"]);
    const left = runs.find((r) => r.info.run_name === "left-behind");
    if (left === undefined) throw new Error("left-behind run missing");
    expect(left.info.status).toBe("FINISHED");
    expect(toRecord(left.data.params)).toEqual({ p: "1" });
    expect(toRecord(left.data.tags)["t"]).toBe("last");
    const rows = (await metricHistory(left.info.run_id, "m")).map(metricRow);
    expect(rows).toHaveLength(expected.size);
    expect(new Set(rows)).toEqual(expected);
  });
});

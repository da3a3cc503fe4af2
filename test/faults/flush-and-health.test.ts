/**
 * What each flush waits for, and an honest replication state:
 * - `run.flush()` resolves once the records are durable on disk, while the server hangs;
 * - a hanging server, a streak of 429s (each asking for 30 s) and 2xx answers whose body is
 *   not JSON move `stats().state` off `UP`, with nothing counted as acknowledged;
 * - once the server behaves, everything lands and the state is `UP` again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReplicationHealth } from "../../src/remote/health.js";
import { Tracker } from "../../src/tracker.js";
import { stall, startFaultProxy, status, type FaultProxy } from "../support/fault-proxy.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";
import { experimentIdOf, metricHistory, searchAllRuns, tempDir, testOptions, waitFor } from "./helpers.js";

const LOG_BATCH = "/runs/log-batch";

let proxy: FaultProxy;
let spool: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  proxy = await startFaultProxy(mlflowUri());
  spool = await tempDir("flush-health");
});
afterAll(async () => {
  await proxy?.close();
  await spool?.cleanup();
});

/** A tracker whose flush would wait 10 minutes for the server, recording its states. */
function trackerFor(experiment: string): { tracker: Tracker; states: ReplicationHealth[] } {
  const tracker = new Tracker(testOptions(proxy.url, experiment, spool.dir, { requestTimeoutMs: 4000, closeTimeoutMs: 600_000 }));
  const states: ReplicationHealth[] = [];
  tracker.on("state", (s) => states.push(s));
  tracker.on("error", () => undefined);
  return { tracker, states };
}

/** Heals the proxy, then checks that the run landed in full and the state is UP. */
async function healAndCheck(tracker: Tracker, experiment: string, points: number): Promise<void> {
  proxy.clear();
  const healed = await tracker.flush({ timeoutMs: 90_000 });
  expect(healed, `stats: ${JSON.stringify(tracker.stats())}`).toMatchObject({ pending: 0, rejected: 0 });
  expect(tracker.stats().state).toBe("UP");
  await tracker.close({ timeoutMs: 10_000 });
  const [run] = await searchAllRuns(await experimentIdOf(experiment));
  expect(run?.info.status).toBe("FINISHED");
  expect(await metricHistory(run?.info.run_id ?? "", "m")).toHaveLength(points);
}

describe("flush semantics and an honest state", () => {
  it("run.flush() is durable-on-disk while the server hangs; the state goes DEGRADED then DOWN", { timeout: 180_000 }, async () => {
    const experiment = uniqueName("hang");
    proxy.use(/./, stall(600_000)); // the server accepts connections and never answers
    const { tracker, states } = trackerFor(experiment);
    const run = await tracker.startRun({ name: "hang-run" });
    for (let step = 0; step < 200; step++) run.logMetric("m", step, { step });
    await run.flush(); // with the old semantics this waited closeTimeoutMs (10 minutes)
    const afterFlush = tracker.stats();
    expect(afterFlush.durable).toBe(afterFlush.logged);
    expect(afterFlush.acked).toBe(0);

    await waitFor(() => tracker.stats().state === "DOWN", 60_000, "state DOWN while the server hangs");
    expect(states.slice(0, 2)).toEqual(["DEGRADED", "DOWN"]);
    expect(tracker.stats().acked).toBe(0);
    expect(tracker.stats().pending).toBeGreaterThanOrEqual(200);

    await run.end();
    await healAndCheck(tracker, experiment, 200);
  });

  it("a streak of 429s moves the state to DEGRADED then DOWN even when each asks to wait 30 s", { timeout: 180_000 }, async () => {
    const experiment = uniqueName("throttled");
    proxy.use(/./, status(429, { retryAfter: 30 }));
    const { tracker, states } = trackerFor(experiment);
    const run = await tracker.startRun({ name: "throttled-run" });
    for (let step = 0; step < 100; step++) run.logMetric("m", step, { step });
    await run.end();
    await waitFor(() => tracker.stats().state === "DEGRADED", 20_000, "state DEGRADED on the first 429s");
    await waitFor(() => tracker.stats().state === "DOWN", 60_000, "state DOWN during the 429 streak");
    expect(states.slice(0, 2)).toEqual(["DEGRADED", "DOWN"]);
    expect(tracker.stats().acked).toBe(0);
    await healAndCheck(tracker, experiment, 100);
  });

  it("2xx answers that are not JSON are not acknowledgements", { timeout: 180_000 }, async () => {
    const experiment = uniqueName("garbage");
    const { tracker, states } = trackerFor(experiment);
    const before = proxy.count(LOG_BATCH, "status");
    proxy.use(LOG_BATCH, status(200, { body: "<html>captive portal</html>", headers: { "Content-Type": "text/html" } }));
    const run = await tracker.startRun({ name: "garbage-run" });
    expect(run.remoteId).toBeDefined(); // creation works: only log-batch answers garbage
    for (let step = 0; step < 100; step++) run.logMetric("m", step, { step });
    await run.end();
    await waitFor(() => proxy.count(LOG_BATCH, "status") - before >= 3, 30_000, "three garbage answers");
    expect(tracker.stats().acked).toBe(0);
    expect(tracker.stats().state).not.toBe("UP");
    expect(states[0]).toBe("DEGRADED");
    expect(tracker.stats().lastError).toMatch(/unexpected response/);
    await healAndCheck(tracker, experiment, 100);
  });
});

/**
 * Pipelining within one run: two metric-only log-batch requests may be in flight at once, while
 * a batch carrying params or tags is always alone (their last-writer-wins values keep the order
 * they were logged in). A failure of one of the pair loses nothing and duplicates nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "../../src/tracker.js";
import { pass, startFaultProxy, status, type FaultProxy, type ProxyEvent } from "../support/fault-proxy.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";
import { expectExactHistory, metricRow, onlyRun, tempDir, testOptions, toRecord } from "./helpers.js";

let proxy: FaultProxy;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  proxy = await startFaultProxy(mlflowUri());
});
afterAll(async () => {
  await proxy?.close();
  for (const c of cleanups) await c();
});

function overlaps(a: ProxyEvent, b: ProxyEvent): boolean {
  return a.at < (b.answeredAt ?? Number.POSITIVE_INFINITY) && b.at < (a.answeredAt ?? Number.POSITIVE_INFINITY);
}

describe("metric-only batches of one run", () => {
  it("go two at a time; params and tags go alone and keep their order; a failed one of a pair is resent without duplicates", async () => {
    const experiment = uniqueName("pipelining");
    const t = await tempDir("pipelining");
    cleanups.push(t.cleanup);
    // Which log-batch requests carry params or tags, by their index in proxy.events.
    const ordered = new Set<number>();
    let outage = true; // batches fail until everything is logged, so many are buffered at once
    let failedOfPair = false;
    const inFlight = (): boolean => proxy.events.some((e) => e.path.endsWith("/runs/log-batch") && e.status === undefined);
    proxy.use("/runs/log-batch", (req) => {
      const body = JSON.parse(req.body.toString()) as { params?: unknown[]; tags?: unknown[] };
      if ((body.params?.length ?? 0) + (body.tags?.length ?? 0) > 0) ordered.add(proxy.events.length);
      if (outage) return status(503);
      // The first request that arrives while another is in flight fails: one of a pair.
      if (!failedOfPair && inFlight()) {
        failedOfPair = true;
        return status(500);
      }
      return pass;
    });
    const tracker = new Tracker(testOptions(proxy.url, experiment, t.dir, { requestTimeoutMs: 30_000, maxConcurrentRequests: 4 }));
    const run = await tracker.startRun({ name: "pipelined", params: { lr: 0.1 } });
    const expected = new Set<string>();
    run.setTag("phase", "first");
    for (let step = 0; step < 24_000; step++) {
      const timestamp = 1_700_000_000_000 + step;
      run.logMetric("loss", 1 / (step + 1), { step, timestamp });
      expected.add(metricRow({ key: "loss", value: 1 / (step + 1), step, timestamp }));
      if (step === 12_000) run.setTag("phase", "second");
    }
    run.setTag("phase", "last");
    await run.end();
    outage = false;
    expect(await tracker.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
    await tracker.close({ timeoutMs: 5_000 });

    expect(failedOfPair).toBe(true);
    const batches = proxy.events.map((e, i) => ({ e, i })).filter(({ e }) => e.path.endsWith("/runs/log-batch") && e.status === 200);
    const alone = batches.filter(({ i }) => ordered.has(i));
    const metricOnly = batches.filter(({ i }) => !ordered.has(i));
    expect(alone.length).toBeGreaterThanOrEqual(3); // the start's params and tags, "second", "last"
    for (const a of alone) for (const b of batches) if (a.i !== b.i) expect(overlaps(a.e, b.e), `batch ${a.i} with params/tags overlapped ${b.i}`).toBe(false);
    const pairs = metricOnly.filter((a) => metricOnly.some((b) => a.i < b.i && overlaps(a.e, b.e)));
    expect(pairs.length).toBeGreaterThan(0);

    const serverRun = await onlyRun(experiment);
    expect(serverRun.info.status).toBe("FINISHED");
    expect(toRecord(serverRun.data.params)).toEqual({ lr: "0.1" });
    expect(toRecord(serverRun.data.tags)["phase"]).toBe("last");
    await expectExactHistory(serverRun.info.run_id, "loss", expected);
  });
});

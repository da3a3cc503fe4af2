/**
 * A tracker with several runs keeps one request in flight to a server that answers slowly (a
 * queue of other trainers' requests): its runs' replication and pipelined batches and its
 * `startRun` creates share one limit, which falls to one request while log-batch answers take
 * longer than a second. More requests would only lengthen the server's queue (and run MLflow's
 * database connection pool dry). Nothing is lost or duplicated meanwhile.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { Tracker } from "../../src/tracker.js";
import { QUEUEING_MS } from "../../src/remote/concurrency-limit.js";
import { hold, startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";
import { expectExactHistory, metricRow, searchAllRuns, experimentIdOf, tempDir, testOptions } from "./helpers.js";

/** Every log-batch is answered at least this long after it arrived: a queueing server. */
const DELAY_MS = QUEUEING_MS + 500;
const RUNS = 3;
const STEPS = 2500;

let proxy: FaultProxy;
let spool: { dir: string; cleanup(): Promise<void> };

beforeAll(async () => {
  proxy = await startFaultProxy(mlflowUri());
  spool = await tempDir("concurrency-limit");
});
afterAll(async () => {
  await proxy?.close();
  await spool?.cleanup();
});

it("keeps one request in flight to a slow server across runs, and loses or duplicates nothing", { timeout: 180_000 }, async () => {
  const experiment = uniqueName("concurrency-limit");
  proxy.use("/runs/log-batch", () => hold(new Promise((resolve) => setTimeout(resolve, DELAY_MS))));
  const tracker = new Tracker(testOptions(proxy.url, experiment, spool.dir, { maxConcurrentRequests: 4, requestTimeoutMs: 30_000 }));
  tracker.on("error", () => undefined);
  const expected: Set<string>[] = [];
  const names: string[] = [];
  for (let r = 0; r < RUNS; r++) {
    const run = await tracker.startRun({ name: `run-${r}`, params: { r } });
    names.push(`run-${r}`);
    const rows = new Set<string>();
    for (let step = 0; step < STEPS; step++) {
      const timestamp = 1_700_000_000_000 + step;
      run.logMetrics({ a: r + step, b: r - step }, { step, timestamp });
      rows.add(metricRow({ key: "a", value: r + step, step, timestamp }));
    }
    expected.push(rows);
    await run.end();
  }
  expect(await tracker.flush({ timeoutMs: 150_000 })).toMatchObject({ pending: 0, rejected: 0 });
  await tracker.close({ timeoutMs: 5_000 });

  // Every request reached the server after the one before it was answered: never two at once.
  const answered = proxy.events.filter((e) => e.path.startsWith("/api/") && e.answeredAt !== undefined);
  const batches = answered.filter((e) => e.path.endsWith("/runs/log-batch"));
  expect(batches.length).toBeGreaterThanOrEqual(RUNS * Math.ceil((2 * STEPS) / 1000));
  let most = 0;
  for (const e of answered) most = Math.max(most, answered.filter((o) => o.at <= e.at && (o.answeredAt ?? 0) > e.at).length);
  expect(most, "requests in flight at once").toBe(1);

  const runs = await searchAllRuns(await experimentIdOf(experiment));
  expect(runs.map((r) => r.info.run_name).sort()).toEqual(names);
  for (const serverRun of runs) {
    expect(serverRun.info.status).toBe("FINISHED");
    const r = Number(serverRun.info.run_name.split("-")[1]);
    await expectExactHistory(serverRun.info.run_id, "a", expected[r] as Set<string>);
  }
});

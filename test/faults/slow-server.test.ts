/**
 * A server that is merely slow (a queue of other trainers' requests) answers every log-batch
 * later than the request timeout, but answers. mltrail must not shrink its batches (smaller
 * batches only add requests to the queue): its timeout grows until the answers fit, every
 * batch that reached the server carried 1000 metrics, and the timed-out requests that still
 * landed next to their resends left no duplicate row.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { Tracker } from "../../src/tracker.js";
import { hold, startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";
import { expectExactHistory, metricRow, onlyRun, tempDir, testOptions } from "./helpers.js";

const TIMEOUT_MS = 1000;
/** Every log-batch reaches the server this long after it arrived: 2.5 × the request timeout. */
const DELAY_MS = 2500;
const LAST_STEP = 4999;

let proxy: FaultProxy;
let spool: { dir: string; cleanup(): Promise<void> };

beforeAll(async () => {
  proxy = await startFaultProxy(mlflowUri());
  spool = await tempDir("slow-server");
});
afterAll(async () => {
  await proxy?.close();
  await spool?.cleanup();
});

it("answers later than the timeout: full batches, the timeout grows, nothing lost or duplicated", { timeout: 180_000 }, async () => {
  const experiment = uniqueName("slow-server");
  /** Metrics per log-batch that carried any, except the batch of the last step (the remainder). */
  const sizes: number[] = [];
  let sent = 0;
  let landed = 0;
  proxy.use("/runs/log-batch", (req) => {
    const metrics = (JSON.parse(req.body.toString("utf8")) as { metrics?: { step: number }[] }).metrics ?? [];
    if (metrics.length > 0) sent++;
    if (metrics.length > 0 && !metrics.some((m) => m.step === LAST_STEP)) sizes.push(metrics.length);
    const late = hold(new Promise((resolve) => setTimeout(resolve, DELAY_MS)));
    void late.landed.then(() => landed++);
    return late;
  });
  const tracker = new Tracker(testOptions(proxy.url, experiment, spool.dir, { requestTimeoutMs: TIMEOUT_MS }));
  tracker.on("error", () => undefined);
  const run = await tracker.startRun({ name: "slow", params: { lr: 0.1 } });
  const expected = new Set<string>();
  for (let step = 0; step <= LAST_STEP; step++) {
    const timestamp = 1_700_000_000_000 + step;
    run.logMetric("loss", 1 / (step + 1), { step, timestamp });
    expected.add(metricRow({ key: "loss", value: 1 / (step + 1), step, timestamp }));
  }
  await run.end();
  expect(await tracker.flush({ timeoutMs: 120_000 })).toMatchObject({ pending: 0, rejected: 0 });
  await tracker.close({ timeoutMs: 5_000 });

  // Some requests timed out (and landed anyway, next to their resends)...
  expect(sent).toBeGreaterThan(5);
  // ...yet no batch was cut smaller: 1000 entities each (the first also carries the start's param
  // and tag), as many as MLflow takes at once.
  expect(
    sizes.filter((n) => n < 998),
    `metrics per log-batch: ${sizes.join(", ")}`,
  ).toEqual([]);
  const serverRun = await onlyRun(experiment);
  expect(serverRun.info.status).toBe("FINISHED");
  await expectExactHistory(serverRun.info.run_id, "loss", expected);
  expect(landed).toBeGreaterThan(5); // the timed-out requests reached the server too, next to their resends
});

/**
 * A run create the server refuses outright (MLflow's 400 for a SQLite database that stayed
 * locked, a 429) created nothing, so nothing can land late: the replicator creates the run at
 * its next attempt instead of looking it up again and again until `settleMs` has passed. With
 * `requestTimeoutMs: 30000` that wait would be 30 s of lookups every 5 s; the test counts the
 * lookups instead of timing anything.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { Tracker } from "../../src/tracker.js";
import { startFaultProxy, status, type FaultProxy } from "../support/fault-proxy.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";
import { experimentIdOf, metricHistory, searchAllRuns, tempDir, testOptions } from "./helpers.js";

let proxy: FaultProxy;
let spool: { dir: string; cleanup(): Promise<void> | void };

beforeAll(async () => {
  proxy = await startFaultProxy(mlflowUri());
  spool = await tempDir("refused-create");
});

afterAll(async () => {
  await proxy?.close();
  await spool?.cleanup();
});

const LOCKED = JSON.stringify({ error_code: "BAD_REQUEST", message: "(sqlite3.OperationalError) database is locked" });

it.each([
  ["a locked database (400)", status(400, { body: LOCKED })],
  ["a rate limit (429)", status(429, { retryAfter: 0 })],
])("a create refused with %s is retried at once, not waited for", { timeout: 120_000 }, async (_name, fault) => {
  const experiment = uniqueName("refused-create");
  const tracker = new Tracker(testOptions(proxy.url, experiment, spool.dir, { requestTimeoutMs: 30_000 }));
  tracker.on("error", () => undefined);
  // startRun's create and the replicator's first create are both refused.
  proxy.use("/runs/create", fault, { times: 2 });
  const searchesBefore = proxy.count("/runs/search");
  const createsBefore = proxy.count("/runs/create");
  const run = await tracker.startRun({ name: "refused", params: { lr: 0.1 } });
  expect(run.remoteId).toBeUndefined(); // started locally: the create was refused
  for (let step = 0; step < 20; step++) run.logMetric("loss", 1 / (step + 1), { step });
  await run.end();
  const flushed = await tracker.flush({ timeoutMs: 90_000 });
  await tracker.close({ timeoutMs: 10_000 });
  expect(flushed).toMatchObject({ pending: 0, rejected: 0 });

  const runs = await searchAllRuns(await experimentIdOf(experiment));
  expect(runs.map((r) => r.info.run_name)).toEqual(["refused"]);
  expect(runs[0]?.info.status).toBe("FINISHED");
  expect(run.remoteId).toBe(runs[0]?.info.run_id);
  expect((await metricHistory(run.remoteId ?? "", "loss")).length).toBe(20);
  // One lookup by runKey before each of the two creates; waiting out a create that might land
  // late would have looked the run up again every few seconds.
  expect(proxy.count("/runs/create") - createsBefore).toBe(3);
  expect(proxy.count("/runs/search") - searchesBefore).toBeLessThanOrEqual(2);
});

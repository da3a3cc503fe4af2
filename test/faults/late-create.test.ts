/**
 * A create-run request that times out on the client may still land on the server. startRun
 * then starts the run locally, and the replicator must not create it a second time: it looks
 * the run up by its runKey again once the late create can no longer land (settleMs =
 * requestTimeoutMs after the attempt), and finds it. Deterministic: the proxy holds the
 * timed-out create until the replicator's first lookup has been answered.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { Tracker } from "../../src/tracker.js";
import { hold, startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";
import { experimentIdOf, searchAllRuns, tempDir, testOptions } from "./helpers.js";

let proxy: FaultProxy;
let spool: { dir: string; cleanup(): Promise<void> | void };

beforeAll(async () => {
  proxy = await startFaultProxy(mlflowUri());
  spool = await tempDir("late-create");
});

afterAll(async () => {
  await proxy?.close();
  await spool?.cleanup();
});

it("a create that lands after startRun gave up is found, not duplicated", { timeout: 120_000 }, async () => {
  const experiment = uniqueName("late-create");
  const tracker = new Tracker(testOptions(proxy.url, experiment, spool.dir, { requestTimeoutMs: 3000 }));
  tracker.on("error", () => undefined);
  // The first runs/create is held (the client times out) until the first runs/search (the
  // replicator's lookup by runKey) has been answered; then it lands.
  const late = hold(proxy.answered("/runs/search"));
  proxy.use("/runs/create", late, { times: 1 });
  const run = await tracker.startRun({ name: "late-create", params: { lr: 0.1 } });
  expect(run.remoteId).toBeUndefined(); // started locally: the create timed out
  for (let step = 0; step < 20; step++) run.logMetric("loss", 1 / (step + 1), { step });
  await run.end();
  const flushed = await tracker.flush({ timeoutMs: 60_000 });
  await tracker.close({ timeoutMs: 10_000 });
  expect(flushed).toMatchObject({ pending: 0, rejected: 0 });
  expect(await late.landed).toBe(200); // the held create did land on the server

  const runs = await searchAllRuns(await experimentIdOf(experiment));
  expect(runs.map((r) => r.info.run_name)).toEqual(["late-create"]);
  expect(runs[0]?.info.status).toBe("FINISHED");
  expect(run.remoteId).toBe(runs[0]?.info.run_id);
});

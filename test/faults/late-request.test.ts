/**
 * A late request must not decide a run's final state on the server. The proxy holds the
 * run's first log-batch (the client times out and resends it) and lets it reach the server
 * only after the run's status update has been answered. The late batch carries the tag
 * `progress` at its first value.
 *
 * MLflow's log-batch, when a batch carries `mlflow.runName`, reads the run's status inside
 * `set_tag` and writes it back in `update_run_info` (mlflow/store/tracking/sqlalchemy_store.py).
 * When the status update commits between that read and that write, the run reads `RUNNING`
 * again. That interleaving happens inside the server; the test stands for its outcome by
 * writing `RUNNING` right after the late batch landed, as the race leaves it.
 *
 * Afterwards the server must hold the local log's final state: FINISHED, the end time, the
 * last `progress` value and the name; no batch may have carried `mlflow.runName`. A tracker
 * that closes before it could check leaves the check to `mltrail sync`, which repairs the run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syncRuns } from "../../src/remote/sync.js";
import { Tracker } from "../../src/tracker.js";
import { hold, pass, startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { mlflowGet, mlflowPost, mlflowUri, uniqueName } from "../support/mlflow.js";
import { tempDir, testOptions, toRecord, waitFor, type ServerRun } from "./helpers.js";

const LOG_BATCH = "/runs/log-batch";

let proxy: FaultProxy;
let spool: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  proxy = await startFaultProxy(mlflowUri());
  spool = await tempDir("late");
});
afterAll(async () => {
  await proxy?.close();
  await spool?.cleanup();
});

describe("a late request after the run ended", () => {
  it("the server ends with the local log's final status, end time, name and tags", { timeout: 120_000 }, async () => {
    const tracker = new Tracker(testOptions(proxy.url, uniqueName("late"), spool.dir, { requestTimeoutMs: 1500 }));
    const errors: string[] = [];
    tracker.on("error", (e) => errors.push(`${e.code}: ${e.message}`));

    const late = hold(proxy.answered("/runs/update"));
    let batches = 0;
    let withRunName = 0;
    proxy.use(LOG_BATCH, (req) => {
      batches++;
      if (req.body.toString("utf8").includes('"mlflow.runName"')) withRunName++;
      return batches === 1 ? late : pass;
    });

    const run = await tracker.startRun({ name: "late-run", params: { lr: 0.1 }, tags: { progress: "0" } });
    // On a loaded machine startRun may stop waiting for the create and start the run locally: the replicator creates it then.
    await waitFor(() => run.remoteId !== undefined, 60_000, "the run to be created on the server");
    const remoteId = run.remoteId as string;
    // The race's outcome (see the file's notes), once the late batch has landed.
    const raceDone = late.landed.then(() => mlflowPost("runs/update", { run_id: remoteId, status: "RUNNING" }));
    // The end-of-run check reads the run back only once the late request has landed.
    proxy.use("/runs/get", hold(raceDone), { times: 1 });

    await waitFor(() => proxy.count(LOG_BATCH, "hold") === 1, 20_000, "the first log-batch to be held");
    for (let step = 0; step < 50; step++) run.logMetric("loss", 1 / (step + 1), { step });
    run.setTag("progress", "1");
    run.setTag("progress", "2");
    const beforeEnd = Date.now();
    await run.end();
    const afterEnd = Date.now();

    const flushed = await tracker.flush({ timeoutMs: 60_000 });
    await raceDone;
    expect(flushed, `stats: ${JSON.stringify(tracker.stats())}`).toMatchObject({ pending: 0, rejected: 0 });
    await tracker.close({ timeoutMs: 10_000 });

    const { run: server } = await mlflowGet<{ run: ServerRun }>("runs/get", { run_id: remoteId });
    expect(server.info.status).toBe("FINISHED");
    const endTime = Number(server.info.end_time);
    expect(endTime).toBeGreaterThanOrEqual(beforeEnd);
    expect(endTime).toBeLessThanOrEqual(afterEnd);
    expect(server.info.run_name).toBe("late-run");
    const tags = toRecord(server.data.tags);
    expect(tags.progress).toBe("2");
    expect(tags["mlflow.runName"]).toBe("late-run");
    expect(toRecord(server.data.params)).toEqual({ lr: "0.1" });
    expect(withRunName).toBe(0); // the name goes at creation only
    expect(proxy.count("/runs/get")).toBeGreaterThanOrEqual(2); // checked, repaired, checked again
    expect(errors.filter((e) => e.startsWith("NOT_KEPT"))).toEqual([]);
  });

  it("a tracker that closes before the check counts the end as pending; sync checks and repairs the run", { timeout: 120_000 }, async () => {
    const dir = await tempDir("late-sync");
    try {
      const tracker = new Tracker(testOptions(proxy.url, uniqueName("late-sync"), dir.dir, { requestTimeoutMs: 1500 }));
      tracker.on("error", () => undefined);
      const late = hold(proxy.answered("/runs/update"));
      let batches = 0;
      const removeBatchRule = proxy.use(LOG_BATCH, () => (++batches === 1 ? late : pass));
      let releaseGets!: () => void;
      const getsReleased = new Promise<void>((resolve) => {
        releaseGets = resolve;
      });
      const removeGetRule = proxy.use("/runs/get", hold(getsReleased)); // the check cannot read the run yet

      const run = await tracker.startRun({ name: "late-sync-run", tags: { progress: "0" } });
      await waitFor(() => run.remoteId !== undefined, 60_000, "the run to be created on the server");
      const remoteId = run.remoteId as string;
      const raceDone = late.landed.then(() => mlflowPost("runs/update", { run_id: remoteId, status: "RUNNING" }));
      await waitFor(() => proxy.count(LOG_BATCH, "hold") >= 1, 20_000, "the first log-batch to be held");
      run.setTag("progress", "1");
      await run.end();
      await raceDone;
      await waitFor(() => proxy.count("/runs/get", "hold") >= 1, 30_000, "the end-of-run check to read the run");
      const closed = await tracker.close({ timeoutMs: 500 });
      expect(closed.pending).toBe(1); // the end record: sent, not yet checked

      removeBatchRule();
      removeGetRule();
      releaseGets();
      const summary = await syncRuns({
        spoolDir: dir.dir,
        trackingUri: proxy.url,
        requestTimeoutMs: 1500,
        retryBaseMs: 20,
        retryMaxMs: 500,
        logLevel: "silent",
        timeoutMs: 60_000,
      });
      expect(summary).toMatchObject({ runs: 1, pending: 0, rejected: 0 });

      const { run: server } = await mlflowGet<{ run: ServerRun }>("runs/get", { run_id: remoteId });
      expect(server.info.status).toBe("FINISHED");
      expect(toRecord(server.data.tags).progress).toBe("1");
    } finally {
      await dir.cleanup();
    }
  });
});

/**
 * A run resumed in the local store and sent to the MLflow server afterwards (`syncEarlierRuns`):
 * the end it was resumed from is skipped, so every point logged before and after the resume
 * arrives once, and the server shows the final status and end time.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";
import { uniqueName } from "../support/mlflow.js";
import { newTracker, serverHistory, serverRuns, tempDir } from "../fixtures/replication/harness.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("a resumed local run synced to the server", () => {
  it("arrives with its whole history and its last end", async () => {
    const experiment = uniqueName("resume-sync");
    const spool = tempDir("resume-sync");
    cleanups.push(spool.cleanup);
    const local = new Tracker({ trackingUri: spool.dir, experiment, captureContext: false, handleExit: false });
    const first = await local.startRun({ name: "resumed" });
    for (let i = 0; i < 5; i++) first.logMetric("x", i, { step: i });
    await first.end();
    const again = await local.startRun({ resume: first.id });
    for (let i = 5; i < 10; i++) again.logMetric("x", i, { step: i });
    await again.end({ status: "FAILED" });
    const localEnd = (await local.getRun(first.id)).info.endTime;
    await local.close();

    const t = newTracker(spool.dir, experiment, { syncEarlierRuns: true });
    cleanups.push(async () => void (await t.close({ timeoutMs: 5000 })));
    expect(await t.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
    const runs = await serverRuns(experiment);
    expect(runs).toHaveLength(1);
    const server = runs[0] as { info: { run_id: string; status: string; end_time: number } };
    expect(server.info.status).toBe("FAILED");
    expect(server.info.end_time).toBe(localEnd);
    const history = await serverHistory(server.info.run_id, "x");
    expect(history.map((m) => m.step).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

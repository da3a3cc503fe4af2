/**
 * Deleting and restoring runs and experiments against the real MLflow server: the server's
 * lifecycle stage (read through raw REST) follows the tracker's calls; searches skip deleted
 * runs unless asked; and a deletion made in a local run log reaches the server with the run
 * (`mltrail sync`), also when the run was deleted before it was ever sent.
 */
import { afterEach, describe, expect, it } from "vitest";
import { syncRuns, Tracker } from "../../src/index.js";
import { mlflowGet, mlflowUri, uniqueName } from "../support/mlflow.js";
import { experimentIdByName, newTracker, serverRun, serverRuns, tempDir } from "../fixtures/replication/harness.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function stageOf(runId: string): Promise<string> {
  return (await serverRun(runId)).info.lifecycle_stage as string;
}

async function endedRun(t: Tracker, name: string): Promise<string> {
  const run = await t.startRun({ name });
  run.logMetric("loss", 0.5, { step: 1 });
  await run.end();
  return run.id;
}

describe("lifecycle on the MLflow server", () => {
  it("deleteRun / restoreRun set the server's lifecycle stage; searches skip deleted runs unless asked", async () => {
    const experiment = uniqueName("lifecycle-runs");
    const spool = tempDir("lifecycle-runs");
    const t = newTracker(spool.dir, experiment);
    cleanups.push(spool.cleanup, async () => void (await t.close({ timeoutMs: 5000 })));
    const a = await endedRun(t, "a");
    const b = await endedRun(t, "b");
    expect(await t.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0 });
    await t.deleteRun(a);
    expect(await stageOf(a)).toBe("deleted");
    expect((await t.searchRuns()).map((r) => r.info.runId)).toEqual([b]);
    const deleted = await t.searchRuns({ runViewType: "DELETED_ONLY" });
    expect(deleted.map((r) => [r.info.runId, r.info.deleted])).toEqual([[a, true]]);
    expect((await t.searchRuns({ runViewType: "ALL" })).map((r) => r.info.runId).sort()).toEqual([a, b].sort());
    expect((await t.getRun(a)).info.deleted).toBe(true);
    await t.restoreRun(a);
    expect(await stageOf(a)).toBe("active");
    expect((await t.searchRuns()).map((r) => r.info.runId).sort()).toEqual([a, b].sort());
    expect((await t.getRun(a)).info.deleted).toBeUndefined();
  });

  it("deleteExperiment / restoreExperiment: the server's experiment and its runs; no run starts in it meanwhile", async () => {
    const experiment = uniqueName("lifecycle-exp");
    const spool = tempDir("lifecycle-exp");
    const t = newTracker(spool.dir, experiment);
    cleanups.push(spool.cleanup, async () => void (await t.close({ timeoutMs: 5000 })));
    const a = await endedRun(t, "a");
    expect(await t.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0 });
    const exp = await t.deleteExperiment(experiment);
    expect(exp.deleted).toBe(true);
    const id = (await experimentIdByName(experiment)) as string;
    expect((await mlflowGet("experiments/get", { experiment_id: id })).experiment.lifecycle_stage).toBe("deleted");
    expect(await stageOf(a)).toBe("deleted");
    expect((await t.listExperiments()).map((e) => e.name)).not.toContain(experiment);
    expect((await t.listExperiments({ viewType: "DELETED_ONLY" })).map((e) => e.name)).toContain(experiment);
    await expect(t.startRun({ name: "refused" })).rejects.toThrow(/deleted/);
    await t.restoreExperiment(experiment);
    expect((await mlflowGet("experiments/get", { experiment_id: id })).experiment.lifecycle_stage).toBe("active");
    expect(await stageOf(a)).toBe("active");
    expect((await t.searchRuns()).map((r) => r.info.runId)).toEqual([a]);
  });

  it("a deletion in a local run log reaches the server with mltrail sync, also for a run deleted before it was sent", async () => {
    const experiment = uniqueName("lifecycle-sync");
    const store = tempDir("lifecycle-sync");
    cleanups.push(store.cleanup);
    const local = new Tracker({ trackingUri: store.dir, experiment, captureContext: false, handleExit: false });
    const sent = await endedRun(local, "sent-then-deleted");
    const never = await endedRun(local, "deleted-before-sync");
    const kept = await endedRun(local, "kept");
    await local.deleteRun(never);
    const sync = () => syncRuns({ spoolDir: store.dir, trackingUri: mlflowUri(), timeoutMs: 60_000, logLevel: "error" });
    expect(await sync()).toMatchObject({ pending: 0, rejected: 0 });
    await local.deleteRun(sent);
    expect(await sync()).toMatchObject({ pending: 0 });
    const byName = Object.fromEntries((await serverRuns(experiment)).map((r) => [r.info.run_name, r.info.lifecycle_stage]));
    expect(byName).toEqual({ "sent-then-deleted": "deleted", "deleted-before-sync": "deleted", kept: "active" });
    await local.restoreRun(sent);
    await sync();
    const after = Object.fromEntries((await serverRuns(experiment)).map((r) => [r.info.run_name, r.info.lifecycle_stage]));
    expect(after["sent-then-deleted"]).toBe("active");
    expect((await local.getRun(kept)).info.deleted).toBeUndefined();
    await local.close();
  });
});

/**
 * Deleting and restoring runs and experiments on the local store (MLflow's lifecycle stage):
 * searches skip deleted runs unless asked, deletions are durable and independent of the run
 * index, an experiment's deletion covers its runs, and `gc` removes what is deleted for good.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NotFoundError, StateError, ValidationError } from "../../src/errors.js";
import { Tracker } from "../../src/tracker.js";

let tmp: string;
let tracker: Tracker;

function open(experiment = "life"): Tracker {
  return new Tracker({ trackingUri: tmp, experiment, captureContext: false, handleExit: false });
}

async function finished(t: Tracker, name: string, experiment?: string): Promise<string> {
  const run = await t.startRun({ name, ...(experiment === undefined ? {} : { experiment }) });
  run.logMetric("loss", 0.5, { step: 1 });
  await run.end();
  return run.id;
}

async function names(t: Tracker, runViewType?: "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL", experiment?: string): Promise<string[]> {
  const runs = await t.searchRuns({
    orderBy: ["attributes.run_name ASC"],
    ...(runViewType === undefined ? {} : { runViewType }),
    ...(experiment === undefined ? {} : { experiment }),
  });
  return runs.map((r) => `${r.info.name}${r.info.deleted === true ? " (deleted)" : ""}`);
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-lifecycle-"));
  tracker = open();
});

afterEach(async () => {
  await tracker.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("deleteRun / restoreRun on the local store", () => {
  it("a deleted run leaves searches unless asked for, keeps its data, and comes back when restored", async () => {
    const a = await finished(tracker, "a");
    await finished(tracker, "b");
    await tracker.deleteRun(a);
    await tracker.deleteRun(a); // idempotent
    expect(await names(tracker)).toEqual(["b"]);
    expect(await names(tracker, "DELETED_ONLY")).toEqual(["a (deleted)"]);
    expect(await names(tracker, "ALL")).toEqual(["a (deleted)", "b"]);
    const run = await tracker.getRun(a);
    expect(run.info.deleted).toBe(true);
    expect(run.data.metrics).toEqual({ loss: 0.5 });
    expect(await tracker.getMetricHistory(a, "loss")).toHaveLength(1);
    await tracker.restoreRun(a);
    expect(await names(tracker)).toEqual(["a", "b"]);
    expect((await tracker.getRun(a)).info).not.toHaveProperty("deleted");
  });

  it("the deletion is durable: another tracker sees it, and so does a store whose run index was removed", async () => {
    const a = await finished(tracker, "a");
    await finished(tracker, "b");
    await names(tracker); // builds the index
    await tracker.deleteRun(a);
    await tracker.close();
    for (const exp of fs.readdirSync(path.join(tmp, "experiments"))) fs.rmSync(path.join(tmp, "experiments", exp, "index"), { recursive: true, force: true });
    tracker = open();
    expect(await names(tracker)).toEqual(["b"]);
    expect((await tracker.getRun(a)).info.deleted).toBe(true);
  });

  it("a damaged or torn line of the lifecycle log is skipped; the lines around it count", async () => {
    const a = await finished(tracker, "a");
    const b = await finished(tracker, "b");
    await tracker.deleteRun(a);
    const exp = (await tracker.getRun(a)).info.experimentId;
    const log = path.join(tmp, "experiments", exp, "lifecycle.log");
    fs.appendFileSync(log, '\n00000000 {"r":"x","d":1,"ts":1}\n{"r":"torn');
    await tracker.deleteRun(b);
    expect(await names(tracker, "DELETED_ONLY")).toEqual(["a (deleted)", "b (deleted)"]);
  });

  it("checks its arguments: an unknown run is NotFoundError, a bad view type a ValidationError naming it", async () => {
    await expect(tracker.deleteRun("0000unknown")).rejects.toBeInstanceOf(NotFoundError);
    await expect(tracker.restoreRun("bad/id")).rejects.toBeInstanceOf(ValidationError);
    await expect(tracker.searchRuns({ runViewType: "DELETED" as "ALL" })).rejects.toThrow(/runViewType.*ACTIVE_ONLY, DELETED_ONLY, ALL/);
    await expect(tracker.listExperiments({ viewType: 3 as unknown as "ALL" })).rejects.toBeInstanceOf(ValidationError);
  });

  it("a deleted run cannot be resumed until restored", async () => {
    const a = await finished(tracker, "a");
    await tracker.deleteRun(a);
    await expect(tracker.startRun({ resume: a })).rejects.toThrow(StateError);
    await tracker.restoreRun(a);
    const run = await tracker.startRun({ resume: a });
    await run.end();
  });
});

describe("deleteExperiment / restoreExperiment on the local store", () => {
  it("deletes the experiment and its runs, refuses new runs in it, and restores them all, as MLflow does", async () => {
    const a = await finished(tracker, "a", "scratch");
    const b = await finished(tracker, "b", "scratch");
    await tracker.deleteRun(a); // deleted before the experiment: MLflow's restore brings it back too
    const deleted = await tracker.deleteExperiment("scratch");
    expect(deleted.deleted).toBe(true);
    expect((await tracker.listExperiments()).map((e) => e.name)).not.toContain("scratch");
    expect((await tracker.listExperiments({ viewType: "DELETED_ONLY" })).map((e) => e.name)).toEqual(["scratch"]);
    expect((await tracker.getExperimentByName("scratch"))?.deleted).toBe(true);
    expect(await names(tracker, undefined, "scratch")).toEqual([]);
    expect(await names(tracker, "DELETED_ONLY", "scratch")).toEqual(["a (deleted)", "b (deleted)"]);
    await expect(tracker.startRun({ experiment: "scratch" })).rejects.toThrow(/experiment.*scratch.*is deleted/);
    await tracker.restoreRun(b); // allowed in a deleted experiment, as on MLflow
    expect(await names(tracker, "ALL", "scratch")).toEqual(["a (deleted)", "b"]);
    await tracker.restoreExperiment("scratch");
    expect(await names(tracker, undefined, "scratch")).toEqual(["a", "b"]);
    expect((await tracker.listExperiments()).map((e) => e.name)).toContain("scratch");
    await finished(tracker, "c", "scratch");
  });

  it("the Default experiment cannot be deleted; an unknown one is NotFoundError", async () => {
    await finished(tracker, "a");
    await expect(tracker.deleteExperiment("Default")).rejects.toThrow(/Default experiment/);
    await expect(tracker.deleteExperiment("nope")).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("gc", () => {
  it("removes deleted runs and emptied deleted experiments for good, and only those", async () => {
    const a = await finished(tracker, "a");
    const b = await finished(tracker, "b");
    await finished(tracker, "x", "scratch");
    await tracker.deleteRun(a);
    await tracker.deleteExperiment("scratch");
    expect(await tracker.gc({ olderThanMs: 3_600_000 })).toEqual({ runs: [], experiments: [], skipped: [] });
    const result = await tracker.gc();
    expect(result.runs).toHaveLength(2);
    expect(result.runs).toContain(a);
    expect(result.experiments).toHaveLength(1);
    await expect(tracker.getRun(a)).rejects.toBeInstanceOf(NotFoundError);
    await expect(tracker.restoreRun(a)).rejects.toBeInstanceOf(NotFoundError);
    expect(await tracker.getExperimentByName("scratch")).toBeUndefined();
    expect((await tracker.getRun(b)).info.status).toBe("FINISHED");
    expect(await names(tracker, "ALL")).toEqual(["b"]);
  });

  it("skips a deleted run a live process is writing", async () => {
    const run = await tracker.startRun({ name: "live" });
    await tracker.deleteRun(run.id);
    const result = await tracker.gc();
    expect(result.skipped).toEqual([{ runId: run.id, reason: "a process is writing it" }]);
    await run.end();
    expect((await tracker.gc()).runs).toEqual([run.id]);
  });
});

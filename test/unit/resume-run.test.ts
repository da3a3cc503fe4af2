/**
 * `startRun({ resume })` on the local store: option rules, the run held by this process, an
 * unknown id, and a tracker bound for a server (not supported yet: a typed error, nothing
 * written). The SIGKILL case is in test/crash/resume.test.ts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, NotFoundError, StateError, ValidationError } from "../../src/errors.js";
import { Tracker } from "../../src/tracker.js";

let tmp: string;
let tracker: Tracker;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-resume-"));
  tracker = new Tracker({ trackingUri: tmp, captureContext: false, handleExit: false });
});

afterAll(async () => {
  await tracker.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("startRun({ resume })", () => {
  it("checks its options before touching the run", async () => {
    const run = await tracker.startRun({ name: "first" });
    await run.end();
    await expect(tracker.startRun({ resume: "bad/id" })).rejects.toThrow(ValidationError);
    await expect(tracker.startRun({ resume: run.id, name: "other" })).rejects.toThrow(/options\.name.*cannot be combined with resume/);
    await expect(tracker.startRun({ resume: run.id, experiment: "x" })).rejects.toThrow(ValidationError);
    await expect(tracker.startRun({ resume: "0000unknown" })).rejects.toBeInstanceOf(NotFoundError);
    expect((await tracker.getRun(run.id)).info.status).toBe("FINISHED");
  });

  it("a run open in this process cannot be resumed; once ended it can, keeping its name, params and tags", async () => {
    const run = await tracker.startRun({ name: "held", params: { lr: 0.1 }, tags: { team: "a" } });
    run.logMetric("loss", 1, { step: 0 });
    await expect(tracker.startRun({ resume: run.id })).rejects.toBeInstanceOf(ConflictError);
    await run.end();
    const again = await tracker.startRun({ resume: run.id, tags: { phase: "two" } });
    expect(again.name).toBe("held");
    expect(() => again.logParam("lr", 0.2)).toThrow(ConflictError);
    again.logMetric("loss", 0.5, { step: 1 });
    await again.end({ status: "KILLED" });
    const record = await tracker.getRun(run.id);
    expect(record.info.status).toBe("KILLED");
    expect(record.data.tags).toMatchObject({ team: "a", phase: "two", "mlflow.runName": "held" });
    expect((await tracker.getMetricHistory(run.id, "loss")).map((m) => m.step)).toEqual([0, 1]);
  });

  it("is refused by a tracker bound for a server, before anything is written", async () => {
    const run = await tracker.startRun({ name: "local" });
    await run.end();
    const bound = new Tracker({ trackingUri: "http://127.0.0.1:9", spoolDir: tmp, mode: "offline", captureContext: false, handleExit: false });
    try {
      await expect(bound.startRun({ resume: run.id })).rejects.toBeInstanceOf(StateError);
    } finally {
      await bound.close({ timeoutMs: 1000 });
    }
    expect((await tracker.getRun(run.id)).info.status).toBe("FINISHED");
  });
});

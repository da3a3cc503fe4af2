/**
 * A run's start and end on the local store: the experiment a tracker found by name is reused
 * only while its document is unchanged (another process deleting or restoring it is seen at
 * the next start), and an ended run leaves run.json with its end and no temp file.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateError } from "../../src/errors.js";
import { StoreLayout } from "../../src/store/layout.js";
import { Tracker } from "../../src/tracker.js";

let root: string;
const trackers: Tracker[] = [];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-start-end-"));
});

afterEach(async () => {
  for (const t of trackers.splice(0)) await t.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function tracker(): Tracker {
  const t = new Tracker({ trackingUri: root, experiment: "e", captureContext: false, handleExit: false });
  trackers.push(t);
  return t;
}

describe("startRun's experiment lookup", () => {
  it("sees another tracker delete and restore the experiment it found before", async () => {
    const a = tracker();
    const b = tracker();
    await (await a.startRun()).end(); // a has found "e"
    await b.deleteExperiment("e");
    await expect(a.startRun()).rejects.toBeInstanceOf(StateError);
    await b.restoreExperiment("e");
    const run = await a.startRun();
    await run.end();
    expect((await b.getRun(run.id)).info.status).toBe("FINISHED");
  });
});

describe("a run's end on disk", () => {
  it("leaves run.json with the end status and time, and no temp file", async () => {
    const t = tracker();
    const run = await t.startRun({ name: "r" });
    run.logMetric("loss", 0.5, { step: 1 });
    await run.end({ status: "FAILED" });
    const dir = new StoreLayout(root).runDir(run.experimentId, run.id);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, "run.json"), "utf8")) as { status: string; endTime?: number };
    expect(meta.status).toBe("FAILED");
    expect(meta.endTime).toBeTypeOf("number");
    expect(fs.readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    const rec = await t.getRun(run.id);
    expect(rec.info.status).toBe("FAILED");
    expect(rec.info.endTime).toBe(meta.endTime);
  });
});

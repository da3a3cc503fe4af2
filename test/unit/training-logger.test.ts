/**
 * TrainingLogger: the framework-agnostic core of training callbacks, driven here by a plain
 * hand-written training loop (as another framework's callback would drive it).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { Tracker } from "../../src/tracker.js";
import { TrainingLogger } from "../../src/training/logger.js";

let root: string;
let tracker: Tracker;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-training-"));
  tracker = new Tracker({ trackingUri: root, captureContext: false, handleExit: false });
});
afterEach(async () => {
  await tracker.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe("TrainingLogger", () => {
  it("logs epochs, every N-th batch with a global step, prefixed params and a text artifact", async () => {
    const run = await tracker.startRun({ name: "loop" });
    const log = new TrainingLogger(run, { logEvery: 2, prefix: "enc/" });
    log.logParams({ lr: 0.1, epochs: 2 });
    expect(log.writeText("notes.txt", "hello")).toBe(true);
    type Tensorish = { v: number } | string;
    const read = (x: Tensorish): number | undefined => (typeof x === "string" ? undefined : x.v);
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let b = 0; b < 3; b++) await log.batchEnd<Tensorish>({ loss: { v: epoch * 10 + b }, note: "skip me", size: { v: 32 } }, read, new Set(["size"]));
      await log.epochEnd<Tensorish>(epoch, { loss: { v: epoch }, acc: { v: 0.5 + epoch / 10 } }, read);
    }
    await log.trainEnd();
    expect(log.globalStep).toBe(6);
    await run.end();
    const rec = await tracker.getRun(run.id);
    expect(rec.data.params).toEqual({ "enc/lr": "0.1", "enc/epochs": "2" });
    const batches = await tracker.getMetricHistory(run.id, "enc/batch/loss");
    expect(batches.map((m) => [m.step, m.value])).toEqual([
      [0, 0],
      [2, 2],
      [4, 11],
    ]);
    expect((await tracker.getMetricHistory(run.id, "enc/loss")).map((m) => [m.step, m.value])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(await tracker.getMetricHistory(run.id, "enc/batch/size")).toEqual([]);
    expect((await tracker.listArtifacts(run.id)).map((a) => a.path)).toContain("enc_notes.txt");
  });

  it("a second fit on the same run keeps the params already logged and logs the new ones", async () => {
    const run = await tracker.startRun();
    new TrainingLogger(run).logParams({ epochs: 5, lr: 0.1 });
    new TrainingLogger(run).logParams({ epochs: 1, batch_size: 32 });
    await run.end();
    expect((await tracker.getRun(run.id)).data.params).toEqual({ epochs: "5", lr: "0.1", batch_size: "32" });
  });

  it("rejects bad options with a ValidationError naming the field", async () => {
    const run = await tracker.startRun();
    for (const [options, field] of [
      [{ logEvery: 0 }, "options.logEvery"],
      [{ logEvery: "step" }, "options.logEvery"],
      [{ yieldEveryMs: -1 }, "options.yieldEveryMs"],
      [{ prefix: 3 }, "options.prefix"],
      [null, "options"],
    ] as const) {
      expect(() => new TrainingLogger(run, options as never)).toThrow(ValidationError);
      try {
        new TrainingLogger(run, options as never);
      } catch (e) {
        expect((e as ValidationError).field).toBe(field);
      }
    }
    expect(() => new TrainingLogger({} as never)).toThrow(ValidationError);
    await run.end();
  });
});

/**
 * Where `exportToTensorBoard` puts runs: one folder per run, stable across exports when two runs
 * share a name, and a bad `outDir` rejected before anything is written. (What the files hold is
 * checked by TensorBoard's own reader in test/e2e/tensorboard-export.test.ts.)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { exportToTensorBoard } from "../../src/index.js";
import { Tracker } from "../../src/tracker.js";

let root: string;
let tracker: Tracker;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-tb-layout-"));
  tracker = new Tracker({ trackingUri: path.join(root, "store"), experiment: "exp/a", captureContext: false, handleExit: false });
});
afterEach(async () => {
  await tracker.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const eventFiles = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.startsWith("events.out.tfevents."));

describe("exportToTensorBoard folders", () => {
  it("gives two runs of one name two folders, the same ones on every export", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      await tracker.withRun({ name: "same" }, async (run) => {
        ids.push(run.id);
        run.logMetric("m", i, { step: 1 });
      });
    }
    const out = path.join(root, "tb");
    // The second run alone first: it takes "same", and keeps it afterwards.
    const only = await exportToTensorBoard(tracker, { outDir: out, runIds: [ids[1] as string] });
    expect(only.runs.map((r) => path.relative(out, r.dir))).toEqual([path.join("exp_a", "same")]);
    const all = await exportToTensorBoard(tracker, { outDir: out });
    const dirs = Object.fromEntries(all.runs.map((r) => [r.runId, path.relative(out, r.dir)]));
    expect(dirs).toEqual({ [ids[1] as string]: path.join("exp_a", "same"), [ids[0] as string]: path.join("exp_a", `same-${ids[0]}`) });
    for (const r of all.runs) expect(eventFiles(r.dir)).toEqual([path.basename(r.file)]);
    expect(all.points).toBe(2);
  });

  it("rejects an empty outDir with a ValidationError naming it", async () => {
    await expect(exportToTensorBoard(tracker, { outDir: "" })).rejects.toThrow(ValidationError);
    await expect(exportToTensorBoard(tracker, { outDir: "" })).rejects.toThrow(/options\.outDir/);
  });
});

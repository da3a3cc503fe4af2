/**
 * The tracker's error model around the store: a failed open is retried on the next call, and
 * problems raised in the background are visible without an "error" listener (once per kind).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MltrailError } from "../../src/errors.js";
import type { LogSink } from "../../src/internal/logger.js";
import { Tracker } from "../../src/tracker.js";

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-errors-"));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function corruptOneLine(root: string, runId: string): void {
  const runDir = fs.readdirSync(root, { recursive: true, encoding: "utf8" }).find((p) => p.endsWith(runId));
  if (runDir === undefined) throw new Error("run folder not found");
  const logDir = path.join(root, runDir, "journal");
  const segment = path.join(logDir, fs.readdirSync(logDir).find((f) => f.endsWith(".jsonl")) ?? "");
  const lines = fs.readFileSync(segment, "utf8").split("\n");
  lines[2] = lines[2]!.replace(/"v":[0-9.]+/, '"v":999'); // the CRC no longer matches
  fs.writeFileSync(segment, lines.join("\n"));
}

describe("opening the store", () => {
  it("a failed open is not remembered: the next call opens the store", async () => {
    const root = path.join(tmp, "store");
    fs.writeFileSync(root, "not a folder"); // the store cannot be created here
    const t = new Tracker({ trackingUri: root, captureContext: false, handleExit: false, logLevel: "silent" });
    try {
      const first = await t.listExperiments().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(first).toBeInstanceOf(Error);
      fs.rmSync(root);
      const run = await t.startRun({ name: "after-the-fix" });
      await run.end();
      expect((await t.getRun(run.id)).info.status).toBe("FINISHED");
    } finally {
      await t.close();
    }
  });
});

describe("errors raised in the background", () => {
  it("are logged once per kind at warn when nothing listens, and go to the listener when one does", async () => {
    const lines: string[] = [];
    const sink: LogSink = (level, message) => lines.push(`${level}: ${message}`);
    const root = path.join(tmp, "store");
    const t = new Tracker({ trackingUri: root, captureContext: false, handleExit: false, logger: sink, logLevel: "warn" });
    try {
      const run = await t.startRun({ name: "damaged" });
      for (let i = 0; i < 5; i++) run.logMetric("m", i, { step: i });
      await run.end();
      corruptOneLine(root, run.id);
      await t.getRun(run.id);
      await t.getRun(run.id);
      const warned = lines.filter((l) => l.startsWith("warn:") && l.includes("corrupt"));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toContain('tracker.on("error"');
      expect(t.stats().lastError).toMatch(/corrupt/);

      const heard: MltrailError[] = [];
      t.on("error", (e) => heard.push(e));
      await t.getRun(run.id);
      expect(heard.length).toBeGreaterThanOrEqual(1);
      expect(heard[0]).toBeInstanceOf(MltrailError);
      expect(lines.filter((l) => l.startsWith("warn:") && l.includes("corrupt"))).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});

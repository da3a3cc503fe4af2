/**
 * Run-name sequence numbers: the count of an experiment's run folders stays exact through this
 * process's own run starts (counted without listing the folder again), other writers' runs and
 * deleted runs, and a tracker numbers its default-named runs 1, 2, 3, … in order.
 */
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";
import { RunCounter } from "../../src/store/run-count.js";

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-run-count-"));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** Gives `dir` a modification time no earlier change had, as any later change by a writer does. */
function touchedLater(dir: string, seconds: number): void {
  const at = new Date(Date.UTC(2030, 0, 1, 0, 0, seconds));
  fs.utimesSync(dir, at, at);
}

describe("RunCounter", () => {
  it("is 0 for a missing folder and counts what is there", () => {
    const counter = new RunCounter();
    const dir = path.join(root, "runs");
    expect(counter.count(dir)).toBe(0);
    for (const name of ["a", "b", "c"]) fs.mkdirSync(path.join(dir, name), { recursive: true });
    expect(counter.count(dir)).toBe(3);
  });

  it("adds this process's own entries and sees other writers' and deletions", () => {
    const counter = new RunCounter();
    const dir = path.join(root, "runs");
    fs.mkdirSync(dir);
    expect(counter.count(dir)).toBe(0);
    for (let i = 0; i < 5; i++) {
      counter.adding(dir, () => fs.mkdirSync(path.join(dir, `own-${i}`)));
      expect(counter.count(dir)).toBe(i + 1);
    }
    fs.mkdirSync(path.join(dir, "other-writer"));
    touchedLater(dir, 1);
    expect(counter.count(dir)).toBe(6);
    fs.rmdirSync(path.join(dir, "own-0"));
    touchedLater(dir, 2);
    expect(counter.count(dir)).toBe(5);
    // A change it did not make between its count and its own add: it lists again next time.
    fs.mkdirSync(path.join(dir, "racing"));
    touchedLater(dir, 3);
    counter.adding(dir, () => fs.mkdirSync(path.join(dir, "own-5")));
    expect(counter.count(dir)).toBe(fs.readdirSync(dir).length);
    expect(counter.count(dir)).toBe(7);
  });
});

describe("run names", () => {
  it("number default-named runs in order and skip the count for named runs", async () => {
    const tracker = new Tracker({ trackingUri: root, experiment: "seq", captureContext: false, handleExit: false });
    try {
      const names: string[] = [];
      for (let i = 0; i < 4; i++) {
        const run = await tracker.startRun(i === 2 ? { name: "named" } : {});
        names.push(run.name);
        await run.end();
      }
      expect(names[2]).toBe("named");
      expect([names[0], names[1], names[3]].map((n) => Number(n?.split("-").at(-1)))).toEqual([1, 2, 4]);
    } finally {
      await tracker.close();
    }
  });
});

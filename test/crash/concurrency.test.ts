/**
 * Several processes on one local store: 4 writers on 4 runs at once (creating the same
 * experiment concurrently), a reader following a run while it is written, and a second
 * process trying to append to a run another process holds (ConflictError).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "mltrail"; // the built package (self-reference); types from src for tsc
import { RunLog } from "../../src/log/run-log.js";
import { readJournal } from "../../src/log/segments.js";
import { journalDir, lockFile, requireDist, startFixture, tempStore, type Child } from "../fixtures/crash/harness.js";

const WRITERS = 4;
const COUNT = 10_000;
const EXPERIMENT = "shared-exp";

let store: { root: string; cleanup(): void };

beforeAll(() => {
  requireDist();
  store = tempStore("concurrency");
});

afterAll(() => store?.cleanup());

function expectPrefix(values: readonly number[], steps: readonly number[], ctx: string): void {
  const bad = values.findIndex((v, i) => v !== i || steps[i] !== i);
  expect(bad, `${ctx}: first bad point at index ${bad}`).toBe(-1);
}

describe("4 processes log to 4 runs of one store at once", () => {
  const children: Child[] = [];
  const runs: { runId: string; experimentId: string; pid: number }[] = [];
  const liveReads: { status: string; crashed: boolean | undefined; points: number }[] = [];
  let conflict: unknown;

  beforeAll(async () => {
    // All children create the experiment at the same wall-clock moment. Child 0 is gated: at
    // every 1000 values it waits for the parent's go-ahead file, so the parent reads its run
    // while it is written however loaded the machine is (conditions, not durations).
    const startAt = Date.now() + 1500;
    const gate = path.join(store.root, ".gate");
    for (let i = 0; i < WRITERS; i++) {
      children.push(startFixture("concurrent-logger.mjs", [store.root, EXPERIMENT, String(COUNT), String(startAt), i === 0 ? `gate:${gate}` : "0"]));
    }
    const readies = await Promise.all(children.map((c) => c.waitFor(/^ready /)));
    readies.forEach((line, i) => {
      const [, runId, experimentId] = line.split(" ") as [string, string, string];
      runs.push({ runId, experimentId, pid: children[i]?.proc.pid as number });
    });

    const followed = runs[0] as (typeof runs)[number];
    // A second writer on a run a live process holds gets a ConflictError.
    try {
      const log = await RunLog.open(
        journalDir(store.root, followed.experimentId, followed.runId),
        lockFile(store.root, followed.experimentId, followed.runId),
        `run "${followed.runId}"`,
        {
          durability: "always",
          fsyncIntervalMs: 1000,
        },
      );
      await log.close();
    } catch (err) {
      conflict = err;
    }

    // A reader follows run 0 while its child writes it.
    const reader = new Tracker({ trackingUri: store.root, captureContext: false, handleExit: false });
    const child0 = children[0] as Child;
    try {
      for (let n = 1000; n <= COUNT; n += 1000) {
        await child0.waitFor((line) => line === `progress ${n}`, 60_000);
        const rec = await reader.getRun(followed.runId);
        const history = await reader.getMetricHistory(followed.runId, "x");
        const journal = await readJournal(journalDir(store.root, followed.experimentId, followed.runId));
        expect(journal.corrupt).toEqual([]);
        const xs = journal.records.filter((r) => r.t === "m");
        journal.records.forEach((r, i) => expect(r.s).toBe(i + 1));
        expectPrefix(
          xs.map((r) => (r.t === "m" ? r.v : NaN)),
          xs.map((r) => (r.t === "m" ? r.st : NaN)),
          "journal read while writing",
        );
        expectPrefix(
          history.map((m) => m.value),
          history.map((m) => m.step),
          "history read while writing",
        );
        expect(reader.stats().lastError).toBeUndefined();
        liveReads.push({ status: rec.info.status, crashed: rec.info.crashed, points: history.length });
        fs.writeFileSync(`${gate}-${n}`, "");
      }
      await child0.waitFor(/^done /, 60_000);
    } finally {
      await reader.close();
    }
    const exits = await Promise.all(children.map((c) => c.exit(30_000)));
    exits.forEach((e, i) => expect(e.code, `child ${i}: ${children[i]?.stderr}`).toBe(0));
  });

  it("the concurrently created experiment exists exactly once, with all 4 runs", async () => {
    const reader = new Tracker({ trackingUri: store.root, captureContext: false, handleExit: false });
    try {
      const experiments = await reader.listExperiments();
      expect(experiments.filter((e) => e.name === EXPERIMENT)).toHaveLength(1);
      expect(experiments.filter((e) => e.name === "Default")).toHaveLength(1);
      expect(new Set(experiments.map((e) => e.experimentId)).size).toBe(experiments.length);
      const exp = await reader.getExperimentByName(EXPERIMENT);
      expect(new Set(runs.map((r) => r.experimentId))).toEqual(new Set([exp?.experimentId]));
      const found = await reader.searchRuns({ experiment: EXPERIMENT });
      expect(found.map((r) => r.info.runId).sort()).toEqual(runs.map((r) => r.runId).sort());
    } finally {
      await reader.close();
    }
  });

  it("every run's history is exact", async () => {
    const reader = new Tracker({ trackingUri: store.root, captureContext: false, handleExit: false });
    try {
      for (const r of runs) {
        const rec = await reader.getRun(r.runId);
        expect(rec.info.status).toBe("FINISHED");
        expect(rec.info.crashed).toBeUndefined();
        expect(rec.data.params).toEqual({ pid: String(r.pid) });
        expect(rec.data.metrics).toEqual({ x: COUNT - 1 });
        const history = await reader.getMetricHistory(r.runId, "x");
        expect(history).toHaveLength(COUNT);
        expectPrefix(
          history.map((m) => m.value),
          history.map((m) => m.step),
          `run ${r.runId}`,
        );
        const journal = await readJournal(journalDir(store.root, r.experimentId, r.runId));
        expect(journal.corrupt).toEqual([]);
        expect(journal.tailBytes).toBe(0);
      }
      expect(reader.stats().lastError).toBeUndefined();
    } finally {
      await reader.close();
    }
  });

  it("a reader sees consistent prefixes, status RUNNING, while the run is written", () => {
    const during = liveReads.filter((r) => r.status === "RUNNING" && r.points > 0 && r.points < COUNT);
    if (process.env["MLTRAIL_TEST_VERBOSE"]) console.log(`reads while writing: ${liveReads.map((r) => `${r.status}:${r.points}`).join(" ")}`);
    expect(during.length, JSON.stringify(liveReads)).toBeGreaterThanOrEqual(3);
    for (const r of liveReads) {
      expect(["RUNNING", "FINISHED"]).toContain(r.status);
      expect(r.crashed).toBeUndefined();
    }
    const points = liveReads.map((r) => r.points);
    expect(points).toEqual([...points].sort((a, b) => a - b));
  });

  it("opening a run another live process writes fails with a clear ConflictError", () => {
    const pid = runs[0]?.pid as number;
    expect(conflict).toBeInstanceOf(Error);
    const err = conflict as Error & { code?: string };
    expect(err.name).toBe("ConflictError");
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toContain(`locked by process ${pid}`);
    expect(err.message).toContain(runs[0]?.runId as string);
  });
});

describe("a second process appending to a locked run", () => {
  it("gets ConflictError naming the holder's pid while the run is open, and can open it once it ended", async () => {
    const tracker = new Tracker({ trackingUri: store.root, experiment: "locked", captureContext: false, handleExit: false });
    try {
      const run = await tracker.startRun({ name: "held-by-parent" });
      run.logMetric("x", 0, { step: 0 });
      await run.flush();
      const args = [journalDir(store.root, run.experimentId, run.id), lockFile(store.root, run.experimentId, run.id), run.id];

      const blocked = startFixture("open-locked.ts", args);
      const line = await blocked.waitFor(/^\{/);
      expect((await blocked.exit()).code, blocked.stderr).toBe(0);
      const result = JSON.parse(line) as { ok: boolean; name?: string; code?: string; message?: string };
      expect(result.ok).toBe(false);
      expect(result.name).toBe("ConflictError");
      expect(result.code).toBe("CONFLICT");
      expect(result.message).toContain(`locked by process ${process.pid}`);
      expect(result.message).toContain(run.id);

      // The refused writer changed nothing.
      expect((await tracker.getMetricHistory(run.id, "x")).map((m) => m.value)).toEqual([0]);
      await run.end();

      const allowed = startFixture("open-locked.ts", args);
      const after = JSON.parse(await allowed.waitFor(/^\{/)) as { ok: boolean };
      expect((await allowed.exit()).code, allowed.stderr).toBe(0);
      expect(after.ok).toBe(true);
      const rec = await tracker.getRun(run.id);
      expect(rec.info.status).toBe("FINISHED");
      expect((await tracker.getMetricHistory(run.id, "x")).map((m) => m.value)).toEqual([0]);
    } finally {
      await tracker.close();
    }
  });
});

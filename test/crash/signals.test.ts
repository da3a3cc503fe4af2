/**
 * Run lifecycle at process level: signals end runs KILLED with their data flushed and are
 * re-raised; user signal handlers still run; errors end runs FAILED; a closed tracker lets
 * the process exit; a run left open ends with the process (FINISHED, or FAILED on a non-zero
 * exit code).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "mltrail"; // the built package (self-reference); types from src for tsc
import { readJournal } from "../../src/log/segments.js";
import { journalDir, requireDist, startFixture, tempStore, type Child } from "../fixtures/crash/harness.js";

let store: { root: string; cleanup(): void };
let reader: Tracker;

beforeAll(() => {
  requireDist();
  store = tempStore("signals");
  reader = new Tracker({ trackingUri: store.root, captureContext: false, handleExit: false });
});

afterAll(async () => {
  await reader?.close();
  store?.cleanup();
});

function start(mode: string): Child {
  return startFixture("signals-child.mjs", [store.root, mode]);
}

async function runIdOf(child: Child): Promise<string> {
  return (await child.waitFor(/^run /)).slice(4);
}

async function loggedCount(child: Child): Promise<number> {
  return Number((await child.waitFor(/^logged /)).slice(7));
}

/** Asserts the run holds exactly metric values 0..n-1 and nothing corrupt, and returns it. */
async function expectExact(runId: string, n: number) {
  const rec = await reader.getRun(runId);
  const history = await reader.getMetricHistory(runId, "x");
  expect(history.map((m) => m.value)).toEqual(Array.from({ length: n }, (_, i) => i));
  expect(history.map((m) => m.step)).toEqual(Array.from({ length: n }, (_, i) => i));
  const journal = await readJournal(journalDir(store.root, rec.info.experimentId, runId));
  expect(journal.corrupt).toEqual([]);
  expect(journal.tailBytes).toBe(0);
  expect(reader.stats().lastError).toBeUndefined();
  // Ended by its own process: the writer lock is released.
  expect(existsSync(path.join(journalDir(store.root, rec.info.experimentId, runId), "..", "writer.lock"))).toBe(false);
  return rec;
}

describe.concurrent("signals", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} mid-logging: the process dies by ${signal}, the run is KILLED with everything logged`, async () => {
      const child = start("signal");
      const runId = await runIdOf(child);
      const n = await loggedCount(child);
      child.kill(signal);
      const exit = await child.exit();
      expect(exit.timedOut).toBe(false);
      expect(exit.signal, child.stderr).toBe(signal);
      const rec = await expectExact(runId, n);
      expect(rec.info.status).toBe("KILLED");
      expect(rec.info.crashed).toBeUndefined();
      expect(rec.info.endTime).toBeTypeOf("number");
      expect(rec.data.params).toEqual({ mode: "signal" });
    });
  }

  it("a user SIGTERM handler still runs (once); the run is KILLED and the user's exit code wins", async () => {
    const child = start("user-handler");
    const runId = await runIdOf(child);
    const n = await loggedCount(child);
    child.kill("SIGTERM");
    const exit = await child.exit();
    expect(exit.timedOut).toBe(false);
    expect(exit.signal, child.stderr).toBeNull();
    expect(exit.code, child.stderr).toBe(0);
    expect(child.lines.filter((l) => l === "user handler ran")).toHaveLength(1);
    const rec = await expectExact(runId, n);
    expect(rec.info.status).toBe("KILLED");
    expect(rec.info.crashed).toBeUndefined();
  });
});

describe.concurrent("errors and exits", () => {
  it("a throw inside withRun ends the run FAILED and the error propagates", async () => {
    const child = start("withrun-throw");
    const runId = await runIdOf(child);
    const n = await loggedCount(child);
    const exit = await child.exit();
    expect(exit.code, child.stderr).toBe(0);
    expect(child.lines).toContain("caught boom in withRun");
    expect(child.lines).not.toContain("withRun resolved");
    const rec = await expectExact(runId, n);
    expect(rec.info.status).toBe("FAILED");
    expect(rec.info.crashed).toBeUndefined();
  });

  it("an uncaught exception outside withRun: non-zero exit, the run is FAILED with everything logged", async () => {
    const child = start("uncaught");
    const runId = await runIdOf(child);
    const n = await loggedCount(child);
    const exit = await child.exit();
    expect(exit.timedOut).toBe(false);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(child.stderr).toContain("uncaught boom");
    const rec = await expectExact(runId, n);
    expect(rec.info.status).toBe("FAILED");
    expect(rec.info.crashed).toBeUndefined();
  });

  it("an unhandled promise rejection: non-zero exit, the run is FAILED with everything logged", async () => {
    const child = start("unhandled");
    const runId = await runIdOf(child);
    const n = await loggedCount(child);
    const exit = await child.exit();
    expect(exit.timedOut).toBe(false);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(child.stderr).toContain("unhandled boom");
    const rec = await expectExact(runId, n);
    expect(rec.info.status).toBe("FAILED");
  });

  it("after tracker.close() the process exits on its own (no timer keeps it alive)", async () => {
    const child = start("close");
    const runId = await runIdOf(child);
    const n = await loggedCount(child);
    const closedLine = await child.waitFor(/^closed /);
    const exit = await child.exit(10_000);
    const lingerMs = Date.now() - Number(closedLine.slice(7));
    expect(exit.timedOut, `still running 10 s after close()`).toBe(false);
    expect(exit.code, child.stderr).toBe(0);
    if (process.env["MLTRAIL_TEST_VERBOSE"]) console.log(`exited ~${lingerMs} ms after close()`);
    const rec = await expectExact(runId, n);
    expect(rec.info.status).toBe("FINISHED");
  });

  it("a run never ended, process returns normally (exit 0): FINISHED with all records", async () => {
    const child = start("forget-end");
    const runId = await runIdOf(child);
    const n = await loggedCount(child);
    const exit = await child.exit();
    expect(exit.timedOut, "the open run kept the process alive").toBe(false);
    expect(exit.code, child.stderr).toBe(0);
    const rec = await expectExact(runId, n);
    expect(rec.info.status).toBe("FINISHED");
    expect(rec.info.crashed).toBeUndefined();
    expect(rec.info.endTime).toBeTypeOf("number");
  });

  it("process.exit() in a steady loop whose writes the writer thread makes: FINISHED with all records", async () => {
    const child = start("exit-in-loop");
    const runId = await runIdOf(child);
    const n = await loggedCount(child);
    const exit = await child.exit();
    expect(exit.code, child.stderr).toBe(0);
    const rec = await expectExact(runId, n);
    expect(rec.info.status).toBe("FINISHED");
  });

  it("a run never ended with process.exitCode = 3: FAILED with all records", async () => {
    const child = start("forget-end-exitcode");
    const runId = await runIdOf(child);
    const n = await loggedCount(child);
    const exit = await child.exit();
    expect(exit.timedOut).toBe(false);
    expect(exit.code, child.stderr).toBe(3);
    const rec = await expectExact(runId, n);
    expect(rec.info.status).toBe("FAILED");
  });
});

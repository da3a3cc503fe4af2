/**
 * `startRun({ resume })` with the real MLflow server: a child logs steadily through a slow
 * replicator and is SIGKILLed mid-replication; the run is then continued (a) by a tracker on the
 * same run log, and (b) on "another machine", a tracker with an empty run log that reads the
 * run from the server. Either way the same server run gets the new points with steps that
 * continue, no point twice, and the new status and end time.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Child } from "../fixtures/crash/harness.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";
import { ensureDist, kv, newTracker, replicationFixturesDir, serverHistory, serverRun, tempDir, waitUntil } from "../fixtures/replication/harness.js";

beforeAll(async () => {
  await ensureDist();
}, 200_000);

const dirs: { cleanup(): void }[] = [];
afterAll(() => {
  for (const d of dirs) d.cleanup();
});

/** Runs the logging child until the server has part of the run, then SIGKILLs it. */
async function crashChild(prefix: string): Promise<{ experiment: string; spoolDir: string; runId: string }> {
  const spool = tempDir(prefix);
  dirs.push(spool);
  const experiment = uniqueName(prefix);
  const child = new Child(process.execPath, [path.join(replicationFixturesDir, "remote-logger.mjs"), spool.dir, mlflowUri(), experiment], {});
  const [, runId] = (await child.waitFor(/^ready /, 30_000)).split(" ") as [string, string];
  await child.waitFor((line) => {
    const m = /^flushed (\d+) acked (\d+) pending (\d+)$/.exec(line);
    return m !== null && Number(m[2]) >= 300 && Number(m[3]) >= 300;
  }, 40_000);
  child.kill("SIGKILL");
  expect((await child.exit()).signal).toBe("SIGKILL");
  return { experiment, spoolDir: spool.dir, runId };
}

/** Continues the run with 100 more points of "x" from where it stopped; returns the first new step and the end time. */
async function continueRun(spoolDir: string, experiment: string, runId: string): Promise<{ from: number; endTime: number; acked: number }> {
  const t = newTracker(spoolDir, experiment);
  try {
    const run = await t.startRun({ resume: runId });
    expect(run.id).toBe(runId);
    const from = (run.lastStep("x") ?? -1) + 1;
    expect(from).toBeGreaterThan(0);
    for (let step = from; step < from + 100; step++) run.logMetric("x", step, { step });
    const before = Date.now();
    await run.end();
    const flushed = await t.flush({ timeoutMs: 90_000 });
    expect(flushed.pending).toBe(0);
    const endTime = Number((await serverRun(runId)).info.end_time);
    expect(endTime).toBeGreaterThanOrEqual(before);
    return { from, endTime, acked: flushed.acked };
  } finally {
    await t.close({ timeoutMs: 5000 });
  }
}

/** The server's history of "x": steps 0..last, each once, value = step. */
async function expectContiguous(runId: string, last: number): Promise<void> {
  const history = (await serverHistory(runId, "x")).sort((a, b) => a.step - b.step);
  expect(history.map((m) => m.step)).toEqual(Array.from({ length: last + 1 }, (_, i) => i));
  expect(history.every((m) => m.value === m.step)).toBe(true);
}

describe("resume after SIGKILL on the MLflow server", () => {
  it("(a) on the same machine: the run log's run continues, everything reaches the server once, FINISHED", async () => {
    const c = await crashChild("resume-same");
    const { from } = await continueRun(c.spoolDir, c.experiment, c.runId);
    await expectContiguous(c.runId, from + 99);
    const remote = await serverRun(c.runId);
    expect(remote.info.status).toBe("FINISHED");
    expect(remote.info.run_name).toBe("crashing");
    expect(kv(remote.data.params)).toEqual({ lr: "0.001", seed: "42" });
  }, 240_000);

  it("(b) on another machine (an empty run log): the server's run continues from its last step, FINISHED", async () => {
    const c = await crashChild("resume-other");
    // A request of the dead process may still land: wait until the server's rows stop changing.
    let seen = -1;
    expect(
      await waitUntil(
        async () => {
          const n = (await serverHistory(c.runId, "x")).length;
          const stable = n === seen;
          seen = n;
          return stable;
        },
        30_000,
        500,
      ),
    ).toBe(true);
    const onServer = (await serverHistory(c.runId, "x")).length;
    expect((await serverRun(c.runId)).info.status).toBe("RUNNING"); // nobody ended it
    const other = tempDir("resume-other-machine");
    dirs.push(other);
    const { from, acked } = await continueRun(other.dir, c.experiment, c.runId);
    expect(from).toBe(onServer); // steps continue after the server's last one
    expect(acked).toBe(101); // the 100 new points and the end: nothing the server had was sent again
    await expectContiguous(c.runId, from + 99);
    const remote = await serverRun(c.runId);
    expect(remote.info.status).toBe("FINISHED");
    expect(kv(remote.data.params)).toEqual({ lr: "0.001", seed: "42" });
    expect(remote.info.run_name).toBe("crashing");
  }, 240_000);

  it("(c) a run that ended on the server reads RUNNING there while resumed, then its new end", async () => {
    const spool = tempDir("resume-ended");
    dirs.push(spool);
    const experiment = uniqueName("resume-ended");
    const t = newTracker(spool.dir, experiment);
    try {
      const run = await t.startRun({ name: "ended-first" });
      run.logMetric("x", 0, { step: 0 });
      await run.end();
      expect((await t.flush({ timeoutMs: 90_000 })).pending).toBe(0);
      const first = await serverRun(run.id);
      expect(first.info.status).toBe("FINISHED");

      const again = await t.startRun({ resume: run.id });
      again.logMetric("x", 1, { step: 1 });
      expect((await t.flush({ timeoutMs: 90_000 })).pending).toBe(0);
      expect((await serverRun(run.id)).info.status).toBe("RUNNING");
      await again.end({ status: "FAILED" });
      expect((await t.flush({ timeoutMs: 90_000 })).pending).toBe(0);
      const last = await serverRun(run.id);
      expect(last.info.status).toBe("FAILED");
      expect(Number(last.info.end_time)).toBeGreaterThanOrEqual(Number(first.info.end_time));
      expect((await serverHistory(run.id, "x")).map((m) => m.step).sort()).toEqual([0, 1]);
    } finally {
      await t.close({ timeoutMs: 5000 });
    }
  }, 240_000);
});

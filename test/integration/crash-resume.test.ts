/**
 * Crash and resume against the real server: a child logs steadily through a slow replicator and
 * is SIGKILLed mid-replication. Then (a) a new Tracker on the same spool (drainOnStart, the
 * default) and, separately, (b) `mltrail sync` complete the replication. In both the server
 * ends up holding exactly what the child's run log holds (everything that reached the journal
 * before the kill, at least all it reported durable), without duplicate rows or runs, and the
 * run is KILLED (the drain appends a KILLED end record for a run whose writer died).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JournalRecord } from "../../src/log/record.js";
import { readJournal } from "../../src/log/segments.js";
import { Child } from "../fixtures/crash/harness.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";
import {
  ensureDist,
  kv,
  newTracker,
  replicationFixturesDir,
  runCli,
  serverHistory,
  serverRun,
  serverRuns,
  tempDir,
  waitUntil,
} from "../fixtures/replication/harness.js";

beforeAll(async () => {
  await ensureDist();
}, 200_000);

interface Crashed {
  readonly experiment: string;
  readonly spoolDir: string;
  readonly runId: string;
  readonly journalDir: string;
  /** Highest n of "flushed n": values 0..n-1 were durable before the kill. */
  readonly flushed: number;
  /** Highest acked count the child reported. */
  readonly ackedByChild: number;
  /** Metric rows on the server right after the kill. */
  readonly serverRowsAtKill: number;
  readonly ms: number;
}

/** Starts the logging child, waits until replication is well under way but behind, SIGKILLs it. */
async function crashChild(prefix: string, spoolDir: string): Promise<Crashed> {
  const started = Date.now();
  const experiment = uniqueName(prefix);
  const child = new Child(process.execPath, [path.join(replicationFixturesDir, "remote-logger.mjs"), spoolDir, mlflowUri(), experiment], {});
  const ready = await child.waitFor(/^ready /, 30_000);
  const [, runId, localExperimentId] = ready.split(" ") as [string, string, string];
  // Mid-replication: the server has acknowledged some records and is clearly behind the log.
  await child.waitFor((line) => {
    const m = /^flushed (\d+) acked (\d+) pending (\d+)$/.exec(line);
    return m !== null && Number(m[2]) >= 300 && Number(m[3]) >= 500;
  }, 40_000);
  child.kill("SIGKILL");
  const exit = await child.exit();
  expect(exit.signal).toBe("SIGKILL");
  let flushed = 0;
  let ackedByChild = 0;
  for (const line of child.lines) {
    const m = /^flushed (\d+) acked (\d+)/.exec(line);
    if (m) {
      flushed = Math.max(flushed, Number(m[1]));
      ackedByChild = Math.max(ackedByChild, Number(m[2]));
    }
  }
  const serverRowsAtKill = (await serverHistory(runId, "x")).length;
  return {
    experiment,
    spoolDir,
    runId,
    journalDir: path.join(spoolDir, "experiments", localExperimentId, "runs", runId, "journal"),
    flushed,
    ackedByChild,
    serverRowsAtKill,
    ms: Date.now() - started,
  };
}

/** The server holds exactly what the run log holds; the run is KILLED. */
async function expectServerMatchesJournal(c: Crashed): Promise<void> {
  const journal = await readJournal(c.journalDir);
  expect(journal.corrupt).toEqual([]);
  journal.records.forEach((r, i) => expect(r.s, `record ${i}`).toBe(i + 1));
  const metrics = journal.records.filter((r): r is Extract<JournalRecord, { t: "m" }> => r.t === "m");
  const last = journal.records[journal.records.length - 1];
  expect(last?.t === "end" ? last.status : last?.t, "the drain ends a crashed run KILLED").toBe("KILLED");
  expect(journal.records.filter((r) => r.t === "end")).toHaveLength(1);
  // Everything the child reported durable is in the log, in order.
  expect(metrics.length).toBeGreaterThanOrEqual(c.flushed);
  metrics.forEach((m, i) => expect([m.k, m.v, m.st], `metric ${i}`).toEqual(["x", i, i]));

  const remote = await serverRun(c.runId);
  expect(remote.info.status).toBe("KILLED");
  expect(Number(remote.info.end_time)).toBe(last?.ts);
  const history = (await serverHistory(c.runId, "x")).sort((a, b) => a.step - b.step);
  expect(history.length, "metric rows on the server (no loss, no duplicates)").toBe(metrics.length);
  expect(history.map((m) => [m.step, m.value, m.timestamp])).toEqual(metrics.map((m) => [m.st, m.v, m.ts]));
  const params: Record<string, string> = {};
  const tags: Record<string, string> = {};
  for (const r of journal.records) {
    if (r.t === "p") params[r.k] = r.v;
    if (r.t === "t") tags[r.k] = r.v;
  }
  expect(kv(remote.data.params)).toEqual(params);
  expect(params).toEqual({ lr: "0.001", seed: "42" });
  expect(kv(remote.data.tags)).toMatchObject(tags);
  expect(tags["progress"]).toBe(String(Math.floor((metrics.length - 1) / 100) * 100));
  expect((remote.data.metrics as { key: string; value: number }[]).find((m) => m.key === "x")?.value).toBe(metrics.length - 1);
}

describe("SIGKILL mid-replication, then resume", () => {
  const dirs: { cleanup(): void }[] = [];
  afterAll(() => {
    for (const d of dirs) d.cleanup();
  });

  it("(a) a new Tracker on the same spool drains the crashed run to the server", async () => {
    const spool = tempDir("crash-resume-a");
    dirs.push(spool);
    const c = await crashChild("crash-resume-a", spool.dir);
    const before = await readJournal(c.journalDir);
    expect(before.records.some((r) => r.t === "end")).toBe(false);
    // Killed mid-replication: the server had part of the log.
    const loggedAtKill = before.records.filter((r) => r.t === "m").length;
    expect(c.serverRowsAtKill).toBeGreaterThan(0);
    expect(c.serverRowsAtKill).toBeLessThan(loggedAtKill);
    expect((await serverRun(c.runId)).info.status).toBe("RUNNING");

    const resumedAt = Date.now();
    const t = newTracker(c.spoolDir, c.experiment);
    try {
      // A new training process: its first run opens the tracker, which claims the crashed run.
      const next = await t.startRun({ name: "resumed" });
      next.logMetric("y", 1);
      await next.end();
      const done = await waitUntil(async () => (await serverRun(c.runId)).info.status === "KILLED", 60_000, 200);
      expect(done, `the crashed run was not completed; stats ${JSON.stringify(t.stats())}`).toBe(true);
      const flushed = await t.flush({ timeoutMs: 30_000 });
      expect(flushed).toMatchObject({ pending: 0, rejected: 0 });
      console.log(
        `[crash-resume a] killed after ${c.ms} ms (flushed ${c.flushed}, server rows ${c.serverRowsAtKill}/${loggedAtKill}); drained in ${Date.now() - resumedAt} ms`,
      );
      await expectServerMatchesJournal(c);
      expect(t.stats().lastError).toBeUndefined();
    } finally {
      await t.close({ timeoutMs: 5000 });
    }
    // No duplicate runs: the crashed one and the new one.
    expect((await serverRuns(c.experiment)).map((r) => r.info.run_name).sort()).toEqual(["crashing", "resumed"]);
  });

  it("(b) `mltrail sync` completes the crashed run; a second sync sends nothing", async () => {
    const spool = tempDir("crash-resume-b");
    dirs.push(spool);
    const c = await crashChild("crash-resume-b", spool.dir);
    const loggedAtKill = (await readJournal(c.journalDir)).records.filter((r) => r.t === "m").length;
    expect(c.serverRowsAtKill).toBeGreaterThan(0);
    expect(c.serverRowsAtKill).toBeLessThan(loggedAtKill);

    const res = await runCli(["sync", "--dir", c.spoolDir, "--to", mlflowUri()]);
    expect(res.code, `stdout:\n${res.stdout}\nstderr:\n${res.stderr}`).toBe(0);
    expect(res.stdout).toMatch(/synced 1 run\(s\): \d+ records sent, 0 rejected, 0 still pending/);
    console.log(
      `[crash-resume b] killed after ${c.ms} ms (flushed ${c.flushed}, server rows ${c.serverRowsAtKill}/${loggedAtKill}); sync took ${res.ms} ms: ${res.stdout.trim()}`,
    );
    await expectServerMatchesJournal(c);

    const again = await runCli(["sync", "--dir", c.spoolDir, "--to", mlflowUri()]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/synced 0 run\(s\): 0 records sent/);
    await expectServerMatchesJournal(c);
    expect((await serverRuns(c.experiment)).map((r) => r.info.run_name)).toEqual(["crashing"]);
  });
});

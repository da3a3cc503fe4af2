/**
 * Offline mode, then `mltrail sync` (the built CLI, as a child process) twice: the second run
 * sends nothing, and the server state is identical after both: same runs, same rows, no
 * duplicates. Also `syncRuns({ runId })` for one run only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syncRuns } from "../../src/index.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";
import { ensureDist, experimentSnapshot, newTracker, runCli, serverRuns, tempDir } from "../fixtures/replication/harness.js";

beforeAll(async () => {
  await ensureDist();
}, 200_000);

/** What the offline tracker logs per run. */
interface Logged {
  readonly id: string;
  readonly name: string;
  readonly status: "FINISHED" | "FAILED" | "KILLED";
  readonly params: Record<string, string>;
  readonly tags: Record<string, string>;
  /** key -> [step, value, timestamp][] */
  readonly metrics: Record<string, [number, number, number][]>;
}

describe("offline, then `mltrail sync` twice", () => {
  const experiment = uniqueName("offline-sync");
  const spool = tempDir("offline-sync");
  const logged: Logged[] = [];
  afterAll(() => spool.cleanup());

  beforeAll(async () => {
    const t = newTracker(spool.dir, experiment, { mode: "offline" });
    const statuses = ["FINISHED", "FAILED", "KILLED"] as const;
    for (let r = 0; r < 3; r++) {
      const name = `offline-${r}`;
      const status = statuses[r] as (typeof statuses)[number];
      const run = await t.startRun({ name, params: { lr: 0.1 * (r + 1), arch: `net${r}` }, tags: { phase: "first" } });
      const metrics: Logged["metrics"] = { loss: [], acc: [] };
      const t0 = 1_760_000_000_000 + r * 1_000_000;
      for (let i = 0; i < 1500; i++) {
        run.logMetric("loss", 1 / (i + 1), { step: i, timestamp: t0 + i });
        metrics.loss?.push([i, 1 / (i + 1), t0 + i]);
        if (i % 10 === 0) {
          run.logMetric("acc", i / 1500, { step: i, timestamp: t0 + i });
          metrics.acc?.push([i, i / 1500, t0 + i]);
        }
      }
      run.setTag("phase", "done");
      await run.end({ status });
      logged.push({ id: run.id, name, status, params: { lr: String(0.1 * (r + 1)), arch: `net${r}` }, tags: { phase: "done" }, metrics });
    }
    expect(t.stats()).toMatchObject({ state: "OFFLINE", acked: 0, rejected: 0 });
    await t.close();
    // Nothing went to the server while offline.
    expect(await serverRuns(experiment)).toEqual([]);
  });

  let first: Awaited<ReturnType<typeof experimentSnapshot>>;

  it("the first sync replicates the 3 runs: exit 0 and a summary", async () => {
    const res = await runCli(["sync", "--dir", spool.dir, "--to", mlflowUri()]);
    expect(res.code, `stdout:\n${res.stdout}\nstderr:\n${res.stderr}`).toBe(0);
    // 3 × (1500 loss + 150 acc + 2 params + 2 initial tags (phase, runName) + 1 tag + end)
    const records = 3 * (1500 + 150 + 2 + 2 + 1 + 1);
    expect(res.stdout).toMatch(new RegExp(`synced 3 run\\(s\\): ${records} records sent, 0 rejected, 0 still pending`));
    console.log(`[offline-sync] first sync: ${res.ms} ms`);

    first = await experimentSnapshot(experiment);
    expect(Object.keys(first).sort()).toEqual(logged.map((l) => l.name).sort());
    for (const l of logged) {
      const s = first[l.name];
      expect(s, l.name).toBeDefined();
      if (s === undefined) continue;
      expect(s.status, l.name).toBe(l.status);
      expect(s.endTime, l.name).toBeGreaterThan(0);
      expect(s.params, l.name).toEqual(l.params);
      expect(s.tags, l.name).toMatchObject({ ...l.tags, "mlflow.runName": l.name });
      for (const [key, points] of Object.entries(l.metrics)) {
        const history = s.history[key] ?? [];
        expect(history.length, `${l.name} ${key}: rows on the server`).toBe(points.length);
        expect(
          history.map((m) => [m.step, m.value, m.timestamp]),
          `${l.name} ${key}`,
        ).toEqual(points);
      }
    }
  });

  it("a second sync sends nothing and changes nothing", async () => {
    const res = await runCli(["sync", "--dir", spool.dir, "--to", mlflowUri()]);
    expect(res.code, `stdout:\n${res.stdout}\nstderr:\n${res.stderr}`).toBe(0);
    expect(res.stdout).toMatch(/synced 0 run\(s\): 0 records sent, 0 rejected, 0 still pending/);
    const json = await runCli(["sync", "--dir", spool.dir, "--to", mlflowUri(), "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ runs: 0, acked: 0, rejected: 0, pending: 0, errors: [] });

    const second = await experimentSnapshot(experiment);
    expect(second).toEqual(first);
    expect(await serverRuns(experiment)).toHaveLength(3);
  });
});

describe("syncRuns({ runId }) sends one run only", () => {
  it("only the named run goes; a later full sync sends the rest without duplicating it", async () => {
    const experiment = uniqueName("sync-one");
    const spool = tempDir("sync-one");
    try {
      const t = newTracker(spool.dir, experiment, { mode: "offline" });
      const ids: string[] = [];
      for (const name of ["a", "b", "c"]) {
        const run = await t.startRun({ name });
        for (let i = 0; i < 20; i++) run.logMetric("x", i, { step: i });
        await run.end();
        ids.push(run.id);
      }
      await t.close();

      const one = await syncRuns({ spoolDir: spool.dir, trackingUri: mlflowUri(), runId: ids[1] as string, logLevel: "error" });
      expect(one).toMatchObject({ runs: 1, acked: 20 + 1 + 1, rejected: 0, pending: 0, errors: [] });
      let snap = await experimentSnapshot(experiment);
      expect(Object.keys(snap)).toEqual(["b"]);
      expect(snap["b"]?.history["x"]).toHaveLength(20);
      expect(snap["b"]?.status).toBe("FINISHED");

      // The same run again (by its local id): nothing to send.
      expect(await syncRuns({ spoolDir: spool.dir, trackingUri: mlflowUri(), runId: ids[1] as string, logLevel: "error" })).toMatchObject({
        runs: 0,
        acked: 0,
        pending: 0,
      });
      // By its server id too.
      const serverId = snap["b"]?.runId as string;
      expect(await syncRuns({ spoolDir: spool.dir, trackingUri: mlflowUri(), runId: serverId, logLevel: "error" })).toMatchObject({
        runs: 0,
        acked: 0,
        pending: 0,
      });

      const rest = await syncRuns({ spoolDir: spool.dir, trackingUri: mlflowUri(), logLevel: "error" });
      expect(rest).toMatchObject({ runs: 2, acked: 2 * 22, pending: 0, errors: [] });
      snap = await experimentSnapshot(experiment);
      expect(Object.keys(snap).sort()).toEqual(["a", "b", "c"]);
      for (const name of ["a", "b", "c"])
        expect(
          snap[name]?.history["x"]?.map((m) => m.value),
          name,
        ).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(snap["b"]?.runId).toBe(serverId);
    } finally {
      spool.cleanup();
    }
  });
});

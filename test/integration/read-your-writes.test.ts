/**
 * Read-your-writes against the real MLflow server: right after `withRun`, reads through the
 * tracker reflect everything it logged, though the server has not acknowledged it (a proxy
 * answers 503 to log-batch and runs/update, so only the run's creation at start reaches the
 * server; every read passes), and releases record the run's complete facts.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Tracker, TrackerOptions } from "../../src/index.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";
import { kv, newTracker, serverRun, tempDir } from "../fixtures/replication/harness.js";
import { FaultProxy, status } from "../support/fault-proxy.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await FaultProxy.start(mlflowUri());
});
afterAll(async () => {
  await proxy.close();
});

/** Holds back every record (log-batch) and every run end (runs/update) until the returned function is called. */
function holdWrites(): () => void {
  const offs = ["/runs/log-batch", "/runs/update"].map((path) => proxy.use(path, status(503)));
  return () => {
    for (const off of offs) off();
  };
}

/** A tracker on the proxy with a fresh log. */
function lazyTracker(experiment: string, extra: TrackerOptions = {}): Tracker {
  const spool = tempDir("ryw");
  const t = newTracker(spool.dir, experiment, { trackingUri: proxy.url, ...extra });
  cleanups.push(spool.cleanup, async () => void (await t.close({ timeoutMs: 30_000 })));
  return t;
}

async function train(t: Tracker, name: string, params: Record<string, string | number>, losses: number[], parentRunId?: string): Promise<string> {
  return t.withRun({ name, params, ...(parentRunId === undefined ? {} : { parentRunId }) }, (run) => {
    for (const [step, loss] of losses.entries()) run.logMetrics({ loss, acc: 1 - loss }, { step });
    run.setTag("stage", "done");
    return run.id;
  });
}

describe("read-your-writes right after withRun", () => {
  it("the quickstart reads back exactly what it logged; the best run by loss is this invocation's", async () => {
    const experiment = uniqueName("ryw-quickstart");
    // An earlier invocation, fully sent: its best loss is 0.3.
    const earlier = lazyTracker(experiment);
    const old = await train(earlier, "earlier", { lr: 0.1 }, [0.9, 0.3]);
    expect(await earlier.close({ timeoutMs: 60_000 })).toMatchObject({ pending: 0 });

    const t = lazyTracker(experiment);
    const release = holdWrites();
    cleanups.push(release);
    const a = await train(t, "lr-0.01", { lr: 0.01, optimizer: "adam" }, [0.8, 0.4, 0.2]);
    const b = await train(t, "lr-0.001", { lr: 0.001, optimizer: "adam" }, [0.7, 0.5, 0.25]);
    expect(t.stats().pending).toBeGreaterThan(0); // the server really lacks the records
    const onServer = await serverRun(a);
    expect(onServer.info.status).toBe("RUNNING");
    expect(kv(onServer.data.params)).toEqual({});

    const runA = await t.getRun(a);
    expect(runA.info).toMatchObject({ runId: a, name: "lr-0.01", status: "FINISHED" });
    expect(runA.data.params).toEqual({ lr: "0.01", optimizer: "adam" });
    expect(runA.data.metrics).toEqual({ loss: 0.2, acc: 0.8 });
    expect(runA.data.tags).toMatchObject({ stage: "done", "mlflow.runName": "lr-0.01" });
    expect((await t.getMetricHistory(b, "loss")).map((m) => [m.step, m.value])).toEqual([
      [0, 0.7],
      [1, 0.5],
      [2, 0.25],
    ]);
    expect(Object.keys(await t.getMetricHistories(a)).sort()).toEqual(["acc", "loss"]);

    const best = await t.searchRuns({ orderBy: ["metrics.loss ASC"], maxResults: 1 });
    expect(best.map((r) => r.info.name)).toEqual(["lr-0.01"]);
    const all = await t.searchRuns({ filter: "params.optimizer = 'adam'", orderBy: ["metrics.loss ASC"] });
    expect(all.map((r) => [r.info.runId, r.data.metrics.loss])).toEqual([
      [a, 0.2],
      [b, 0.25],
    ]);
    // Pages of the same search, MLflow's page tokens: the same runs in the same order.
    const page1 = await t.searchRunsPage({ filter: "params.optimizer = 'adam'", orderBy: ["metrics.loss ASC"], maxResults: 1 });
    expect(page1.runs.map((r) => r.info.runId)).toEqual([a]);
    const page2 = await t.searchRunsPage({ filter: "params.optimizer = 'adam'", orderBy: ["metrics.loss ASC"], maxResults: 1, pageToken: page1.nextPageToken });
    expect(page2.runs.map((r) => [r.info.runId, r.data.metrics.loss])).toEqual([[b, 0.25]]);
    expect(page2.nextPageToken).toBeUndefined();
    const everything = await t.searchRuns();
    expect(everything.map((r) => r.info.runId).sort()).toEqual([a, b, old].sort());
    expect(new Set(everything.map((r) => r.info.experimentId)).size).toBe(1); // server ids for all

    const cmp = await t.compareRuns([a, b]);
    expect(cmp.metrics.loss?.best).toMatchObject({ runId: a, value: 0.2 });
    const lineage = await t.lineage({ runId: b });
    expect(lineage.run).toMatchObject({ params: { lr: "0.001", optimizer: "adam" }, metrics: { loss: 0.25, acc: 0.75 }, status: "FINISHED" });

    const out = tempDir("ryw-report");
    cleanups.push(out.cleanup);
    const report = await t.report({ experiment, output: path.join(out.dir, "r.html") });
    expect(report.data.comparison.runs.map((r) => [r.name, r.status]).sort()).toEqual([
      ["earlier", "FINISHED"],
      ["lr-0.001", "FINISHED"],
      ["lr-0.01", "FINISHED"],
    ]);
    expect(report.data.comparison.metrics.loss?.best).toMatchObject({ runId: a });

    // Once sent, the server answers the same.
    release();
    expect(await t.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0 });
    expect((await t.getRun(a)).data).toMatchObject({ params: runA.data.params, metrics: runA.data.metrics });
  });

  it("a sweep of child runs, then registerModel: the releases record the right params, metrics and commit", async () => {
    const experiment = uniqueName("ryw-sweep");
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    const t = lazyTracker(experiment, { captureContext: true });
    cleanups.push(holdWrites()); // released before the tracker closes
    const parent = await t.startRun({ name: "sweep" });
    const base = { batch_size: 32, epochs: 3, optimizer: "adam" };
    const children: { id: string; lr: number }[] = [];
    for (const lr of [0.1, 0.01]) children.push({ lr, id: await train(t, `lr-${lr}`, { ...base, lr }, [0.9, 0.4 + lr], parent.id) });
    await parent.end();
    const model = uniqueName("ryw-model");

    const first = await t.registerModel(model, { runId: (children[0] as { id: string }).id, rationale: "baseline" });
    expect(first.version).toBe("1.0.0");
    expect(first.params).toEqual({ batch_size: "32", epochs: "3", optimizer: "adam", lr: "0.1" });
    expect(first.metrics).toEqual({ loss: 0.5, acc: 0.5 });
    expect(first.gitCommit).toBe(commit);

    const second = await t.registerModel(model, { runId: (children[1] as { id: string }).id, rationale: "lower lr" });
    expect(second.version).toBe("1.1.0");
    expect(second.changes.filter((c) => c.startsWith("params"))).toEqual(["params changed (lr)"]);
    const loss = 0.4 + 0.01; // as logged
    expect(second.metrics).toEqual({ loss, acc: 1 - loss });

    // What the server keeps (read by a tracker with an empty log) says the same.
    const reader = lazyTracker(experiment);
    const stored = await reader.getModelVersion(model, "1.0.0");
    expect(stored).toMatchObject({ params: first.params, metrics: first.metrics, gitCommit: commit });
    expect((await reader.getModelVersion(model, "1.1.0")).changes).toEqual(second.changes);
  });
});

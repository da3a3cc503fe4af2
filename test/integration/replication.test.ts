/**
 * Replication to the real MLflow 3.18 server of the integration project, checked by reading the
 * server back through its raw REST API (test/support/mlflow.ts), never through the SDK under test.
 * Every test uses its own experiment (the server is shared).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { syncRuns, Tracker } from "../../src/index.js";
import type { RunRecord } from "../../src/index.js";
import { mlflowPost, mlflowUri, uniqueName } from "../support/mlflow.js";
import { experimentIdByName, kv, newTracker, serverHistory, serverRun, serverRuns, tempDir } from "../fixtures/replication/harness.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A tracker on the shared server with a fresh spool folder, closed and removed after the test. */
function tracker(prefix: string, extra: ConstructorParameters<typeof Tracker>[0] = {}): { tracker: Tracker; experiment: string; spoolDir: string } {
  const experiment = uniqueName(prefix);
  const spool = tempDir(prefix);
  const t = newTracker(spool.dir, experiment, extra);
  cleanups.push(spool.cleanup, async () => void (await t.close({ timeoutMs: 5000 })));
  return { tracker: t, experiment, spoolDir: spool.dir };
}

/** Flushes and asserts that everything reached the server. */
async function flushAll(t: Tracker): Promise<void> {
  const result = await t.flush({ timeoutMs: 60_000 });
  expect(result, `stats: ${JSON.stringify(t.stats())}`).toMatchObject({ pending: 0, rejected: 0 });
}

/** Metric values as MLflow returns them in JSON: numbers, or "NaN"/"Infinity" strings. */
function num(v: number | string): number {
  return typeof v === "number" ? v : Number(v);
}

describe("round trip of experiments, runs, params, metrics, tags and statuses", () => {
  it("an online run: run.id is the server's id; everything logged reads back exactly", async () => {
    const { tracker: t, experiment } = tracker("rt-basic");
    const run = await t.startRun({ name: "baseline", params: { lr: 0.001, layers: 3, amp: true }, tags: { team: "growth" }, description: "first try" });
    run.logParam("optimizer", "adam");
    const t0 = 1_760_000_000_000;
    for (let i = 0; i < 50; i++) run.logMetric("loss", 1 / (i + 1), { step: i, timestamp: t0 + i * 10 });
    for (let i = 0; i < 5; i++) run.logMetrics({ acc: 0.5 + i / 10, f1: 0.4 + i / 10 }, { step: i * 2, timestamp: t0 + i });
    run.logMetric("loss", 0.5, { step: 3, timestamp: t0 + 999 }); // a second point at an existing step
    run.setTag("stage", "tuning");
    run.setTag("stage", "final"); // last write wins
    run.setTags({ a: 1, b: false });
    await run.end();
    await flushAll(t);

    // The experiment exists on the server under its name, and holds this one run.
    const experimentId = await experimentIdByName(experiment);
    expect(experimentId).toMatch(/^\d+$/);
    const runs = await serverRuns(experiment);
    expect(runs.map((r) => r.info.run_id)).toEqual([run.id]);

    // run.id is the server's run id.
    const remote = await serverRun(run.id);
    expect(remote.info.run_id).toBe(run.id);
    expect(run.remoteId ?? run.id).toBe(run.id);
    expect(remote.info).toMatchObject({ experiment_id: experimentId, run_name: "baseline", status: "FINISHED", lifecycle_stage: "active" });
    expect(Number(remote.info.start_time)).toBe(run.startTime);
    expect(Number(remote.info.end_time)).toBeGreaterThanOrEqual(run.startTime);

    expect(kv(remote.data.params)).toEqual({ lr: "0.001", layers: "3", amp: "true", optimizer: "adam" });
    const tags = kv(remote.data.tags);
    expect(tags).toMatchObject({ team: "growth", stage: "final", a: "1", b: "false", "mlflow.runName": "baseline", "mlflow.note.content": "first try" });

    // Full histories, every point with its step and timestamp.
    const loss = await serverHistory(run.id, "loss");
    const expectedLoss = [
      ...Array.from({ length: 50 }, (_, i) => ({ key: "loss", value: 1 / (i + 1), step: i, timestamp: t0 + i * 10 })),
      { key: "loss", value: 0.5, step: 3, timestamp: t0 + 999 },
    ];
    const order = (a: { step: number; timestamp: number }, b: { step: number; timestamp: number }) => a.step - b.step || a.timestamp - b.timestamp;
    expect(loss.map((m) => ({ ...m, value: num(m.value) })).sort(order)).toEqual(expectedLoss.sort(order));
    const acc = await serverHistory(run.id, "acc");
    expect(acc.map((m) => [m.step, num(m.value)]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual(
      Array.from({ length: 5 }, (_, i) => [i * 2, 0.5 + i / 10]),
    );
    expect((await serverHistory(run.id, "f1")).length).toBe(5);
    // Latest values as MLflow folds them: greatest (step, timestamp, value).
    expect(Object.fromEntries((remote.data.metrics as { key: string; value: number }[]).map((m) => [m.key, m.value]))).toEqual({
      loss: 1 / 50,
      acc: 0.9,
      f1: 0.8,
    });

    // The tracker reads the same through the server.
    const viaSdk = await t.getRun(run.id);
    expect(viaSdk.info).toMatchObject({ runId: run.id, status: "FINISHED", name: "baseline" });
    expect(viaSdk.data.params).toEqual(kv(remote.data.params));
    expect((await t.getMetricHistory(run.id, "loss")).length).toBe(51);
    expect(t.stats()).toMatchObject({ state: "UP", pending: 0, rejected: 0 });
  });

  it("statuses: FINISHED (withRun returns), FAILED (withRun throws), KILLED (end({ status }))", async () => {
    const { tracker: t } = tracker("rt-status");
    const ok = await t.withRun({ name: "ok" }, (run) => {
      run.logMetric("m", 1);
      return run.id;
    });
    let failedId = "";
    await expect(
      t.withRun({ name: "boom" }, (run) => {
        failedId = run.id;
        run.logMetric("m", 2);
        throw new Error("training diverged");
      }),
    ).rejects.toThrow("training diverged");
    const killed = await t.startRun({ name: "stopped" });
    killed.logMetric("m", 3);
    await killed.end({ status: "KILLED" });
    await flushAll(t);

    for (const [id, status, value] of [
      [ok, "FINISHED", 1],
      [failedId, "FAILED", 2],
      [killed.id, "KILLED", 3],
    ] as const) {
      const remote = await serverRun(id);
      expect(remote.info.status, id).toBe(status);
      expect(Number(remote.info.end_time), id).toBeGreaterThan(0);
      expect(
        (await serverHistory(id, "m")).map((m) => num(m.value)),
        id,
      ).toEqual([value]);
    }
  });

  it("NaN and ±Infinity metrics arrive (±Infinity as MLflow stores it: ±Number.MAX_VALUE)", async () => {
    const { tracker: t } = tracker("rt-nonfinite");
    const run = await t.startRun({ name: "nonfinite" });
    run.logMetric("v", Number.NaN, { step: 0 });
    run.logMetric("v", Number.POSITIVE_INFINITY, { step: 1 });
    run.logMetric("v", Number.NEGATIVE_INFINITY, { step: 2 });
    run.logMetric("v", 0.25, { step: 3 });
    run.logMetrics({ nan: Number.NaN, inf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY });
    await run.end();
    await flushAll(t);

    const history = (await serverHistory(run.id, "v")).sort((a, b) => a.step - b.step);
    expect(history.map((m) => m.step)).toEqual([0, 1, 2, 3]);
    const values = history.map((m) => num(m.value));
    expect(Number.isNaN(values[0])).toBe(true);
    // MLflow's SQL store keeps ±Inf as ±1.7976931348623157e308 (sanitize_metric_value).
    expect([Number.POSITIVE_INFINITY, Number.MAX_VALUE]).toContain(values[1]);
    expect([Number.NEGATIVE_INFINITY, -Number.MAX_VALUE]).toContain(values[2]);
    expect(values[3]).toBe(0.25);
    const latest = Object.fromEntries(((await serverRun(run.id)).data.metrics as { key: string; value: number | string }[]).map((m) => [m.key, num(m.value)]));
    expect(Number.isNaN(latest["nan"])).toBe(true);
    expect([Number.POSITIVE_INFINITY, Number.MAX_VALUE]).toContain(latest["inf"]);
    expect([Number.NEGATIVE_INFINITY, -Number.MAX_VALUE]).toContain(latest["ninf"]);
  });

  it("values at the length limits: 6000-char param, 8000-char tag, 250-char keys", async () => {
    const { tracker: t } = tracker("rt-limits");
    const run = await t.startRun({ name: "limits" });
    const key250 = `k${"x".repeat(248)}z`;
    const param = `${"p".repeat(5999)}é`; // 6000 characters, one of them outside ASCII
    const tag = `${"t".repeat(7999)}ü`;
    expect([key250.length, param.length, tag.length]).toEqual([250, 6000, 8000]);
    run.logParam(key250, param);
    run.setTag(key250, tag);
    run.logMetric(key250, 42, { step: 7 });
    await run.end();
    await flushAll(t);

    const remote = await serverRun(run.id);
    expect(kv(remote.data.params)[key250]).toBe(param);
    expect(kv(remote.data.tags)[key250]).toBe(tag);
    expect((await serverHistory(run.id, key250)).map((m) => [m.step, num(m.value)])).toEqual([[7, 42]]);
    // One character more is refused at log time, before anything is stored.
    const again = await t.startRun({ name: "too-long" });
    expect(() => again.logParam("p", "p".repeat(6001))).toThrow();
    expect(() => again.setTag("t", "t".repeat(8001))).toThrow();
    expect(() => again.logMetric(`${key250}x`, 1)).toThrow();
    await again.end();
    await flushAll(t);
    const tooLong = await serverRun(again.id);
    expect(kv(tooLong.data.params)).toEqual({});
    expect(tooLong.data.metrics ?? []).toEqual([]);
  });
});

/** A loopback proxy in front of the server that counts metrics per log-batch request. */
async function countingProxy(): Promise<{ url: string; logBatchSizes: number[]; close(): Promise<void> }> {
  const target = new URL(mlflowUri());
  const logBatchSizes: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.url?.includes("/runs/log-batch") && body.length > 0) {
        const parsed = JSON.parse(body.toString("utf8")) as { metrics?: unknown[] };
        logBatchSizes.push(parsed.metrics?.length ?? 0);
      }
      const headers = { ...req.headers, host: target.host };
      const upstream = http.request({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on("error", () => {
        res.statusCode = 502;
        res.end();
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    logBatchSizes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("a 10,000-metric logMetrics is split into batches within the limits", () => {
  const metrics = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`m${String(i).padStart(5, "0")}`, i / 7]));

  for (const limit of [undefined, 200] as const) {
    it(`all 10,000 arrive at one step${limit === undefined ? " (MLflow's 1000 per request)" : " with limits.metricsPerBatch = 200"}`, async () => {
      const proxy = await countingProxy();
      cleanups.push(() => proxy.close());
      const { tracker: t } = tracker("rt-10k", { trackingUri: proxy.url, ...(limit === undefined ? {} : { limits: { metricsPerBatch: limit } }) });
      const run = await t.startRun({ name: "wide" });
      const before = t.stats().logged;
      run.logMetrics(metrics, { step: 5, timestamp: 1_760_000_000_000 });
      expect(t.stats().logged - before).toBe(10_000);
      await run.end();
      await flushAll(t);

      const max = limit ?? 1000;
      const withMetrics = proxy.logBatchSizes.filter((n) => n > 0);
      expect(Math.max(...proxy.logBatchSizes)).toBeLessThanOrEqual(max);
      expect(withMetrics.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10_000); // retries may resend, never fewer
      expect(withMetrics.length).toBeGreaterThanOrEqual(10_000 / max);
      // Full batches: not many more requests than needed.
      expect(withMetrics.length).toBeLessThanOrEqual(Math.ceil(10_000 / max) + 2);

      const remote = await serverRun(run.id);
      const latest = remote.data.metrics as { key: string; value: number; step: number; timestamp: number }[];
      expect(latest).toHaveLength(10_000);
      const byKey = new Map(latest.map((m) => [m.key, m]));
      for (const [k, v] of Object.entries(metrics)) {
        const m = byKey.get(k);
        expect(m, k).toBeDefined();
        expect(m?.value, k).toBe(v);
        expect(Number(m?.step), k).toBe(5);
      }
      expect(remote.info.status).toBe("FINISHED");
      const s = t.stats();
      expect(s.acked).toBe(s.logged);
      expect(s).toMatchObject({ pending: 0, rejected: 0 });
      expect(s.logged).toBeGreaterThanOrEqual(10_000 + 1); // + the run name tag and the end
    });
  }
});

describe("nested runs", () => {
  it("online: the child's mlflow.parentRunId is the parent's server id", async () => {
    const { tracker: t } = tracker("nested-online");
    const parent = await t.startRun({ name: "sweep" });
    const children = [];
    for (let i = 0; i < 3; i++) {
      const child = await t.startRun({ name: `trial-${i}`, parentRunId: parent.id, params: { i } });
      child.logMetric("score", i);
      await child.end();
      children.push(child);
    }
    await parent.end();
    await flushAll(t);
    await serverRun(parent.id); // exists under that id
    for (const child of children) expect(kv((await serverRun(child.id)).data.tags)["mlflow.parentRunId"]).toBe(parent.id);
    // MLflow's own query for children of a run.
    const found = await t.searchRuns({ filter: `tags.mlflow.parentRunId = '${parent.id}'` });
    expect(found.map((r) => r.info.name).sort()).toEqual(["trial-0", "trial-1", "trial-2"]);
  });

  // maxConcurrentRequests 1 makes the order deterministic: each run is sent whole, one after the other.
  for (const concurrency of [undefined, 1] as const) {
    it(`offline parent and child, then syncRuns${concurrency === undefined ? "" : ` (maxConcurrentRequests ${concurrency})`}: the child points at the parent's SERVER id; getRun accepts the local ids`, async () => {
      const experiment = uniqueName("nested-offline");
      const spool = tempDir("nested-offline");
      cleanups.push(spool.cleanup);
      const offline = newTracker(spool.dir, experiment, { mode: "offline" });
      const parent = await offline.startRun({ name: "parent" });
      const child = await offline.startRun({ name: "child", parentRunId: parent.id });
      child.logMetric("x", 1);
      const grandchild = await offline.startRun({ name: "grandchild", parentRunId: child.id });
      await grandchild.end();
      await child.end();
      await parent.end();
      await offline.close();

      const summary = await syncRuns({
        spoolDir: spool.dir,
        trackingUri: mlflowUri(),
        logLevel: "error",
        ...(concurrency === undefined ? {} : { maxConcurrentRequests: concurrency }),
      });
      expect(summary).toMatchObject({ runs: 3, pending: 0, rejected: 0, errors: [] });

      const byName = Object.fromEntries((await serverRuns(experiment)).map((r) => [r.info.run_name as string, r]));
      expect(Object.keys(byName).sort()).toEqual(["child", "grandchild", "parent"]);
      const parentServerId = byName["parent"].info.run_id as string;
      const childServerId = byName["child"].info.run_id as string;
      expect(parentServerId).not.toBe(parent.id);
      // Soft: the rest of the test (getRun by local id) still runs when these fail.
      expect.soft(kv(byName["child"].data.tags)["mlflow.parentRunId"], "child -> parent's server id").toBe(parentServerId);
      expect.soft(kv(byName["grandchild"].data.tags)["mlflow.parentRunId"], "grandchild -> child's server id").toBe(childServerId);
      expect(kv(byName["parent"].data.tags)["mlflow.parentRunId"]).toBeUndefined();

      // A tracker on the same spool and the server: getRun takes the local (offline) id or the server id.
      const online = newTracker(spool.dir, experiment);
      cleanups.push(async () => void (await online.close({ timeoutMs: 5000 })));
      const viaLocal: RunRecord = await online.getRun(parent.id);
      expect(viaLocal.info.runId).toBe(parentServerId);
      expect(viaLocal.info.status).toBe("FINISHED");
      expect((await online.getRun(child.id)).info.runId).toBe(childServerId);
      expect.soft((await online.getRun(child.id)).info.parentRunId, "parentRunId read back").toBe(parentServerId);
      expect((await online.getRun(childServerId)).info.name).toBe("child");
      expect((await online.getMetricHistory(child.id, "x")).map((m) => m.value)).toEqual([1]);
    });
  }

  it("offline: a child synced by itself after its parent was synced earlier still points at the parent's server id", async () => {
    const experiment = uniqueName("nested-split-sync");
    const spool = tempDir("nested-split");
    cleanups.push(spool.cleanup);
    const offline = newTracker(spool.dir, experiment, { mode: "offline" });
    const parent = await offline.startRun({ name: "parent" });
    const child = await offline.startRun({ name: "child", parentRunId: parent.id });
    await child.end();
    await parent.end();
    await offline.close();

    expect(await syncRuns({ spoolDir: spool.dir, trackingUri: mlflowUri(), runId: parent.id, logLevel: "error" })).toMatchObject({ runs: 1, pending: 0 });
    expect(await syncRuns({ spoolDir: spool.dir, trackingUri: mlflowUri(), runId: child.id, logLevel: "error" })).toMatchObject({ runs: 1, pending: 0 });
    const byName = Object.fromEntries((await serverRuns(experiment)).map((r) => [r.info.run_name as string, r]));
    expect(kv(byName["child"].data.tags)["mlflow.parentRunId"]).toBe(byName["parent"].info.run_id);
  });
});

describe("searchRuns gives the same answer on the local store and on MLflow", () => {
  const experiment = uniqueName("search-parity");
  let local: Tracker;
  let remote: Tracker;
  let dirs: { cleanup(): void }[] = [];

  interface Spec {
    name: string;
    params: Record<string, string>;
    metrics: Record<string, number>;
    tags: Record<string, string>;
    status: "FINISHED" | "FAILED" | "KILLED";
  }
  const specs: Spec[] = [
    { name: "r0", params: { model: "rf", depth: "3" }, metrics: { acc: 0.91, loss: 0.3 }, tags: { team: "Growth" }, status: "FINISHED" },
    { name: "r1", params: { model: "xgb", depth: "5" }, metrics: { acc: 0.85, loss: 0.5 }, tags: { team: "growth-core" }, status: "FINISHED" },
    { name: "r2", params: { model: "lr" }, metrics: { acc: 0.7 }, tags: { team: "search" }, status: "FAILED" },
    { name: "r3", params: { model: "xgb", depth: "10" }, metrics: { loss: 0.2 }, tags: {}, status: "FINISHED" },
    { name: "r4", params: { model: "rf", depth: "3" }, metrics: { acc: 0.95, loss: 0.1 }, tags: { team: "GROWTH" }, status: "KILLED" },
    { name: "r5", params: {}, metrics: { acc: 0.6, loss: 0.9 }, tags: { team: "Search", extra: "yes" }, status: "FINISHED" },
    { name: "r6", params: { model: "xgb", depth: "7" }, metrics: { acc: 0.85, loss: 0.45 }, tags: { team: "growth" }, status: "FAILED" },
    { name: "trial-7", params: { model: "lr", depth: "1" }, metrics: {}, tags: { team: "ops" }, status: "FINISHED" },
  ];

  async function logAll(t: Tracker): Promise<void> {
    for (const s of specs) {
      const run = await t.startRun({ name: s.name, params: s.params, tags: s.tags });
      // The acc history ends at its final value, which is what MLflow's latest metric holds.
      for (const [k, v] of Object.entries(s.metrics)) {
        run.logMetric(k, v + 0.5, { step: 0 });
        run.logMetric(k, v, { step: 1 });
      }
      await run.end({ status: s.status });
      // Distinct start times, in the same order on both sides (start_time DESC breaks ties).
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  beforeAll(async () => {
    const a = tempDir("parity-local");
    const b = tempDir("parity-spool");
    dirs = [a, b];
    local = new Tracker({ trackingUri: a.dir, experiment, captureContext: false, handleExit: false });
    remote = newTracker(b.dir, experiment);
    await logAll(local);
    await logAll(remote);
    const flushed = await remote.flush({ timeoutMs: 60_000 });
    expect(flushed.pending).toBe(0);
  });

  afterAll(async () => {
    await local?.close();
    await remote?.close({ timeoutMs: 5000 });
    for (const d of dirs) d.cleanup();
  });

  /** A filter, or one built from each side's own run ids (they differ between the stores). */
  type FilterSpec = string | ((idOf: (name: string) => string) => string);
  const cases: { title?: string; filter?: FilterSpec; orderBy?: string[] }[] = [
    {},
    { filter: "metrics.acc > 0.8" },
    { filter: "metrics.loss <= 0.45 AND params.depth = '3'" },
    { filter: "params.model = 'xgb'" },
    { filter: "params.model != 'xgb'" },
    { filter: "params.depth IS NULL" },
    { filter: "tags.team IS NOT NULL", orderBy: ["tags.team ASC"] },
    { title: "attributes.run_id IN (r1, r4, r6)", filter: (idOf) => `attributes.run_id IN ('${idOf("r1")}', '${idOf("r4")}', '${idOf("r6")}')` },
    {
      title: "attributes.run_id NOT IN (r0, r5) AND metrics.acc > 0.5",
      filter: (idOf) => `attributes.run_id NOT IN ('${idOf("r0")}', '${idOf("r5")}') AND metrics.acc > 0.5`,
    },
    { filter: "tags.team LIKE 'growth%'" },
    { filter: "tags.team ILIKE 'growth%'" },
    { filter: "tags.team != 'search'" },
    { filter: "attributes.status = 'FAILED'" },
    { filter: "attributes.status != 'FINISHED'", orderBy: ["metrics.loss ASC"] },
    { filter: "attributes.run_name = 'r3'" },
    { filter: "attributes.run_name LIKE 'r%'", orderBy: ["attributes.run_name DESC"] },
    { orderBy: ["metrics.acc DESC"] },
    { orderBy: ["metrics.acc ASC"] },
    { orderBy: ["params.depth ASC"] },
    { orderBy: ["params.depth DESC", "metrics.loss ASC"] },
    { filter: "metrics.acc >= 0.85", orderBy: ["metrics.acc DESC", "params.depth ASC"] },
  ];

  /** Run ids by name on one side. */
  async function idsOf(t: Tracker): Promise<(name: string) => string> {
    const all = await t.searchRuns({});
    const map = new Map(all.map((r) => [r.info.name, r.info.runId]));
    return (name) => {
      const id = map.get(name);
      if (id === undefined) throw new Error(`no run ${name}`);
      return id;
    };
  }

  for (const c of cases) {
    const title = c.title ?? (typeof c.filter === "string" ? c.filter : "(no filter)");
    it(`${title}${c.orderBy ? ` ORDER BY ${c.orderBy.join(", ")}` : ""}`, async () => {
      const build = async (t: Tracker) => {
        const filter = typeof c.filter === "function" ? c.filter(await idsOf(t)) : c.filter;
        return { ...(filter === undefined ? {} : { filter }), ...(c.orderBy === undefined ? {} : { orderBy: c.orderBy }) };
      };
      const serverOpts = await build(remote);
      const onServer = (await remote.searchRuns(serverOpts)).map((r) => r.info.name);
      const onLocal = (await local.searchRuns(await build(local))).map((r) => r.info.name);
      // And the server's own answer, without the SDK.
      const experimentId = await experimentIdByName(experiment);
      const raw = await mlflowPost("runs/search", {
        experiment_ids: [experimentId],
        max_results: 1000,
        ...(serverOpts.filter === undefined ? {} : { filter: serverOpts.filter }),
        ...(serverOpts.orderBy === undefined ? {} : { order_by: serverOpts.orderBy }),
      });
      const rawNames = ((raw.runs ?? []) as { info: { run_name: string } }[]).map((r) => r.info.run_name);
      expect(rawNames.length, "the case should select something").toBeGreaterThan(0);
      expect(onServer, "SDK on MLflow vs raw MLflow").toEqual(rawNames);
      expect(onLocal, "local store vs MLflow").toEqual(rawNames);
    });
  }
});

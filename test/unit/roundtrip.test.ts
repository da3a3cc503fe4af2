/**
 * Round trip through the local store: what one Tracker logs, a new Tracker on the same folder
 * reads back exactly. Plus the query API, run lifecycle, the active-run context, locking and
 * close().
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConflictError, MltrailError, StateError, ValidationError } from "../../src/errors.js";
import { RunLog } from "../../src/log/run-log.js";
import type { Metric, RunRecord } from "../../src/model/types.js";
import type { Run } from "../../src/run.js";
import { RunPaths, StoreLayout } from "../../src/store/layout.js";
import { Tracker } from "../../src/tracker.js";
import { seededRandom } from "../support/random.js";

let tmp: string;
const trackers: Tracker[] = [];

function newTracker(extra: { experiment?: string } = {}): Tracker {
  const t = new Tracker({ trackingUri: tmp, captureContext: false, handleExit: false, ...extra });
  trackers.push(t);
  return t;
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-roundtrip-"));
});

afterEach(async () => {
  for (const t of trackers.splice(0)) await t.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const prng = seededRandom;

/** MLflow's latest metric: greatest by step, then timestamp, then value (finite values only here). */
function latestOf(points: readonly Metric[]): number | undefined {
  let best: Metric | undefined;
  for (const p of points) {
    if (
      best === undefined ||
      p.step > best.step ||
      (p.step === best.step && (p.timestamp > best.timestamp || (p.timestamp === best.timestamp && p.value > best.value)))
    )
      best = p;
  }
  return best?.value;
}

function historyMismatches(actual: readonly Metric[], expected: readonly Metric[]): string[] {
  const bad: string[] = [];
  if (actual.length !== expected.length) bad.push(`length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < expected.length && bad.length < 5; i++) {
    const a = actual[i];
    const e = expected[i] as Metric;
    if (a === undefined || a.key !== e.key || !Object.is(a.value, e.value) || a.step !== e.step || a.timestamp !== e.timestamp) {
      bad.push(`#${i}: got ${JSON.stringify(a)} (${String(a?.value)}) want ${JSON.stringify(e)} (${String(e.value)})`);
    }
  }
  return bad;
}

describe("100k metrics, params and tags reopened by a new Tracker", () => {
  it("reads back exactly what was logged", async () => {
    const keys = Array.from({ length: 20 }, (_, i) => (i === 3 ? "val/损失" : i === 7 ? "train loss:top-1" : `metric_${i}`));
    const expected = new Map<string, Metric[]>(keys.map((k) => [k, []]));
    const rand = prng(42);
    const T0 = 1_700_000_000_000;

    const writer = newTracker({ experiment: "big" });
    const run = await writer.startRun({ name: "big-run", params: { p_start: 1 }, tags: { t_start: "s" } });
    const params: Record<string, string> = { p_start: "1" };
    const tags: Record<string, string> = { "mlflow.runName": "big-run", t_start: "s" };

    let logged = 0;
    for (let i = 0; i < 100_000; i++) {
      const key = keys[i % 20] as string;
      const round = Math.floor(i / 20);
      // Mostly increasing steps, with occasional rewinds and repeats; timestamps jitter.
      const step = rand() < 0.05 ? Math.floor(rand() * round) : round;
      const timestamp = T0 + round * 10 + Math.floor(rand() * 30);
      const r = rand();
      const value =
        r < 0.01
          ? Number.NaN
          : r < 0.015
            ? Number.POSITIVE_INFINITY
            : r < 0.02
              ? Number.NEGATIVE_INFINITY
              : r < 0.03
                ? -0
                : (rand() - 0.5) * 10 ** Math.floor(rand() * 20 - 10);
      if (i % 1000 === 999) {
        // Exercise logMetrics too: one point for this key via the batch call.
        run.logMetrics({ [key]: value }, { step, timestamp });
      } else {
        run.logMetric(key, value, { step, timestamp });
      }
      (expected.get(key) as Metric[]).push({ key, value, step, timestamp });
      logged++;
      if (i % 7_000 === 0) await turn(); // several group commits
    }
    // Ties decided by timestamp, then by value, at a step greater than any before.
    const top = 10_000;
    for (const [j, key] of keys.entries()) {
      const points: [number, number][] =
        j % 2 === 0
          ? [
              [T0, 5],
              [T0 + 1, 1],
              [T0 + 1, 3],
              [T0 + 1, 2],
              [T0, 9],
            ]
          : [
              [T0 + 5, -1],
              [T0 + 5, -2],
              [T0 + 4, 100],
            ];
      for (const [timestamp, value] of points) {
        run.logMetric(key, value, { step: top, timestamp });
        (expected.get(key) as Metric[]).push({ key, value, step: top, timestamp });
      }
    }
    for (let i = 0; i < 50; i++) {
      const v = i % 3 === 0 ? i / 7 : i % 3 === 1 ? i % 2 === 0 : `value ${i} "q" ünï 😀\n`;
      run.logParam(`param_${i}`, v);
      params[`param_${i}`] = String(v);
      const t = i === 0 ? "x".repeat(8000) : `tag ${i}\nline "two" \\ 标签 ${"é".repeat(i)}`;
      run.setTag(`tag/${i}`, t);
      tags[`tag/${i}`] = t;
    }
    expect(logged).toBe(100_000);
    await run.end();
    await writer.close();

    const reader = newTracker();
    const got = await reader.getRun(run.id);
    expect(got.info).toMatchObject({ runId: run.id, experimentId: run.experimentId, name: "big-run", status: "FINISHED" });
    expect(got.info.crashed).toBeUndefined();
    expect(got.data.params).toEqual(params);
    expect(got.data.tags).toEqual(tags);
    expect(Object.keys(got.data.metrics).sort()).toEqual([...keys].sort());
    for (const key of keys) {
      const want = expected.get(key) as Metric[];
      expect(historyMismatches(await reader.getMetricHistory(run.id, key), want)).toEqual([]);
      const latest = latestOf(want);
      expect(latest).toBe(keys.indexOf(key) % 2 === 0 ? 3 : -1);
      expect(got.data.metrics[key]).toBe(latest);
    }
    expect(await reader.getMetricHistory(run.id, "never_logged")).toEqual([]);
  }, 60_000);

  it("latest metric: a later point with a smaller step does not win; a NaN at the top step does", async () => {
    const t = newTracker();
    const run = await t.startRun({ name: "latest" });
    run.logMetric("a", 10, { step: 5, timestamp: 100 });
    run.logMetric("a", 99, { step: 4, timestamp: 999 });
    run.logMetric("b", 1, { step: 1, timestamp: 100 });
    run.logMetric("b", Number.NaN, { step: 2, timestamp: 100 });
    run.logMetric("b", 1e9, { step: 1, timestamp: 200 });
    run.logMetric("c", Number.POSITIVE_INFINITY, { step: 0, timestamp: 1 });
    run.logMetric("c", 5, { step: 0, timestamp: 2 });
    await run.end();
    const { data } = await newTracker().getRun(run.id);
    expect(data.metrics["a"]).toBe(10);
    expect(data.metrics["b"]).toBeNaN();
    expect(data.metrics["c"]).toBe(5);
  });
});

describe("queries", () => {
  async function makeRuns(t: Tracker): Promise<Record<string, string>> {
    const ids: Record<string, string> = {};
    const specs = [
      { name: "r-a", acc: 0.95, lr: "0.001", team: "x", fail: false },
      { name: "r-b", acc: 0.85, lr: "0.001", team: "y", fail: false },
      { name: "r-c", acc: 0.92, lr: "0.01", team: "x", fail: true },
      { name: "r-d", acc: 0.5, lr: "0.001", team: "x", fail: false },
    ];
    for (const s of specs) {
      const run = await t.startRun({ name: s.name, experiment: "search", params: { lr: s.lr }, tags: { team: s.team } });
      run.logMetric("acc", 0.1, { step: 0 });
      run.logMetric("acc", s.acc, { step: 1 });
      await run.end(s.fail ? { status: "FAILED" } : {});
      ids[s.name] = run.id;
      await sleep(2); // distinct start times
    }
    return ids;
  }
  const names = (runs: readonly RunRecord[]): string[] => runs.map((r) => r.info.name);

  it("searchRuns filters and orders runs of the local store", async () => {
    const t = newTracker();
    const ids = await makeRuns(t);
    const search = (filter: string, orderBy?: string[], maxResults?: number): Promise<RunRecord[]> =>
      t.searchRuns({ experiment: "search", filter, ...(orderBy === undefined ? {} : { orderBy }), ...(maxResults === undefined ? {} : { maxResults }) });

    expect(names(await search("", ["metrics.acc DESC"]))).toEqual(["r-a", "r-c", "r-b", "r-d"]);
    expect(names(await search("metrics.acc > 0.9", ["metrics.acc ASC"]))).toEqual(["r-c", "r-a"]);
    expect(names(await search("metrics.acc > 0.8 and params.lr = '0.001'", ["metrics.acc DESC"]))).toEqual(["r-a", "r-b"]);
    expect(names(await search("tags.team = 'x' and attributes.status = 'FINISHED'", ["attributes.run_name ASC"]))).toEqual(["r-a", "r-d"]);
    expect(names(await search("attributes.status = 'FAILED'"))).toEqual(["r-c"]);
    expect(names(await search("", ["attributes.start_time DESC"]))).toEqual(["r-d", "r-c", "r-b", "r-a"]);
    expect(names(await search("", ["params.lr DESC", "metrics.acc ASC"]))).toEqual(["r-c", "r-d", "r-b", "r-a"]);
    expect(await search("", ["metrics.acc DESC"], 2)).toHaveLength(2);
    expect(names(await search(`attributes.run_id = '${ids["r-b"] as string}'`))).toEqual(["r-b"]);
    // The latest metric (step 1), not the first value, is what filters see.
    expect(await search("metrics.acc < 0.2")).toEqual([]);
    await expect(search("metrics.acc >>> 1")).rejects.toBeInstanceOf(ValidationError);
    await expect(t.searchRuns({ experiment: "no-such-experiment" })).rejects.toBeInstanceOf(MltrailError);
    // A new tracker on the folder sees the same runs.
    expect(names(await newTracker().searchRuns({ experiment: "search", orderBy: ["metrics.acc DESC"] }))).toEqual(["r-a", "r-c", "r-b", "r-d"]);
  });

  it("listExperiments and getExperimentByName", async () => {
    const t = newTracker();
    const run = await t.startRun({ name: "e", experiment: "churn" });
    await run.end();
    const run2 = await t.startRun({ name: "e2", experiment: "损失 experiment" });
    await run2.end();
    const exps = await newTracker().listExperiments();
    expect(exps.map((e) => e.name)).toEqual(["Default", "churn", "损失 experiment"]);
    expect(exps[0]?.experimentId).toBe("0");
    expect(new Set(exps.map((e) => e.experimentId)).size).toBe(3);
    expect((await t.getExperimentByName("churn"))?.experimentId).toBe(run.experimentId);
    expect((await t.getExperimentByName("损失 experiment"))?.experimentId).toBe(run2.experimentId);
    expect(await t.getExperimentByName("nope")).toBeUndefined();
  });
});

describe("run lifecycle", () => {
  it("withRun ends FINISHED on success and returns fn's value", async () => {
    const t = newTracker();
    let id = "";
    const out = await t.withRun({ name: "ok" }, async (run) => {
      id = run.id;
      run.logMetric("m", 1);
      return 42;
    });
    expect(out).toBe(42);
    const { info } = await newTracker().getRun(id);
    expect(info.status).toBe("FINISHED");
    expect(info.endTime).toBeGreaterThanOrEqual(info.startTime);
  });

  it("withRun ends FAILED and rethrows the same error when fn throws", async () => {
    const t = newTracker();
    const boom = new Error("boom");
    let id = "";
    await expect(
      t.withRun({ name: "bad" }, async (run) => {
        id = run.id;
        run.logMetric("m", 1);
        throw boom;
      }),
    ).rejects.toBe(boom);
    const got = await newTracker().getRun(id);
    expect(got.info.status).toBe("FAILED");
    expect(got.data.metrics).toEqual({ m: 1 });
    expect(t.activeRun()).toBeUndefined();
  });

  it("`await using run = …` ends the run FINISHED", async () => {
    const t = newTracker();
    let id = "";
    {
      await using run = await t.startRun({ name: "disposed" });
      id = run.id;
      run.logMetric("m", 1);
      expect((await t.getRun(id)).info.status).toBe("RUNNING");
    }
    expect((await newTracker().getRun(id)).info.status).toBe("FINISHED");
  });
});

describe("active run (AsyncLocalStorage)", () => {
  it("nested withRun: tracker.logMetric goes to the innermost run, then back to the outer one", async () => {
    const t = newTracker();
    let outerId = "";
    let innerId = "";
    await t.withRun({ name: "outer" }, async (outer) => {
      outerId = outer.id;
      t.logMetric("where", 1);
      await t.withRun({ name: "inner", parentRunId: outer.id }, async (inner) => {
        innerId = inner.id;
        t.logMetric("where", 2);
        await sleep(1);
        t.logMetric("where", 3);
        expect(t.activeRun()?.id).toBe(inner.id);
      });
      t.logMetric("where", 4);
      expect(t.activeRun()?.id).toBe(outer.id);
    });
    const r = newTracker();
    expect((await r.getMetricHistory(outerId, "where")).map((m) => m.value)).toEqual([1, 4]);
    expect((await r.getMetricHistory(innerId, "where")).map((m) => m.value)).toEqual([2, 3]);
    const inner = await r.getRun(innerId);
    expect(inner.info.parentRunId).toBe(outerId);
    expect(inner.data.tags["mlflow.parentRunId"]).toBe(outerId);
  });

  it("tracker.logMetric without an active run is a StateError", async () => {
    const t = newTracker();
    for (const call of [() => t.logMetric("m", 1), () => t.logParam("p", 1), () => t.setTag("t", "v"), () => t.logMetrics({ m: 1 })]) {
      expect(call).toThrow(StateError);
      try {
        call();
      } catch (err) {
        expect((err as StateError).field).toBe("active run");
        expect((err as StateError).message).toMatch(/startRun\(\)\/withRun\(\)/);
      }
    }
    const run = await t.startRun({ name: "x" });
    await run.end();
    expect(() => t.logMetric("m", 1)).toThrow(StateError);
  });

  it("{ runId } targets a run other than the active one", async () => {
    const t = newTracker();
    const a = await t.startRun({ name: "a" });
    const b = await t.startRun({ name: "b" });
    expect(t.activeRun()?.id).toBe(b.id);
    t.logMetric("m", 1, { runId: a.id, step: 7 });
    t.logParam("p", "pa", { runId: a.id });
    t.setTag("t", "ta", { runId: a.id });
    t.logMetrics({ n: 2 }, { runId: a.id });
    t.logMetric("m", 9);
    await a.end();
    await b.end();
    const r = newTracker();
    const ra = await r.getRun(a.id);
    const rb = await r.getRun(b.id);
    expect(ra.data.metrics).toEqual({ m: 1, n: 2 });
    expect(ra.data.params).toEqual({ p: "pa" });
    expect(ra.data.tags["t"]).toBe("ta");
    expect((await r.getMetricHistory(a.id, "m"))[0]?.step).toBe(7);
    expect(rb.data.metrics).toEqual({ m: 9 });
    expect(rb.data.params).toEqual({});
  });

  it("two concurrent withRuns in parallel async contexts each log to their own run", async () => {
    const t = newTracker();
    const ids: Record<string, string> = {};
    const worker = (name: string, value: number) =>
      t.withRun({ name }, async (run) => {
        ids[name] = run.id;
        for (let i = 0; i < 20; i++) {
          t.logMetric("who", value, { step: i });
          await sleep(Math.floor(Math.random() * 3));
          expect(t.activeRun()?.id).toBe(run.id);
        }
      });
    await Promise.all([worker("left", 1), worker("right", 2)]);
    const r = newTracker();
    for (const [name, value] of [
      ["left", 1],
      ["right", 2],
    ] as const) {
      const history = await r.getMetricHistory(ids[name] as string, "who");
      expect(history.map((m) => m.value)).toEqual(Array(20).fill(value));
      expect(history.map((m) => m.step)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect((await r.getRun(ids[name] as string)).info.status).toBe("FINISHED");
    }
  });
});

describe("crash, locking and close", () => {
  it("a RUNNING run whose lock names a dead pid reads as KILLED with crashed: true", async () => {
    const t = newTracker();
    const run = await t.startRun({ name: "crashy" });
    run.logMetric("m", 1, { step: 1 });
    run.logParam("p", "v");
    await run.flush();
    const reader = newTracker();
    const live = await reader.getRun(run.id);
    expect(live.info.status).toBe("RUNNING");
    expect(live.info.crashed).toBeUndefined();
    expect(live.info.endTime).toBeUndefined();

    const child = spawnSync(process.execPath, ["-e", ""]);
    expect(child.pid).toBeGreaterThan(0);
    const lock = new RunPaths(new StoreLayout(tmp).runDir(run.experimentId, run.id)).lock;
    fs.writeFileSync(lock, JSON.stringify({ pid: child.pid, host: os.hostname(), since: Date.now() }));

    const dead = await reader.getRun(run.id);
    expect(dead.info.status).toBe("KILLED");
    expect(dead.info.crashed).toBe(true);
    expect(dead.data.metrics).toEqual({ m: 1 });
    expect(dead.data.params).toEqual({ p: "v" });
    await run.end();
  });

  it("opening a run's RunLog a second time in the same process is a ConflictError and leaves the run usable", async () => {
    const t = newTracker();
    const run = await t.startRun({ name: "locked" });
    const paths = new RunPaths(new StoreLayout(tmp).runDir(run.experimentId, run.id));
    await expect(RunLog.open(paths.journal, paths.lock, `run "${run.id}"`, { durability: "interval", fsyncIntervalMs: 1000 })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(JSON.parse(fs.readFileSync(paths.lock, "utf8")).pid).toBe(process.pid);
    run.logMetric("m", 1);
    await run.end();
    expect(fs.existsSync(paths.lock)).toBe(false);
    expect((await newTracker().getRun(run.id)).data.metrics).toEqual({ m: 1 });
  });

  it("tracker.close() ends open runs FINISHED, is idempotent, and later calls reject", async () => {
    const t = newTracker();
    const a: Run = await t.startRun({ name: "a" });
    const b: Run = await t.startRun({ name: "b" });
    a.logMetric("m", 1);
    b.logMetric("m", 2);
    await t.close();
    expect(a.ended).toBe(true);
    expect(b.ended).toBe(true);
    expect(t.stats().activeRuns).toBe(0);
    expect(t.stats().pending).toBe(0);
    await t.close();
    await expect(t.startRun({ name: "late" })).rejects.toBeInstanceOf(MltrailError);
    await expect(t.getRun(a.id)).rejects.toBeInstanceOf(MltrailError);
    await expect(t.listExperiments()).rejects.toBeInstanceOf(MltrailError);
    await expect(t.searchRuns()).rejects.toBeInstanceOf(MltrailError);
    expect(() => a.logMetric("m", 3)).toThrow(StateError);
    expect(() => t.logMetric("m", 3)).toThrow(StateError);
    const r = newTracker();
    for (const [run, value] of [
      [a, 1],
      [b, 2],
    ] as const) {
      const got = await r.getRun(run.id);
      expect(got.info.status).toBe("FINISHED");
      expect(got.data.metrics).toEqual({ m: value });
    }
  });
});

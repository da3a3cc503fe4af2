/**
 * compareRuns / compareModelVersions over a local-store Tracker in a temp dir, plus the pure
 * parts: default directions, summaries, params diff, LTTB.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";
import { compareModelVersions, compareRuns, defaultDirection } from "../../src/compare/index.js";
import { diffParams, summarize } from "../../src/compare/summary.js";
import { lttb, lttbIndices } from "../../src/report/lttb.js";

let dir: string;
let tracker: Tracker;
const ids: string[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-compare-"));
  tracker = new Tracker({ trackingUri: dir, experiment: "cmp", captureContext: false, handleExit: false });
  const losses = [
    [0.9, 0.5, 0.6],
    [0.8, 0.3, 0.4],
    [0.7, NaN, 0.45],
  ];
  for (const [i, l] of losses.entries()) {
    const run = await tracker.startRun({
      name: `r${i}`,
      params: { lr: i === 2 ? 0.1 : 0.01 * (i + 1), bs: 32, ...(i === 0 ? { extra: "x" } : {}) },
      tags: { "mlflow.source.git.commit": `c${i}` },
    });
    l.forEach((v, step) => run.logMetrics({ loss: v, acc: 0.5 + step * 0.1 * (i + 1), latency: 10 - i }, { step: step * 10 }));
    await run.end();
    ids.push(run.id);
  }
});
afterAll(async () => {
  await tracker.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("compareRuns", () => {
  it("summarises each metric per run and picks the best by direction", async () => {
    const cmp = await compareRuns(tracker, ids);
    expect(cmp.runs.map((r) => [r.name, r.gitCommit, r.datasets])).toEqual([
      ["r0", "c0", []],
      ["r1", "c1", []],
      ["r2", "c2", []],
    ]);
    const loss = cmp.metrics["loss"];
    expect(loss?.direction).toBe("min");
    expect(loss?.perRun[1]).toEqual({ last: 0.4, min: 0.3, max: 0.8, best: 0.3, bestStep: 10, points: 3 });
    expect(loss?.perRun[2]).toMatchObject({ last: 0.45, min: 0.45, max: 0.7, bestStep: 20 }); // NaN ignored
    expect(loss?.best).toEqual({ index: 1, runId: ids[1], value: 0.4 });
    expect(cmp.metrics["acc"]?.best?.runId).toBe(ids[2]);
    expect(cmp.metrics["latency"]).toMatchObject({ direction: "max", best: { runId: ids[0] } }); // unknown names maximise
  });

  it("honours explicit directions, bestBy and a metric subset", async () => {
    const cmp = await compareRuns(tracker, ids, { metrics: ["latency", "loss"], direction: { latency: "min" }, bestBy: "best" });
    expect(Object.keys(cmp.metrics)).toEqual(["latency", "loss"]);
    expect(cmp.metrics["latency"]?.best).toEqual({ index: 2, runId: ids[2], value: 8 });
    expect(cmp.metrics["loss"]?.best).toEqual({ index: 1, runId: ids[1], value: 0.3 });
  });

  it("lists differing params (missing as null) and the same ones with allParams", async () => {
    const cmp = await compareRuns(tracker, ids, { allParams: true });
    expect(cmp.params.differing).toEqual({ extra: ["x", null, null], lr: ["0.01", "0.02", "0.1"] });
    expect(cmp.params.same).toEqual({ bs: "32" });
    expect((await compareRuns(tracker, ids)).params.same).toBeUndefined();
  });

  it("accepts search options and uses getRunDatasets when the tracker has it", async () => {
    const withDatasets = Object.assign(Object.create(tracker) as Tracker, {
      getRunDatasets: async (id: string) => [{ name: "train", digest: `d-${id.slice(-4)}` }],
    });
    const cmp = await compareRuns(withDatasets, { filter: "params.bs = '32'", orderBy: ["attributes.run_name ASC"] });
    expect(cmp.runs.map((r) => r.name)).toEqual(["r0", "r1", "r2"]);
    expect(cmp.runs[0]?.datasets).toEqual([{ name: "train", digest: `d-${ids[0]?.slice(-4)}` }]);
  });
});

describe("compareModelVersions", () => {
  it("compares releases with semver, aliases, rationale, bump and run-history metrics", async () => {
    await tracker.registerModel("m", { runId: ids[0] as string, rationale: "first", aliases: ["champion"] });
    await tracker.registerModel("m", { runId: ids[1] as string, bump: "minor", rationale: "better lr" });
    const cmp = await compareModelVersions(tracker, "m", ["champion", "^1", "1.0.0"]);
    expect(cmp.versions.map((v) => [v.version, v.aliases, v.rationale, v.runName, v.gitCommit])).toEqual([
      ["1.0.0", ["champion"], "first", "r0", "c0"],
      ["1.1.0", [], "better lr", "r1", "c1"],
    ]);
    expect(cmp.versions[1]?.bump).toBe("minor");
    expect(cmp.metrics["loss"]?.best).toEqual({ index: 1, runId: ids[1], value: 0.4, version: "1.1.0" });
    expect(cmp.metrics["loss"]?.perRun[0]).toMatchObject({ bestStep: 10, points: 3 });
    expect(cmp.params.differing).toMatchObject({ lr: ["0.01", "0.02"] });
    expect((await compareModelVersions(tracker, "m")).versions).toHaveLength(2);
  });
});

describe("pure parts", () => {
  it("default directions by name", () => {
    expect(["val_loss", "error_rate", "MAE", "rmse", "perplexity", "acc_loss"].map(defaultDirection)).toEqual(["min", "min", "min", "min", "min", "min"]);
    expect(["accuracy", "auc", "f1", "precision", "recall", "r2", "map@10", "ndcg", "throughput"].map(defaultDirection)).toEqual(Array(9).fill("max"));
  });

  it("summaries: empty, all NaN, last by step then timestamp", () => {
    expect(summarize([], "min")).toMatchObject({ last: null, best: null, points: 0 });
    expect(summarize([{ key: "l", value: NaN, step: 0, timestamp: 1 }], "min")).toMatchObject({ last: null, min: null, best: null, bestStep: null, points: 1 });
    const h = [
      { key: "l", value: 2, step: 5, timestamp: 1 },
      { key: "l", value: 1, step: 5, timestamp: 2 },
      { key: "l", value: 3, step: 1, timestamp: 3 },
    ];
    expect(summarize(h, "max")).toEqual({ last: 1, min: 1, max: 3, best: 3, bestStep: 1, points: 3 });
  });

  it("diffParams: a param missing in one entry differs", () => {
    expect(diffParams([{ a: "1" }, { a: "1", b: "2" }])).toEqual({ differing: { b: [null, "2"] }, same: { a: "1" } });
  });

  it("LTTB keeps the ends and the peaks, at most `threshold` points", () => {
    const n = 100_000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => (i === 54_321 ? 100 : Math.sin(i / 1000)));
    const d = lttb({ x, y }, 500);
    expect(d.x).toHaveLength(500);
    expect([d.x[0], d.x[499]]).toEqual([0, n - 1]);
    expect(d.y).toContain(100);
    expect(d.x.every((v, i) => i === 0 || v > (d.x[i - 1] as number))).toBe(true);
    expect(lttbIndices({ x: [0, 1, 2, 3], y: [0, 5, 0, 0] }, 3)).toEqual([0, 1, 3]);
    expect(lttbIndices({ x: [0, 1], y: [1, 2] }, 10)).toEqual([0, 1]);
  });
});

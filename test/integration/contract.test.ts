/**
 * The backend contract: the same cases, through the public Tracker API, on every backend of
 * test/support/backends.ts (the local store, MLflow, and whatever entries are added there).
 * Round trip (params, metrics with NaN and ±Infinity, tags, status), history, a subset of
 * search (filter, order, limit), misses (the same NotFoundError class everywhere, the server's
 * answer kept as the cause), conflicts, and the registry rules. With a server, every read
 * happens after `flush` has the server acknowledge and check everything, so the server answers.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, ConflictError, NotFoundError, Tracker, type TrackerOptions } from "../../src/index.js";
import { BACKENDS, trackerOptions } from "../support/backends.js";
import { uniqueName } from "../support/mlflow.js";
import { fakeDigest } from "../support/registry.js";

/** An id no backend holds (MLflow's run ids are 32 hex digits). */
const UNKNOWN_RUN = "0123456789abcdef0123456789abcdef";

/** The error `p` rejects with; fails when it resolves. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

describe.each(BACKENDS)("backend contract: $name", (backend) => {
  let where: Pick<TrackerOptions, "trackingUri" | "auth">;
  let tracker: Tracker;
  const cleanups: (() => unknown)[] = [];

  beforeAll(async () => {
    where = await backend.open();
    const made = trackerOptions(where, uniqueName("contract"));
    tracker = new Tracker(made.options);
    cleanups.push(made.cleanup, () => tracker.close({ timeoutMs: 10_000 }));
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  /** Everything logged so far is on the backend (acknowledged and checked). */
  async function settled(): Promise<void> {
    expect(await tracker.flush({ timeoutMs: 120_000 })).toMatchObject({ pending: 0, rejected: 0 });
  }

  it("round trip: params, metrics with NaN and ±Infinity, tags and status read back as logged", async () => {
    const run = await tracker.startRun({ name: "round-trip", params: { lr: 0.01, depth: 3, opt: "adam" } });
    run.logMetric("loss", 0.5, { step: 0, timestamp: 1_700_000_000_000 });
    run.logMetric("loss", 0.25, { step: 1, timestamp: 1_700_000_000_001 });
    run.logMetric("nan", Number.NaN, { step: 0, timestamp: 1_700_000_000_002 });
    run.logMetric("pinf", Number.POSITIVE_INFINITY, { step: 0, timestamp: 1_700_000_000_003 });
    run.logMetric("ninf", Number.NEGATIVE_INFINITY, { step: 0, timestamp: 1_700_000_000_004 });
    run.setTags({ team: "ranking", "non-ascii": "Zürich ✓" });
    await run.end({ status: "FAILED" });
    await settled();

    const got = await tracker.getRun(run.id);
    expect(got.info).toMatchObject({ runId: run.id, name: "round-trip", status: "FAILED" });
    expect(got.info.endTime).toEqual(expect.any(Number));
    expect(got.data.params).toEqual({ lr: "0.01", depth: "3", opt: "adam" });
    expect(got.data.metrics).toEqual({ loss: 0.25, nan: Number.NaN, pinf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY });
    expect(got.data.tags).toMatchObject({ team: "ranking", "non-ascii": "Zürich ✓", "mlflow.runName": "round-trip" });
  });

  it("history: every point of a metric in logged order, NaN and ±Infinity included; an unknown key has none", async () => {
    const run = await tracker.startRun({ name: "history" });
    const values = [1, Number.NaN, 0.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0.125];
    values.forEach((value, step) => run.logMetric("v", value, { step, timestamp: 1_700_000_001_000 + step }));
    await run.end();
    await settled();

    const history = await tracker.getMetricHistory(run.id, "v");
    expect(history).toEqual(values.map((value, step) => ({ key: "v", value, step, timestamp: 1_700_000_001_000 + step })));
    expect(await tracker.getMetricHistory(run.id, "never-logged")).toEqual([]);
    const both = await tracker.getMetricHistories(run.id, ["v"]);
    expect(both["v"]).toEqual(history);
  });

  it("search: filter on metrics, params and tags, order by a metric, and a limit", async () => {
    const experiment = uniqueName("contract-search");
    const made = trackerOptions(where, experiment);
    const t = new Tracker(made.options);
    cleanups.push(made.cleanup, () => t.close({ timeoutMs: 10_000 }));
    for (const [name, acc, depth, group] of [
      ["a", 0.2, 1, "g1"],
      ["b", 0.6, 2, "g2"],
      ["c", 0.9, 3, "g1"],
    ] as const) {
      await t.withRun({ name, params: { depth }, tags: { group } }, (run) => run.logMetric("acc", acc, { step: 0 }));
    }
    expect(await t.flush({ timeoutMs: 120_000 })).toMatchObject({ pending: 0, rejected: 0 });
    const names = async (filter: string | undefined, orderBy: string[], maxResults?: number): Promise<string[]> =>
      (await t.searchRuns({ orderBy, ...(filter === undefined ? {} : { filter }), ...(maxResults === undefined ? {} : { maxResults }) })).map(
        (r) => r.info.name,
      );

    expect(await names("metrics.acc > 0.5", ["metrics.acc DESC"])).toEqual(["c", "b"]);
    expect(await names(undefined, ["metrics.acc ASC"])).toEqual(["a", "b", "c"]);
    expect(await names(undefined, ["metrics.acc DESC"], 2)).toEqual(["c", "b"]);
    expect(await names("params.depth = '2'", [])).toEqual(["b"]);
    expect(await names("tags.group = 'g1'", ["params.depth DESC"])).toEqual(["c", "a"]);
    expect(await names("attributes.run_name LIKE 'b%'", [])).toEqual(["b"]);
  });

  it("a miss is a NotFoundError everywhere, with the backend's own answer as its cause", async () => {
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-contract-dl-"));
    cleanups.push(() => fs.rmSync(dest, { recursive: true, force: true }));
    const runMisses: [string, () => Promise<unknown>][] = [
      ["getRun", () => tracker.getRun(UNKNOWN_RUN)],
      ["getMetricHistory", () => tracker.getMetricHistory(UNKNOWN_RUN, "loss")],
      ["getMetricHistories", () => tracker.getMetricHistories(UNKNOWN_RUN)],
      ["getRunDatasets", () => tracker.getRunDatasets(UNKNOWN_RUN)],
      ["listArtifacts", () => tracker.listArtifacts(UNKNOWN_RUN)],
      ["downloadArtifacts", () => tracker.downloadArtifacts(UNKNOWN_RUN, "model", dest)],
    ];
    if (backend.runMiss !== undefined) {
      // The server hides whether the run exists: the same class for every run read, and the same message.
      for (const [call, p] of runMisses) expect(await rejection(p()), call).toBeInstanceOf(backend.runMiss);
    }
    const misses: [string, () => Promise<unknown>][] = [
      ...(backend.runMiss === undefined ? runMisses : []),
      ["searchRuns of an unknown experiment", () => tracker.searchRuns({ experiment: uniqueName("no-such-experiment") })],
      ["getModelVersion of an unknown model", () => tracker.getModelVersion(uniqueName("no-such-model"), "1.0.0")],
    ];
    for (const [call, p] of misses) {
      const err = await rejection(p()).catch((e: unknown) => {
        throw new Error(`${call}: ${(e as Error).message}`);
      });
      expect(err, call).toBeInstanceOf(NotFoundError);
      // MLflow's answer is kept as the cause (an ApiError), never as the class thrown.
      expect(err, call).not.toBeInstanceOf(ApiError);
      if (backend.server && (err as Error).cause !== undefined) expect((err as Error).cause, call).toBeInstanceOf(ApiError);
    }
    // A run that exists, with nothing at that path.
    const run = await tracker.startRun({ name: "no-artifacts" });
    await run.end();
    await settled();
    expect(await rejection(tracker.downloadArtifacts(run.id, "missing.txt", dest))).toBeInstanceOf(NotFoundError);
  });

  it("conflicts: a param re-logged with another value, an explicit version taken, a stale alias", async () => {
    const run = await tracker.startRun({ name: "conflicts", params: { lr: 0.01 } });
    expect(() => run.logParam("lr", 0.02)).toThrow(ConflictError);
    run.logParam("lr", 0.01); // the same value again is no conflict
    await run.end();
    await settled();
    expect((await tracker.getRun(run.id)).data.params).toEqual({ lr: "0.01" });

    const model = uniqueName("contract-conflict");
    await tracker.registerModel(model, { runId: run.id, version: "1.0.0", contentDigest: fakeDigest(`${model}-a`), rationale: "first" });
    const taken = await rejection(
      tracker.registerModel(model, { runId: run.id, version: "1.0.0", contentDigest: fakeDigest(`${model}-b`), rationale: "same version, other content" }),
    );
    expect(taken).toBeInstanceOf(ConflictError);
    await tracker.setAlias(model, "champion", "1.0.0", { expected: null });
    expect(await rejection(tracker.setAlias(model, "champion", "1.0.0", { expected: null }))).toBeInstanceOf(ConflictError);
    expect(await rejection(tracker.deleteAlias(model, "champion", { expected: "2.0.0" }))).toBeInstanceOf(ConflictError);
  });

  it("registry rules: first release, bumps, ranges skip deprecated, identical content, tombstones", async () => {
    const run = await tracker.startRun({ name: "registry", params: { lr: 0.01 } });
    run.logMetric("acc", 0.9, { step: 0 });
    await run.end();
    await settled();
    const model = uniqueName("contract-registry");
    const digest = (label: string): string => fakeDigest(`${model}-${label}`);

    const first = await tracker.registerModel(model, { runId: run.id, contentDigest: digest("a"), rationale: "first" });
    expect(first.version).toBe("1.0.0");
    expect(first.metrics).toEqual({ acc: 0.9 });
    const minor = await tracker.registerModel(model, { runId: run.id, contentDigest: digest("b"), bump: "minor", rationale: "new features" });
    expect(minor.version).toBe("1.1.0");
    // Identical content makes no new version.
    expect((await tracker.registerModel(model, { runId: run.id, contentDigest: digest("b"), rationale: "again" })).version).toBe("1.1.0");
    expect((await tracker.getModelVersion(`${model}@^1`)).version).toBe("1.1.0");
    await tracker.deprecate(model, "1.1.0", { reason: "leaks labels" });
    expect((await tracker.getModelVersion(`${model}@^1`)).version).toBe("1.0.0");
    expect((await tracker.getModelVersion(model, "1.1.0")).deprecated).toBe(true);
    await tracker.deleteModelVersion(model, "1.1.0", { reason: "bad data" });
    expect((await tracker.listModelVersions(model)).map((v) => v.version)).toEqual(["1.0.0"]);
    const reuse = await rejection(
      tracker.registerModel(model, { runId: run.id, version: "1.1.0", contentDigest: digest("c"), rationale: "reuse a deleted version" }),
    );
    expect(reuse).toBeInstanceOf(ConflictError);
    expect((await tracker.modelHistory(model)).map((e) => e.action)).toEqual(["release", "release", "deprecate", "delete"]);
  });
});

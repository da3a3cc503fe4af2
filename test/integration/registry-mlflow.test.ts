/**
 * The model registry on the real MLflow 3.18 server of the integration project. What mltrail
 * registers is checked through MLflow's own REST API (test/support/mlflow.ts), never through
 * the SDK under test: the integer model version stays MLflow's key, the semver is a version
 * tag, the release facts are the `mltrail.release` tag, aliases are MLflow aliases, deleted
 * versions are tombstones in the registered model's `mltrail.tombstone.<version>` tags. Races (rule 8):
 * concurrent releases from separate trackers leave exactly one MLflow version per semver.
 * Every test uses its own model names (the server is shared).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, type Tracker } from "../../src/index.js";
import type { ModelSignature, ModelVersion, TrackerOptions } from "../../src/index.js";
import { mlflowGet, mlflowUri, uniqueName } from "../support/mlflow.js";
import { ensureDist, newTracker, tempDir } from "../fixtures/replication/harness.js";
import { Child } from "../fixtures/crash/harness.js";
import { fakeDigest } from "../support/registry.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tracker(extra: TrackerOptions = {}): Tracker {
  const spool = tempDir("registry");
  const t = newTracker(spool.dir, uniqueName("registry-exp"), extra);
  cleanups.push(spool.cleanup, async () => void (await t.close({ timeoutMs: 5000 })));
  return t;
}

/** A finished run that reached the server; returns its (server) id. */
async function serverRun(t: Tracker, commit = "0123456789abcdef0123456789abcdef01234567"): Promise<string> {
  const run = await t.startRun({ params: { lr: 0.01 } });
  run.logMetric("acc", 0.7, { step: 0 });
  run.logMetric("acc", 0.91, { step: 1 });
  run.setTag("mlflow.source.git.commit", commit);
  await run.end();
  expect(await t.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
  return run.id;
}

interface RawVersion {
  name: string;
  version: string;
  run_id?: string;
  source?: string;
  tags?: { key: string; value: string }[];
}

function tagsOf(x: { tags?: { key: string; value: string }[] }): Record<string, string> {
  return Object.fromEntries((x.tags ?? []).map((t) => [t.key, t.value]));
}

/** Every live MLflow model version of a model, by integer version. */
async function rawVersions(name: string): Promise<RawVersion[]> {
  const res = await mlflowGet<{ model_versions?: RawVersion[] }>("model-versions/search", { filter: `name='${name}'`, max_results: 1000 });
  return (res.model_versions ?? []).sort((a, b) => Number(a.version) - Number(b.version));
}

async function rawModel(name: string): Promise<{ tags: Record<string, string>; aliases: Record<string, string> }> {
  const res = await mlflowGet<{ registered_model: { tags?: { key: string; value: string }[]; aliases?: { alias: string; version: string }[] } }>(
    "registered-models/get",
    { name },
  );
  return { tags: tagsOf(res.registered_model), aliases: Object.fromEntries((res.registered_model.aliases ?? []).map((a) => [a.alias, a.version])) };
}

async function settle<T>(ps: Promise<T>[]): Promise<{ ok: T[]; errors: unknown[] }> {
  const results = await Promise.allSettled(ps);
  return {
    ok: results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])),
    errors: results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : [])),
  };
}

const SIG: ModelSignature = { inputs: [{ name: "age", dtype: "float32" }], outputs: [{ name: "p", dtype: "float32" }] };

describe("round trip: what mltrail registers is visible through MLflow's REST API", () => {
  it("semver tag, release tag, aliases as MLflow aliases; ranges and aliases resolve against it", async () => {
    const t = tracker();
    const runId = await serverRun(t);
    const model = uniqueName("reg-rt");
    const v1 = await t.registerModel(model, {
      runId,
      signature: SIG,
      contentDigest: fakeDigest("sha256:a"),
      rationale: "first release",
      aliases: ["champion"],
    });
    expect(v1).toMatchObject({
      name: model,
      version: "1.0.0",
      backendVersion: "1",
      runId,
      rationale: "first release",
      aliases: ["champion"],
      gitCommit: "0123456789abcdef0123456789abcdef01234567",
    });
    expect(v1.metrics).toEqual({ acc: 0.91 });
    const v11 = await t.registerModel(model, { runId, signature: SIG, contentDigest: fakeDigest("sha256:b"), bump: "minor", rationale: "retrained" });
    expect(v11).toMatchObject({ version: "1.1.0", backendVersion: "2" });

    // MLflow's view.
    const raw = await rawVersions(model);
    expect(raw.map((v) => v.version)).toEqual(["1", "2"]);
    expect(raw.map((v) => tagsOf(v)["mltrail.version"])).toEqual(["1.0.0", "1.1.0"]);
    expect(raw[0]?.run_id).toBe(runId);
    expect(raw[0]?.source).toBe(`runs:/${runId}/model`);
    const release = JSON.parse(tagsOf(raw[0] as RawVersion)["mltrail.release"] ?? "{}") as Record<string, unknown>;
    expect(release).toMatchObject({
      rationale: "first release",
      metrics: { acc: 0.91 },
      contentDigest: fakeDigest("sha256:a"),
      signature: SIG,
      gitCommit: "0123456789abcdef0123456789abcdef01234567",
      bump: "initial",
    });
    expect(typeof release["author"]).toBe("string");
    expect(typeof release["createdAt"]).toBe("number");
    expect((await rawModel(model)).aliases).toEqual({ champion: "1" });
    const byAlias = await mlflowGet<{ model_version: RawVersion }>("registered-models/alias", { name: model, alias: "champion" });
    expect(byAlias.model_version.version).toBe("1");
    expect(tagsOf(byAlias.model_version)["mltrail.version"]).toBe("1.0.0");

    // Resolution, from a second tracker that shares nothing local with the first.
    const reader = tracker();
    for (const [ref, expected] of [
      ["^1", "1.1.0"],
      ["~1.0", "1.0.0"],
      [">=1 <2", "1.1.0"],
      ["1.0.0", "1.0.0"],
      ["champion", "1.0.0"],
      ["latest", "1.1.0"],
    ] as const) {
      expect((await reader.getModelVersion(model, ref)).version, ref).toBe(expected);
      expect((await reader.getModelVersion(`${model}@${ref}`)).version, ref).toBe(expected);
    }
    const read = await reader.getModelVersion(model, "1.0.0");
    expect(read).toMatchObject({
      backendVersion: "1",
      rationale: "first release",
      contentDigest: fakeDigest("sha256:a"),
      aliases: ["champion"],
      metrics: { acc: 0.91 },
    });

    // Moving the alias moves the MLflow alias; compare-and-set refuses a stale expectation.
    await reader.setAlias(model, "champion", "1.1.0", { expected: "1.0.0" });
    expect((await rawModel(model)).aliases).toEqual({ champion: "2" });
    await expect(t.setAlias(model, "champion", "1.0.0", { expected: "1.0.0" })).rejects.toBeInstanceOf(ConflictError);
    expect((await rawModel(model)).aliases).toEqual({ champion: "2" });

    // Deprecation and description live on MLflow too.
    await t.deprecate(model, "1.1.0", "leaks labels");
    await t.updateModelVersion(model, "1.0.0", { description: "the baseline" });
    expect((await reader.getModelVersion(model, "latest")).version).toBe("1.0.0");
    const after = await rawVersions(model);
    expect(JSON.parse(tagsOf(after[1] as RawVersion)["mltrail.release"] ?? "{}")).toMatchObject({ deprecated: "leaks labels" });
    const desc = await mlflowGet<{ model_version: { description?: string } }>("model-versions/get", { name: model, version: "1" });
    expect(desc.model_version.description).toBe("first release\n\nthe baseline"); // the rationale, then the description

    // The audit trail is on the server: a fresh tracker reads it.
    const history = await reader.modelHistory(model);
    expect(history.map((e) => e.action)).toEqual(["release", "alias", "release", "alias", "deprecate", "update"]);
    expect(history[0]).toMatchObject({ version: "1.0.0", reason: "first release" });
    expect(await reader.listModels()).toContain(model);
  });

  it('a custom versionTag ("gitlab.version") holds the semver', async () => {
    const t = tracker({ versionTag: "gitlab.version" });
    const runId = await serverRun(t);
    const model = uniqueName("reg-gitlab");
    await t.registerModel(model, { runId, contentDigest: fakeDigest("a"), rationale: "x" });
    await t.registerModel(model, { runId, contentDigest: fakeDigest("b"), bump: "minor", rationale: "y" });
    const raw = await rawVersions(model);
    expect(raw.map((v) => tagsOf(v)["gitlab.version"])).toEqual(["1.0.0", "1.1.0"]);
    expect(raw.map((v) => tagsOf(v)["mltrail.version"])).toEqual([undefined, undefined]);
    expect((await t.getModelVersion(model, "^1")).version).toBe("1.1.0");
    // A tracker with the default tag sees no mltrail release on this model.
    const other = tracker();
    await expect(other.getModelVersion(model, "latest")).rejects.toMatchObject({ name: "NotFoundError" });
  });
});

describe("delete leaves a tombstone (rule 5)", () => {
  it("the MLflow version is deleted, the tombstone is a model tag, and the semver is never reused", async () => {
    const t = tracker();
    const runId = await serverRun(t);
    const model = uniqueName("reg-tomb");
    await t.registerModel(model, { runId, contentDigest: fakeDigest("a") });
    await t.registerModel(model, { runId, contentDigest: fakeDigest("b"), bump: "minor", aliases: ["challenger"] });
    await t.deleteModelVersion(model, "1.1.0", { reason: "bad data" });

    expect((await rawVersions(model)).map((v) => tagsOf(v)["mltrail.version"])).toEqual(["1.0.0"]);
    const { tags, aliases } = await rawModel(model);
    expect(aliases).toEqual({});
    expect(JSON.parse(tags["mltrail.tombstone.1.1.0"] ?? "{}")).toMatchObject({ version: "1.1.0", backendVersion: "2" });

    const reuse = tracker();
    await expect(reuse.registerModel(model, { runId, contentDigest: fakeDigest("c"), version: "1.1.0" })).rejects.toSatisfy(
      (e: unknown) => e instanceof ConflictError && e.message.includes("rule 5"),
    );
    expect(await rawVersions(model)).toHaveLength(1); // nothing left behind
    expect((await reuse.registerModel(model, { runId, contentDigest: fakeDigest("c"), bump: "minor" })).version).toBe("1.2.0");
    expect((await rawVersions(model)).map((v) => tagsOf(v)["mltrail.version"])).toEqual(["1.0.0", "1.2.0"]);
  });
});

describe("races (rule 8): 4 trackers release one model at once", () => {
  const N = 4;

  async function setup(): Promise<{ model: string; runId: string; trackers: Tracker[] }> {
    const first = tracker();
    const runId = await serverRun(first);
    const model = uniqueName("reg-race");
    await first.registerModel(model, { runId, contentDigest: fakeDigest("base") });
    return { model, runId, trackers: Array.from({ length: N }, () => tracker()) };
  }

  it("the same explicit version: exactly one wins, the rest get ConflictError, no orphan MLflow version", async () => {
    const { model, runId, trackers } = await setup();
    // Warm every tracker (run lookup, model read) so the releases start together.
    await Promise.all(trackers.map((t) => t.getRun(runId)));
    const { ok, errors } = await settle(
      trackers.map((t, i) => t.registerModel(model, { runId, contentDigest: fakeDigest(`d${i}`), version: "1.1.0", rationale: `t${i}` })),
    );
    expect(
      ok.map((v) => v.version),
      String(errors),
    ).toEqual(["1.1.0"]);
    expect(errors).toHaveLength(N - 1);
    for (const e of errors) expect((e as Error).name, String(e)).toBe("ConflictError");

    const raw = await rawVersions(model);
    const of11 = raw.filter((v) => tagsOf(v)["mltrail.version"] === "1.1.0");
    expect(of11).toHaveLength(1);
    expect(of11[0]?.version).toBe((ok[0] as ModelVersion).backendVersion);
    expect(raw).toHaveLength(2);
    expect(JSON.parse(tagsOf(of11[0] as RawVersion)["mltrail.release"] ?? "{}")).toMatchObject({ contentDigest: (ok[0] as ModelVersion).contentDigest });
  });

  it("computed bumps: all succeed with distinct versions; MLflow holds exactly one version per success", async () => {
    const { model, runId, trackers } = await setup();
    await Promise.all(trackers.map((t) => t.getRun(runId)));
    const { ok, errors } = await settle(
      trackers.map((t, i) => t.registerModel(model, { runId, contentDigest: fakeDigest(`d${i}`), bump: "minor", rationale: `t${i}` })),
    );
    expect(errors, String(errors)).toEqual([]);
    const versions = ok.map((v) => v.version).sort();
    expect(versions).toEqual(["1.1.0", "1.2.0", "1.3.0", "1.4.0"]);
    const raw = await rawVersions(model);
    expect(raw).toHaveLength(N + 1);
    expect(raw.map((v) => tagsOf(v)["mltrail.version"]).sort()).toEqual(["1.0.0", ...versions]);
    expect(new Set(ok.map((v) => v.backendVersion)).size).toBe(N);
  });
});

describe("races (rule 8) across processes: 4 children release one model at once", () => {
  const N = 4;
  const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "registry", "release.mjs");
  beforeAll(ensureDist, 180_000);

  async function race(
    spec: string,
  ): Promise<{ model: string; outcomes: { ok: boolean; version?: string; backendVersion?: string; name?: string; message?: string }[] }> {
    const first = tracker();
    const runId = await serverRun(first);
    const model = uniqueName("reg-prace");
    await first.registerModel(model, { runId, contentDigest: fakeDigest("base") });
    const startAt = Date.now() + 2500;
    const children = Array.from({ length: N }, (_, i) => {
      const spool = tempDir("registry-child");
      cleanups.push(spool.cleanup);
      return new Child(process.execPath, [fixture, mlflowUri(), model, runId, String(startAt), spec, fakeDigest(`d${i}`), spool.dir], {});
    });
    await Promise.all(children.map((c) => c.waitFor(/^ready$/, 30_000)));
    const lines = await Promise.all(children.map((c) => c.waitFor(/^\{/, 60_000)));
    for (const c of children) expect((await c.exit(20_000)).code, c.stderr).toBe(0);
    return { model, outcomes: lines.map((l) => JSON.parse(l) as { ok: boolean; version?: string; backendVersion?: string; name?: string; message?: string }) };
  }

  it("the same explicit version: exactly one wins, the rest get ConflictError, no orphan MLflow version", async () => {
    const { model, outcomes } = await race("version:1.1.0");
    const winners = outcomes.filter((o) => o.ok);
    expect(winners, JSON.stringify(outcomes)).toHaveLength(1);
    for (const l of outcomes.filter((o) => !o.ok)) expect(l.name, l.message).toBe("ConflictError");
    const raw = await rawVersions(model);
    expect(raw.map((v) => tagsOf(v)["mltrail.version"])).toEqual(["1.0.0", "1.1.0"]);
    expect(raw[1]?.version).toBe(winners[0]?.backendVersion);
  });

  it("computed bumps: all succeed with distinct versions; MLflow holds exactly one version per success", async () => {
    const { model, outcomes } = await race("bump:minor");
    expect(
      outcomes.filter((o) => !o.ok),
      JSON.stringify(outcomes),
    ).toEqual([]);
    const versions = outcomes.map((o) => o.version as string).sort();
    expect(versions).toEqual(["1.1.0", "1.2.0", "1.3.0", "1.4.0"]);
    const raw = await rawVersions(model);
    expect(raw.map((v) => tagsOf(v)["mltrail.version"]).sort()).toEqual(["1.0.0", ...versions]);
  });
});

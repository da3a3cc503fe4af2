/**
 * The model registry on the local store, through the public Tracker API: the release flow
 * (1.0.0 → retrain → 1.1.0 → identical → removed input → 2.0.0), resolution of exact
 * versions, ranges, aliases, `latest` and `name@ref`, prereleases and promotion, deprecation,
 * tombstones, reserved aliases, alias compare-and-set, policies, invalid versions, rule 6 and
 * the audit trail (README, "Model releases with semantic versions").
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConflictError, NotFoundError, Tracker, ValidationError, diffSignatures } from "../../src/index.js";
import type { ModelSignature, TrackerOptions } from "../../src/index.js";
import { fakeDigest, modelFolder, rejection } from "../support/registry.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function newStore(extra: TrackerOptions = {}): { tracker: Tracker; root: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), "mltrail-registry-"));
  const tracker = new Tracker({ trackingUri: root, experiment: "registry", captureContext: false, handleExit: false, ...extra });
  cleanups.push(
    () => rmSync(root, { recursive: true, force: true }),
    async () => void (await tracker.close()),
  );
  return { tracker, root };
}

/** A finished run with the given params, metrics (logged in order, step = index) and tags. */
async function finishedRun(
  tracker: Tracker,
  opts: { params?: Record<string, string | number>; metrics?: [string, number][]; tags?: Record<string, string> } = {},
): Promise<string> {
  const run = await tracker.startRun({ params: opts.params ?? { lr: 0.01 } });
  (opts.metrics ?? []).forEach(([k, v], i) => run.logMetric(k, v, { step: i }));
  for (const [k, v] of Object.entries(opts.tags ?? {})) run.setTag(k, v);
  await run.end();
  return run.id;
}

/** The version files of a model in a local store (tombstones included). */
function versionFiles(root: string, model: string): string[] {
  return readdirSync(path.join(modelFolder(root, model), "versions")).filter((f) => f.endsWith(".json"));
}

const SIG: ModelSignature = {
  inputs: [
    { name: "age", dtype: "float32" },
    { name: "income", dtype: "float32" },
  ],
  outputs: [{ name: "p", dtype: "float32", shape: [null, 2] }],
  labels: ["stay", "churn"],
};
const SIG_NO_AGE: ModelSignature = { ...SIG, inputs: [{ name: "income", dtype: "float32" }] };

describe("release flow on the local store", () => {
  it("1.0.0 → retrain 1.1.0 → identical content → removed input needs major → 2.0.0", async () => {
    const { tracker, root } = newStore();
    const r1 = await finishedRun(tracker);
    const v1 = await tracker.registerModel("churn", { runId: r1, signature: SIG, contentDigest: fakeDigest("sha256:aaa"), rationale: "first" });
    expect(v1).toMatchObject({ name: "churn", version: "1.0.0", bump: "initial", runId: r1, source: `runs:/${r1}/model` });

    // Retrained: new weights (content digest) with the same signature and params → minor.
    const r2 = await finishedRun(tracker);
    const v11 = await tracker.registerModel("churn", { runId: r2, signature: SIG, contentDigest: fakeDigest("sha256:bbb"), rationale: "retrained" });
    expect(v11.version).toBe("1.1.0");
    expect(v11.bump).toBe("minor");
    expect(versionFiles(root, "churn")).toHaveLength(2);

    // Identical content: the same version comes back and no file is written.
    const same = await tracker.registerModel("churn", { runId: r2, signature: SIG, contentDigest: fakeDigest("sha256:bbb"), rationale: "again" });
    expect(same.version).toBe("1.1.0");
    expect(same.backendVersion).toBe(v11.backendVersion);
    expect(same.rationale).toBe("retrained");
    expect(versionFiles(root, "churn")).toHaveLength(2);
    expect((await tracker.modelHistory("churn")).filter((e) => e.action === "release")).toHaveLength(2);

    // A removed input breaks callers: a minor bump is refused, naming the change.
    const r3 = await finishedRun(tracker);
    const lowered = await rejection(
      tracker.registerModel("churn", { runId: r3, signature: SIG_NO_AGE, contentDigest: fakeDigest("sha256:ccc"), bump: "minor", rationale: "drop age" }),
    );
    expect(lowered).toBeInstanceOf(ValidationError);
    expect(lowered.message).toContain('input "age" removed → major required, got minor');
    expect(lowered.message).toContain("rule 2");
    // Also with an explicit version on the minor line.
    const lowered2 = await rejection(
      tracker.registerModel("churn", { runId: r3, signature: SIG_NO_AGE, contentDigest: fakeDigest("sha256:ccc"), version: "1.2.0", rationale: "drop age" }),
    );
    expect(lowered2).toBeInstanceOf(ValidationError);
    expect(lowered2.message).toContain('input "age" removed → major required, got minor');
    expect(versionFiles(root, "churn")).toHaveLength(2);

    // Inferred (no bump, no version): major.
    const v2 = await tracker.registerModel("churn", { runId: r3, signature: SIG_NO_AGE, contentDigest: fakeDigest("sha256:ccc"), rationale: "drop age" });
    expect(v2.version).toBe("2.0.0");
    expect(v2.bump).toBe("major");
    expect(v2.changes.some((c) => c.includes('input "age" removed'))).toBe(true);
    expect((await tracker.listModelVersions("churn")).map((v) => v.version)).toEqual(["1.0.0", "1.1.0", "2.0.0"]);
    expect(await tracker.listModels()).toEqual(["churn"]);
  });

  it("an explicit major version for a breaking change is accepted", async () => {
    const { tracker } = newStore();
    await tracker.registerModel("m", { runId: await finishedRun(tracker), signature: SIG, contentDigest: fakeDigest("a") });
    const v2 = await tracker.registerModel("m", { runId: await finishedRun(tracker), signature: SIG_NO_AGE, contentDigest: fakeDigest("b"), version: "2.0.0" });
    expect(v2.version).toBe("2.0.0");
  });
});

describe("resolution", () => {
  async function threeVersions(): Promise<Tracker> {
    const { tracker } = newStore();
    const run = await finishedRun(tracker);
    await tracker.registerModel("churn", { runId: run, contentDigest: fakeDigest("a"), version: "1.0.0" });
    await tracker.registerModel("churn", { runId: run, contentDigest: fakeDigest("b"), version: "1.1.0" });
    await tracker.registerModel("churn", { runId: run, contentDigest: fakeDigest("c"), version: "2.0.0" });
    await tracker.setAlias("churn", "champion", "1.1.0");
    return tracker;
  }

  it.each([
    ["1.0.0", "1.0.0"],
    ["^1", "1.1.0"],
    ["~1.1", "1.1.0"],
    [">=1 <2", "1.1.0"],
    ["^2", "2.0.0"],
    ["champion", "1.1.0"],
    ["latest", "2.0.0"],
  ])('getModelVersion(name, %j) → %s, and the same through "name@ref"', async (ref, expected) => {
    const tracker = await threeVersions();
    expect((await tracker.getModelVersion("churn", ref)).version).toBe(expected);
    expect((await tracker.getModelVersion(`churn@${ref}`)).version).toBe(expected);
  });

  it("a bare name is latest; the alias is reported on its version; no match is NotFoundError", async () => {
    const tracker = await threeVersions();
    expect((await tracker.getModelVersion("churn")).version).toBe("2.0.0");
    expect((await tracker.getModelVersion("churn", "1.1.0")).aliases).toEqual(["champion"]);
    expect(await rejection(tracker.getModelVersion("churn", "^3"))).toBeInstanceOf(NotFoundError);
    expect(await rejection(tracker.getModelVersion("nope", "latest"))).toBeInstanceOf(NotFoundError);
    expect(await rejection(tracker.getModelVersion("churn", "no-such-alias"))).toBeInstanceOf(NotFoundError);
  });
});

describe("prereleases, promotion, deprecation", () => {
  it("rc releases are skipped by plain ranges; promote makes the stable version with the same content", async () => {
    const { tracker } = newStore();
    const run = await finishedRun(tracker);
    await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("a"), signature: SIG });
    const rc0 = await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("b"), signature: SIG, bump: "minor", prerelease: "rc" });
    expect(rc0.version).toBe("1.1.0-rc.0");
    const rc1 = await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("c"), signature: SIG, bump: "minor", prerelease: "rc" });
    expect(rc1.version).toBe("1.1.0-rc.1");

    expect((await tracker.getModelVersion("m", "latest")).version).toBe("1.0.0");
    expect((await tracker.getModelVersion("m", "^1")).version).toBe("1.0.0");
    expect((await tracker.getModelVersion("m", "^1.1.0-rc.0")).version).toBe("1.1.0-rc.1");
    expect((await tracker.getModelVersion("m", "1.1.0-rc.0")).contentDigest).toBe(fakeDigest("b"));

    const stable = await tracker.promote("m", "1.1.0-rc.1", { rationale: "canary passed" });
    expect(stable).toMatchObject({ version: "1.1.0", contentDigest: fakeDigest("c"), signature: SIG, bump: "promote", rationale: "canary passed" });
    expect((await tracker.getModelVersion("m@latest")).version).toBe("1.1.0");

    // Promoting again would reuse 1.1.0 (rule 5); a stable version is not promotable (rule 4).
    const again = await rejection(tracker.promote("m", "1.1.0-rc.0", { rationale: "x" }));
    expect(again).toBeInstanceOf(ConflictError);
    expect(again.message).toContain("rule 5");
    const notPre = await rejection(tracker.promote("m", "1.1.0", { rationale: "x" }));
    expect(notPre).toBeInstanceOf(ValidationError);
    expect(notPre.message).toContain("rule 4");
    expect((await tracker.modelHistory("m")).filter((e) => e.action === "promote")).toMatchObject([
      { version: "1.1.0", from: "1.1.0-rc.1", reason: "canary passed" },
    ]);
  });

  it("deprecated versions are skipped by ranges and latest, but an exact ref still resolves", async () => {
    const { tracker } = newStore();
    const run = await finishedRun(tracker);
    await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("a"), version: "1.0.0" });
    await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("b"), version: "1.1.0" });
    const dep = await tracker.deprecate("m", "1.1.0", "leaks labels");
    expect(dep).toMatchObject({ version: "1.1.0", deprecated: true, deprecationReason: "leaks labels" });
    expect((await tracker.getModelVersion("m", "latest")).version).toBe("1.0.0");
    expect((await tracker.getModelVersion("m", "^1")).version).toBe("1.0.0");
    const exact = await tracker.getModelVersion("m", "1.1.0");
    expect(exact).toMatchObject({ version: "1.1.0", deprecated: true });
    expect(await rejection(tracker.deprecate("m", "1.0.0", " "))).toBeInstanceOf(ValidationError);
  });

  it("a range matching only deprecated versions finds nothing", async () => {
    const { tracker } = newStore();
    const run = await finishedRun(tracker);
    await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("a"), version: "1.0.0" });
    await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("b"), version: "1.1.0" });
    await tracker.deprecate("m", "1.1.0", "bad");
    const err = await rejection(tracker.getModelVersion("m", ">=1.1"));
    expect(err).toBeInstanceOf(NotFoundError);
  });
});

describe("delete leaves a tombstone (rule 5)", () => {
  it("the version disappears, its file stays, its aliases go, and it is never reused", async () => {
    const { tracker, root } = newStore();
    const run = await finishedRun(tracker);
    await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("a") });
    await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("b"), bump: "minor", aliases: ["champion"] });
    await tracker.deleteModelVersion("m", "1.1.0", { reason: "trained on bad data" });

    expect((await tracker.listModelVersions("m")).map((v) => v.version)).toEqual(["1.0.0"]);
    expect(await rejection(tracker.getModelVersion("m", "1.1.0"))).toBeInstanceOf(NotFoundError);
    expect(await rejection(tracker.getModelVersion("m", "champion"))).toBeInstanceOf(NotFoundError);
    expect(versionFiles(root, "m")).toHaveLength(2); // the tombstone stays on disk

    const reuse = await rejection(tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("c"), version: "1.1.0" }));
    expect(reuse).toBeInstanceOf(ConflictError);
    expect(reuse.message).toContain("rule 5");
    expect(reuse.message).toContain("1.1.0");
    // A computed bump skips over the tombstone.
    expect((await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("c"), bump: "minor" })).version).toBe("1.2.0");
    expect(versionFiles(root, "m")).toHaveLength(3);
    expect((await tracker.modelHistory("m")).find((e) => e.action === "delete")).toMatchObject({ version: "1.1.0", reason: "trained on bad data" });
  });
});

describe("aliases (rule 7) and compare-and-set", () => {
  it.each(["latest", "LATEST", "v2", "1.2", "1", "x"])("alias %j is reserved", async (alias) => {
    const { tracker } = newStore();
    await tracker.registerModel("m", { runId: await finishedRun(tracker), contentDigest: fakeDigest("a") });
    const err = await rejection(tracker.setAlias("m", alias, "1.0.0"));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain("rule 7");
  });

  it("a reserved alias in registerModel is refused before anything is released", async () => {
    const { tracker } = newStore();
    const err = await rejection(tracker.registerModel("m", { runId: await finishedRun(tracker), contentDigest: fakeDigest("a"), aliases: ["v2"] }));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain("rule 7");
    expect(await tracker.listModels()).toEqual([]);
  });

  it("expected makes setAlias / deleteAlias compare-and-set", async () => {
    const { tracker } = newStore();
    const run = await finishedRun(tracker);
    await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("a"), version: "1.0.0" });
    await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("b"), version: "1.1.0" });

    await tracker.setAlias("m", "champion", "1.0.0", { expected: null });
    expect(await rejection(tracker.setAlias("m", "champion", "1.1.0", { expected: null }))).toBeInstanceOf(ConflictError);
    const stale = await rejection(tracker.setAlias("m", "champion", "1.1.0", { expected: "1.1.0" }));
    expect(stale).toBeInstanceOf(ConflictError);
    expect(stale.message).toContain("compare-and-set");
    expect((await tracker.getModelVersion("m", "champion")).version).toBe("1.0.0");

    await tracker.setAlias("m", "champion", "1.1.0", { expected: "1.0.0" });
    expect((await tracker.getModelVersion("m", "champion")).version).toBe("1.1.0");
    expect(await rejection(tracker.deleteAlias("m", "champion", { expected: "1.0.0" }))).toBeInstanceOf(ConflictError);
    await tracker.deleteAlias("m", "champion", { expected: "1.1.0" });
    expect(await rejection(tracker.getModelVersion("m", "champion"))).toBeInstanceOf(NotFoundError);
    // An alias on a version that does not exist.
    expect(await rejection(tracker.setAlias("m", "champion", "9.9.9"))).toBeInstanceOf(NotFoundError);
  });
});

describe("policies and bad input", () => {
  it("requireRationale refuses a release or promotion without a rationale", async () => {
    const { tracker } = newStore({ requireRationale: true });
    const run = await finishedRun(tracker);
    for (const rationale of [undefined, "", "   "]) {
      const err = await rejection(
        tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("a"), ...(rationale === undefined ? {} : { rationale }) }),
      );
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.message).toContain("requireRationale");
    }
    expect(await tracker.listModels()).toEqual([]);
    await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("a"), rationale: "ok" });
    await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("b"), bump: "minor", prerelease: "rc", rationale: "ok" });
    expect(await rejection(tracker.promote("m", "1.1.0-rc.0"))).toBeInstanceOf(ValidationError);
    expect((await tracker.promote("m", "1.1.0-rc.0", { rationale: "canary" })).version).toBe("1.1.0");
  });

  it("namePolicy.model is enforced on registered model names", async () => {
    const { tracker } = newStore({ namePolicy: { model: /^team-[a-z]+$/ } });
    const run = await finishedRun(tracker);
    const err = await rejection(tracker.registerModel("churn", { runId: run, contentDigest: fakeDigest("a") }));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain("namePolicy.model");
    expect((await tracker.registerModel("team-churn", { runId: run, contentDigest: fakeDigest("a") })).version).toBe("1.0.0");
    expect(await tracker.listModels()).toEqual(["team-churn"]);
  });

  it.each([
    ["v1.0.0", "rule 1"],
    ["1.0", "rule 1"],
    ["01.0.0", "rule 1"],
    ["1.0.0-beta", "rule 4"],
    ["1.0.0-dev.1", "rule 4"],
    ["", "rule 1"],
  ])("version %j is a ValidationError naming %s", async (version, rule) => {
    const { tracker } = newStore();
    const err = await rejection(tracker.registerModel("m", { runId: await finishedRun(tracker), contentDigest: fakeDigest("a"), version }));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain(rule);
    expect(await tracker.listModels()).toEqual([]);
  });

  it("version and bump together are refused; an unknown run is NotFoundError", async () => {
    const { tracker } = newStore();
    const run = await finishedRun(tracker);
    expect(await rejection(tracker.registerModel("m", { runId: run, version: "1.0.0", bump: "minor" }))).toBeInstanceOf(ValidationError);
    expect(await rejection(tracker.registerModel("m", { runId: "no-such-run" }))).toBeInstanceOf(NotFoundError);
  });

  it("updateModelVersion changes description and tags; immutable fields are refused naming rule 6", async () => {
    const { tracker } = newStore();
    const run = await finishedRun(tracker);
    await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("a"), tags: { team: "growth" }, description: "v1" });
    const updated = await tracker.updateModelVersion("m", "1.0.0", { description: "better docs", tags: { stage: "prod" } });
    expect(updated).toMatchObject({ description: "better docs", tags: { team: "growth", stage: "prod" }, contentDigest: fakeDigest("a") });
    expect(await tracker.getModelVersion("m", "1.0.0")).toMatchObject({ description: "better docs", tags: { team: "growth", stage: "prod" } });

    // The typed API only offers mutable fields; the runtime check guards untyped callers.
    for (const change of [
      { contentDigest: fakeDigest("sha256:evil") },
      { version: "9.9.9" },
      { signature: SIG },
      { source: "s3://x" },
      { metrics: { acc: 1 } },
    ]) {
      const err = await rejection(tracker.updateModelVersion("m", "1.0.0", change as never));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.message).toContain("rule 6");
    }
    expect((await tracker.getModelVersion("m", "1.0.0")).contentDigest).toBe(fakeDigest("a"));
    expect((await tracker.modelHistory("m")).filter((e) => e.action === "update")).toHaveLength(1);
  });
});

describe("what a release records", () => {
  it("metrics (latest of the run), params, git commit, author, time and rationale", async () => {
    const { tracker } = newStore();
    const commit = "0123456789abcdef0123456789abcdef01234567";
    const runId = await finishedRun(tracker, {
      params: { lr: 0.001, epochs: 3 },
      metrics: [
        ["loss", 0.9],
        ["loss", 0.5],
        ["loss", 0.31],
        ["acc", 0.88],
      ],
      tags: { "mlflow.source.git.commit": commit },
    });
    const before = Date.now();
    const mv = await tracker.registerModel("m", { runId, contentDigest: fakeDigest("a"), rationale: "baseline ready" });
    const after = Date.now();
    expect(mv.metrics).toEqual({ loss: 0.31, acc: 0.88 });
    expect(mv.params).toEqual({ lr: "0.001", epochs: "3" });
    expect(mv.gitCommit).toBe(commit);
    expect(mv.author).toBe(os.userInfo().username);
    expect(mv.createdAt).toBeGreaterThanOrEqual(before);
    expect(mv.createdAt).toBeLessThanOrEqual(after);
    expect(mv.rationale).toBe("baseline ready");
    expect(mv.runId).toBe(runId);
    expect(mv.deprecated).toBe(false);
    expect(mv.aliases).toEqual([]);
    // It reads back the same.
    expect(await tracker.getModelVersion("m", "1.0.0")).toEqual(mv);
  });

  it("modelHistory lists every change with who, when and why, in order", async () => {
    const { tracker } = newStore();
    const run = await finishedRun(tracker);
    await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("a"), rationale: "first" });
    await tracker.registerModel("m", { runId: run, contentDigest: fakeDigest("b"), bump: "minor", prerelease: "rc", rationale: "try" });
    await tracker.setAlias("m", "champion", "1.0.0");
    await tracker.promote("m", "1.1.0-rc.0", { rationale: "canary ok" });
    await tracker.setAlias("m", "champion", "1.1.0");
    await tracker.deprecate("m", "1.0.0", "superseded");
    await tracker.updateModelVersion("m", "1.1.0", { description: "d" });
    await tracker.deleteAlias("m", "champion");
    await tracker.deleteModelVersion("m", "1.1.0-rc.0", { reason: "cleanup" });

    const history = await tracker.modelHistory("m");
    expect(history.map((e) => [e.action, e.version ?? e.alias])).toEqual([
      ["release", "1.0.0"],
      ["release", "1.1.0-rc.0"],
      ["alias", "1.0.0"],
      ["promote", "1.1.0"],
      ["alias", "1.1.0"],
      ["deprecate", "1.0.0"],
      ["update", "1.1.0"],
      ["alias-delete", "champion"],
      ["delete", "1.1.0-rc.0"],
    ]);
    expect(history.map((e) => e.reason)).toEqual(["first", "try", undefined, "canary ok", undefined, "superseded", undefined, undefined, "cleanup"]);
    expect(history[4]).toMatchObject({ alias: "champion", from: "1.0.0" });
    expect(history[7]).toMatchObject({ alias: "champion", from: "1.1.0" });
    for (const e of history) {
      expect(e.by).toBe(os.userInfo().username);
      expect(typeof e.at).toBe("number");
    }
    const times = history.map((e) => e.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});

describe("diffSignatures (package export)", () => {
  it("names each change with the bump it requires", () => {
    const changes = diffSignatures(SIG, {
      inputs: [
        { name: "income", dtype: "float64" },
        { name: "tenure", dtype: "int32", optional: true },
      ],
      outputs: [...SIG.outputs, { name: "explanation", dtype: "string" }],
      labels: ["stay", "churn"],
    });
    const byKind = Object.fromEntries(changes.map((c) => [c.kind, c.bump]));
    expect(byKind).toEqual({
      "input-removed": "major",
      "input-dtype-changed": "major",
      "input-added-optional": "minor",
      "output-added": "minor",
    });
    expect(changes.find((c) => c.kind === "input-removed")?.description).toBe('input "age" removed');
    expect(diffSignatures(SIG, SIG)).toEqual([]);
  });
});

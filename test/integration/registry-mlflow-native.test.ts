/**
 * The registry as MLflow itself sees it (real MLflow 3.18 server; MLflow's own Python client
 * from the test venv): the version description is the release rationale, `run.logModel`
 * writes an `MLmodel` whose signature MLflow reads, and the audit trail is one tag per version
 * (not one registered-model tag per event), with the older per-event tags still read. Also the
 * registry hardening that applies on a server: parallel releases in one process, `__proto__`
 * aliases and tag keys, damaged tags reported and skipped, typed errors.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CorruptDataError, type MltrailError, NotFoundError, type Tracker, ValidationError } from "../../src/index.js";
import type { ModelSignature } from "../../src/index.js";
import { mlflowGet, mlflowPost, uniqueName } from "../support/mlflow.js";
import { runMlflowPython } from "../support/mlflow-python.js";
import { fakeDigest, rejection } from "../support/registry.js";
import { newTracker, tempDir } from "../fixtures/replication/harness.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tracker(): { t: Tracker; errors: MltrailError[]; dir: string } {
  const spool = tempDir("registry-native");
  const t = newTracker(spool.dir, uniqueName("registry-native"));
  const errors: MltrailError[] = [];
  t.on("error", (e) => errors.push(e));
  cleanups.push(spool.cleanup, async () => void (await t.close({ timeoutMs: 5000 })));
  return { t, errors, dir: spool.dir };
}

const SIG: ModelSignature = {
  inputs: [
    { name: "age", dtype: "float32" },
    { name: "income", dtype: "float32", shape: [null, 1] },
  ],
  outputs: [{ name: "p", dtype: "float32", shape: [null, 2] }],
  labels: ["stay", "churn"],
};

/** A finished run that reached the server, with a logged model folder. */
async function runWithModel(t: Tracker, dir: string): Promise<string> {
  const modelDir = path.join(dir, "model-src");
  mkdirSync(modelDir, { recursive: true });
  writeFileSync(path.join(modelDir, "weights.bin"), Buffer.alloc(64, 7));
  const run = await t.startRun({ params: { lr: 0.01 } });
  await run.logModel(modelDir, { artifactPath: "model", signature: SIG, flavor: "tfjs-layers" });
  await run.end();
  expect(await t.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
  return run.id;
}

function tagsOf(x: { tags?: { key: string; value: string }[] }): Record<string, string> {
  return Object.fromEntries((x.tags ?? []).map((t) => [t.key, t.value]));
}

async function modelTags(name: string): Promise<Record<string, string>> {
  return tagsOf((await mlflowGet<{ registered_model: { tags?: { key: string; value: string }[] } }>("registered-models/get", { name })).registered_model);
}

async function versionTags(name: string, version: string): Promise<Record<string, string>> {
  return tagsOf((await mlflowGet<{ model_version: { tags?: { key: string; value: string }[] } }>("model-versions/get", { name, version })).model_version);
}

describe("native in MLflow: what MLflow's Python client sees", () => {
  it("the version description is the rationale and the MLmodel signature is MLflow's", async () => {
    const { t, dir } = tracker();
    const runId = await runWithModel(t, dir);
    const model = uniqueName("reg-native");
    const v = await t.registerModel(model, { runId, rationale: "first release: churn model trained on March", description: "see the report" });
    expect(v.description).toBe("see the report");
    expect(v.rationale).toBe("first release: churn model trained on March");

    const seen = await runMlflowPython<{ description: string; inputs: unknown; outputs: unknown; flavors: Record<string, unknown> }>(`
import json, mlflow
from mlflow import MlflowClient
name = ${JSON.stringify(model)}
mv = MlflowClient().get_model_version(name, "1")
info = mlflow.models.get_model_info(f"models:/{name}/1")
print(json.dumps({"description": mv.description, "inputs": info.signature.inputs.to_dict(), "outputs": info.signature.outputs.to_dict(), "flavors": info.flavors}))
`);
    expect(seen.description).toBe("first release: churn model trained on March\n\nsee the report");
    expect(seen.inputs).toEqual([
      { name: "age", type: "tensor", "tensor-spec": { dtype: "float32", shape: [-1] } },
      { name: "income", type: "tensor", "tensor-spec": { dtype: "float32", shape: [-1, 1] } },
    ]);
    expect(seen.outputs).toEqual([{ name: "p", type: "tensor", "tensor-spec": { dtype: "float32", shape: [-1, 2] } }]);
    expect(seen.flavors["mltrail"]).toMatchObject({ flavor: "tfjs-layers", content_digest: v.contentDigest, labels: ["stay", "churn"] });

    // A description change keeps the rationale first.
    await t.updateModelVersion(model, "1.0.0", { description: "superseded by 2.0" });
    const after = await mlflowGet<{ model_version: { description?: string } }>("model-versions/get", { name: model, version: "1" });
    expect(after.model_version.description).toBe("first release: churn model trained on March\n\nsuperseded by 2.0");
    expect((await t.getModelVersion(model, "1.0.0")).description).toBe("superseded by 2.0");
  });
});

describe("the audit trail is one tag per version", () => {
  it("no mltrail.audit.<ts> tags; each version's events in its mltrail.audit tag; deletes keep theirs; old tags are still read", async () => {
    const { t, dir } = tracker();
    const runId = await runWithModel(t, dir);
    const model = uniqueName("reg-audit");
    await t.registerModel(model, { runId, contentDigest: fakeDigest("a"), rationale: "first", aliases: ["champion"] });
    await t.registerModel(model, { runId, contentDigest: fakeDigest("b"), rationale: "second" });
    await t.deprecate(model, "1.0.0", "leaks labels");
    await t.deleteAlias(model, "champion");
    await t.deleteModelVersion(model, "1.1.0", { reason: "bad data" });

    const tags = await modelTags(model);
    expect(Object.keys(tags).filter((k) => k.startsWith("mltrail.audit."))).toEqual([]);
    const v1 = JSON.parse((await versionTags(model, "1"))["mltrail.audit"] ?? "[]") as { action: string }[];
    expect(v1.map((e) => e.action)).toEqual(["release", "alias", "deprecate", "alias-delete"]);
    expect(JSON.parse(tags["mltrail.tombstone.1.1.0"] ?? "{}")).toMatchObject({ audit: [{ action: "release" }, { action: "delete", reason: "bad data" }] });

    // An event written by an older mltrail (one registered-model tag per event) is still read.
    const old = { action: "update", version: "1.0.0", by: "ana", at: 1, reason: "from an older release" };
    await mlflowPost("registered-models/set-tag", { name: model, key: "mltrail.audit.000000000000001.abc123", value: JSON.stringify(old) });
    const fresh = tracker().t;
    const history = await fresh.modelHistory(model);
    expect(history.map((e) => e.action)).toEqual(["update", "release", "alias", "release", "deprecate", "alias-delete", "delete"]);
    expect(history[0]).toMatchObject(old);
  });

  it("a damaged release or audit tag is reported and skipped; the rest of the model reads", async () => {
    const { t, dir, errors } = tracker();
    const runId = await runWithModel(t, dir);
    const model = uniqueName("reg-damage");
    await t.registerModel(model, { runId, contentDigest: fakeDigest("a") });
    await t.registerModel(model, { runId, contentDigest: fakeDigest("b") });
    await mlflowPost("model-versions/set-tag", { name: model, version: "2", key: "mltrail.release", value: "{ torn" });
    await mlflowPost("model-versions/set-tag", { name: model, version: "1", key: "mltrail.audit", value: '[{"action":"release","by":"x","at":1},{"act' });
    expect((await t.listModelVersions(model)).map((v) => v.version)).toEqual(["1.0.0"]);
    expect(await rejection(t.getModelVersion(model, "1.1.0"))).toBeInstanceOf(CorruptDataError);
    expect((await t.modelHistory(model)).map((e) => [e.action, e.version])).toEqual([["release", "1.1.0"]]);
    expect(errors.filter((e) => e.code === "CORRUPT").length).toBeGreaterThanOrEqual(2);
    // The next event is written whole and never onto the damaged value, which is kept aside.
    await t.deprecate(model, "1.0.0", "old");
    expect((await t.modelHistory(model)).map((e) => [e.action, e.version])).toEqual([
      ["release", "1.1.0"],
      ["deprecate", "1.0.0"],
    ]);
    expect((await versionTags(model, "1"))["mltrail.audit-damaged"]).toBe('[{"action":"release","by":"x","at":1},{"act');
  });
});

describe("hardening on a server", () => {
  it("two registerModel calls at once in one process both succeed, 5 times over", async () => {
    const { t, dir } = tracker();
    const runId = await runWithModel(t, dir);
    for (let round = 0; round < 5; round++) {
      const model = uniqueName(`reg-par-${round}`);
      const both = await Promise.all([0, 1].map((i) => t.registerModel(model, { runId, contentDigest: fakeDigest(`${round}-${i}`) })));
      expect(both.map((v) => v.version).sort()).toEqual(["1.0.0", "1.1.0"]);
    }
  });

  it.each(["__proto__", "constructor", "toString"])("alias and tag key %j are stored and read back", async (key) => {
    const { t, dir } = tracker();
    const runId = await runWithModel(t, dir);
    const model = uniqueName("reg-proto");
    await t.registerModel(model, { runId, contentDigest: fakeDigest("a"), tags: Object.fromEntries([[key, "t1"]]) });
    await t.setAlias(model, key, "1.0.0");
    const v = await t.getModelVersion(model, key);
    expect(v.aliases).toEqual([key]);
    expect(Object.hasOwn(v.tags, key) && v.tags[key]).toBe("t1");
  });

  it("typed errors: deleteAlias on a missing model, a bad bump, a bad digest", async () => {
    const { t, dir } = tracker();
    const runId = await runWithModel(t, dir);
    const model = uniqueName("reg-typed");
    expect(await rejection(t.deleteAlias(model, "champion"))).toBeInstanceOf(NotFoundError);
    expect((await mlflowGet<{ registered_models?: unknown[] }>("registered-models/search", { filter: `name='${model}'` })).registered_models ?? []).toEqual([]);
    expect(await rejection(t.registerModel(model, { runId, changes: [{ description: "x", bump: "mega" as "major" }] }))).toBeInstanceOf(ValidationError);
    expect(await rejection(t.registerModel(model, { runId, contentDigest: "abc" }))).toBeInstanceOf(ValidationError);
  });
});

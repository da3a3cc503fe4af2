/**
 * The local registry under hostile or unlucky use: parallel releases in one process, model
 * names that are not file names (".", "..", 256 characters, emoji), damaged registry files
 * (a torn audit line, a garbage version, alias or model file), `__proto__`-like aliases and
 * tag keys, stores written in the older folder layout, and arguments of the wrong type.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CorruptDataError, type MltrailError, NotFoundError, SpoolError, Tracker, ValidationError } from "../../src/index.js";
import type { TrackerOptions } from "../../src/index.js";
import { fakeDigest, modelFolder, rejection } from "../support/registry.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function newStore(extra: TrackerOptions = {}): { tracker: Tracker; root: string; errors: MltrailError[] } {
  const root = mkdtempSync(path.join(os.tmpdir(), "mltrail-registry-hard-"));
  const tracker = new Tracker({ trackingUri: root, experiment: "registry", captureContext: false, handleExit: false, ...extra });
  const errors: MltrailError[] = [];
  tracker.on("error", (e) => errors.push(e));
  cleanups.push(
    () => rmSync(root, { recursive: true, force: true }),
    async () => void (await tracker.close()),
  );
  return { tracker, root, errors };
}

async function finishedRun(tracker: Tracker, lr = 0.01): Promise<string> {
  const run = await tracker.startRun({ params: { lr } });
  await run.end();
  return run.id;
}

describe("parallel releases in one process (issue 12.3)", () => {
  it("two registerModel calls at once both succeed, 20 times over, with distinct versions", async () => {
    const { tracker } = newStore();
    const runs = [await finishedRun(tracker, 0.1), await finishedRun(tracker, 0.2)];
    for (let round = 0; round < 20; round++) {
      const model = `par-${round}`;
      const both = await Promise.all(
        runs.map((runId, i) => tracker.registerModel(model, { runId, contentDigest: fakeDigest(`${round}-${i}`), rationale: `r${i}` })),
      );
      expect(both.map((v) => v.version).sort()).toEqual(["1.0.0", "1.1.0"]);
    }
    const twice = await Promise.all([0, 1].map(() => tracker.setAlias("par-0", "champion", "1.0.0")));
    expect(twice).toHaveLength(2);
    expect((await tracker.getModelVersion("par-0@champion")).version).toBe("1.0.0");
  });
});

describe("model names map to safe folder names (issue 12.4)", () => {
  const names = [".", "..", "a".repeat(256), "🙂".repeat(100), "Churn", "churn", "team@churn", "x y", "..hidden", "con"];

  it("every valid name works, stays inside registry/ and lists back exactly", async () => {
    const { tracker, root } = newStore();
    const runId = await finishedRun(tracker);
    for (const [i, name] of names.entries()) {
      const v = await tracker.registerModel(name, { runId, contentDigest: fakeDigest(String(i)), aliases: ["champion"] });
      expect(v).toMatchObject({ name, version: "1.0.0", aliases: ["champion"] });
      expect((await tracker.getModelVersion(name, "champion")).version).toBe("1.0.0");
      expect((await tracker.modelHistory(name)).map((e) => e.action)).toEqual(["release", "alias"]);
    }
    expect(await tracker.listModels()).toEqual([...names].sort());
    // Nothing was written outside one folder per model under registry/.
    expect(readdirSync(root).sort()).toEqual(
      readdirSync(root)
        .filter((f) => !["model.json", "versions", "aliases.json", "audit.jsonl"].includes(f))
        .sort(),
    );
    const folders = readdirSync(path.join(root, "registry")).filter((f) => !f.startsWith("."));
    expect(folders).toHaveLength(names.length);
    for (const f of folders) expect(Buffer.byteLength(f)).toBeLessThanOrEqual(100);
  });

  it("deleteAlias and setAlias on a missing model are NotFoundError and create nothing", async () => {
    const { tracker, root } = newStore();
    expect(await rejection(tracker.deleteAlias("ghost", "champion"))).toBeInstanceOf(NotFoundError);
    expect(await rejection(tracker.setAlias("ghost", "champion", "1.0.0"))).toBeInstanceOf(NotFoundError);
    expect(existsSync(path.join(root, "registry")) ? readdirSync(path.join(root, "registry")) : []).toEqual([]);
    expect(await tracker.listModels()).toEqual([]);
  });

  it("a store in the older layout (URI-encoded folders) opens, is migrated and keeps its history", async () => {
    const { tracker, root } = newStore();
    const runId = await finishedRun(tracker);
    await tracker.close();
    // Write the older layout by hand: registry/<encodeURIComponent(name)>/…
    const legacy = path.join(root, "registry", encodeURIComponent("team churn"));
    mkdirSync(path.join(legacy, "versions"), { recursive: true });
    writeFileSync(path.join(legacy, "model.json"), JSON.stringify({ name: "team churn", createdAt: 1 }));
    const record = {
      name: "team churn",
      version: "1.0.0",
      backendVersion: "1",
      source: `runs:/${runId}/model`,
      runId,
      contentDigest: fakeDigest("old"),
      author: "ana",
      createdAt: 1,
      rationale: "first",
      metrics: {},
      params: { lr: "0.01" },
      datasets: [],
      bump: "initial",
      changes: [],
      tags: {},
    };
    writeFileSync(path.join(legacy, "versions", "1.json"), JSON.stringify(record));
    writeFileSync(path.join(legacy, "aliases.json"), JSON.stringify({ champion: "1.0.0" }));
    writeFileSync(path.join(legacy, "audit.jsonl"), `${JSON.stringify({ action: "release", version: "1.0.0", by: "ana", at: 1 })}\n`);

    const reopened = new Tracker({ trackingUri: root, experiment: "registry", captureContext: false, handleExit: false });
    cleanups.push(async () => void (await reopened.close()));
    expect(await reopened.listModels()).toEqual(["team churn"]);
    expect((await reopened.getModelVersion("team churn@champion")).version).toBe("1.0.0");
    const next = await reopened.registerModel("team churn", { runId, contentDigest: fakeDigest("new") });
    expect(next.version).toBe("1.1.0");
    expect((await reopened.modelHistory("team churn")).map((e) => e.action)).toEqual(["release", "release"]);
    expect(existsSync(legacy)).toBe(false);
  });
});

describe("damaged registry files stay local (issue 12.6)", () => {
  it("a torn audit line is skipped and reported; the next entry starts on a fresh line", async () => {
    const { tracker, root, errors } = newStore();
    const runId = await finishedRun(tracker);
    await tracker.registerModel("m", { runId, contentDigest: fakeDigest("a") });
    appendFileSync(path.join(modelFolder(root, "m"), "audit.jsonl"), '{"action":"alias","ver');
    await tracker.registerModel("m", { runId, contentDigest: fakeDigest("b") });
    const history = await tracker.modelHistory("m");
    expect(history.map((e) => [e.action, e.version])).toEqual([
      ["release", "1.0.0"],
      ["release", "1.1.0"],
    ]);
    expect(errors.some((e) => e instanceof SpoolError && e.message.includes("audit"))).toBe(true);
    expect(tracker.stats().lastError).toContain("audit");
  });

  it("a garbage version file hides only that version; its number is never reused", async () => {
    const { tracker, root, errors } = newStore();
    const runId = await finishedRun(tracker);
    await tracker.registerModel("m", { runId, contentDigest: fakeDigest("a") });
    await tracker.registerModel("m", { runId, contentDigest: fakeDigest("b") });
    writeFileSync(path.join(modelFolder(root, "m"), "versions", "2.json"), "{ not json");
    expect((await tracker.listModelVersions("m")).map((v) => v.version)).toEqual(["1.0.0"]);
    expect(errors.some((e) => e instanceof SpoolError && e.message.includes("2.json"))).toBe(true);
    // Asked for exactly: the damaged file may hold it, so the error says so (typed), not "not found".
    const asked = await rejection(tracker.getModelVersion("m", "1.1.0"));
    expect(asked).toBeInstanceOf(CorruptDataError);
    expect(asked.message).toContain("2.json");
    const next = await tracker.registerModel("m", { runId, contentDigest: fakeDigest("c"), version: "3.0.0" });
    expect(next.backendVersion).toBe("3");
    expect(readFileSync(path.join(modelFolder(root, "m"), "versions", "2.json"), "utf8")).toBe("{ not json");
    // A well-formed JSON file of the wrong shape is damage too.
    writeFileSync(path.join(modelFolder(root, "m"), "versions", "1.json"), JSON.stringify({ version: 5 }));
    expect((await tracker.listModelVersions("m")).map((v) => v.version)).toEqual(["3.0.0"]);
  });

  it("a garbage alias file or model file does not break the model's versions or the model list", async () => {
    const { tracker, root, errors } = newStore();
    const runId = await finishedRun(tracker);
    await tracker.registerModel("m", { runId, contentDigest: fakeDigest("a"), aliases: ["champion"] });
    await tracker.registerModel("other", { runId, contentDigest: fakeDigest("a") });
    writeFileSync(path.join(modelFolder(root, "m"), "aliases.json"), "[1,2");
    expect((await tracker.getModelVersion("m", "1.0.0")).aliases).toEqual([]);
    expect(await rejection(tracker.getModelVersion("m", "champion"))).toBeInstanceOf(CorruptDataError);
    await tracker.setAlias("m", "champion", "1.0.0");
    expect((await tracker.getModelVersion("m@champion")).version).toBe("1.0.0");
    writeFileSync(path.join(modelFolder(root, "other"), "model.json"), "");
    expect(await tracker.listModels()).toEqual(["m"]);
    expect((await tracker.getModelVersion("other")).version).toBe("1.0.0");
    expect(errors.filter((e) => e instanceof SpoolError).length).toBeGreaterThanOrEqual(2);
  });
});

describe("__proto__, constructor and toString are ordinary names (issue 12.10)", () => {
  it.each(["__proto__", "constructor", "toString"])("alias and tag key %j are stored and read back", async (key) => {
    const { tracker } = newStore();
    const runId = await finishedRun(tracker);
    await tracker.registerModel("m", { runId, contentDigest: fakeDigest("a"), tags: Object.fromEntries([[key, "t1"]]) });
    await tracker.setAlias("m", key, "1.0.0");
    const v = await tracker.getModelVersion("m", key);
    expect(v.version).toBe("1.0.0");
    expect(v.aliases).toEqual([key]);
    expect(Object.hasOwn(v.tags, key) && v.tags[key]).toBe("t1");
    const updated = await tracker.updateModelVersion("m", "1.0.0", { tags: Object.fromEntries([[key, "t2"]]) });
    expect(Object.hasOwn(updated.tags, key) && updated.tags[key]).toBe("t2");
    await tracker.deleteAlias("m", key);
    expect((await tracker.getModelVersion("m", "1.0.0")).aliases).toEqual([]);
  });
});

describe("arguments of the wrong type are ValidationErrors naming the field (issue 12.12)", () => {
  it.each<[string, (t: Tracker, runId: string) => Promise<unknown>, string]>([
    ["registerModel without options", (t) => (t.registerModel as (n: string) => Promise<unknown>)("m"), "options"],
    ["registerModel with runId 5", (t) => t.registerModel("m", { runId: 5 as unknown as string }), "runId"],
    ["a change with bump mega", (t, runId) => t.registerModel("m", { runId, changes: [{ description: "x", bump: "mega" as "major" }] }), "changes[0].bump"],
    ["contentDigest abc", (t, runId) => t.registerModel("m", { runId, contentDigest: "abc" }), "contentDigest"],
    ["contentDigest with a short sha256", (t, runId) => t.registerModel("m", { runId, contentDigest: "sha256:abc" }), "contentDigest"],
    ["getModelVersion with ref 5", (t) => t.getModelVersion("m", 5 as unknown as string), "ref"],
    ["getModelVersion with name 5", (t) => t.getModelVersion(5 as unknown as string), "model"],
    ["updateModelVersion with null", (t) => t.updateModelVersion("m", "1.0.0", null as unknown as { description: string }), "update"],
    ["updateModelVersion with a number tag", (t) => t.updateModelVersion("m", "1.0.0", { tags: { a: 1 as unknown as string } }), "tags"],
    ["deprecate with a version 1", (t) => t.deprecate("m", 1 as unknown as string, "x"), "version"],
    ["deleteAlias with alias null", (t) => t.deleteAlias("m", null as unknown as string), "alias"],
    ["deleteModelVersion with options 5", (t) => t.deleteModelVersion("m", "1.0.0", 5 as unknown as { reason: string }), "options"],
  ])("%s", async (_label, call, field) => {
    const { tracker } = newStore();
    const runId = await finishedRun(tracker);
    await tracker.registerModel("m", { runId, contentDigest: fakeDigest("a") });
    const err = await rejection(call(tracker, runId));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toContain(field);
    expect((await tracker.listModelVersions("m")).map((v) => v.version)).toEqual(["1.0.0"]);
  });
});

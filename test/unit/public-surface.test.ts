/**
 * The public surface is consistent: the tracker's active-run methods mirror Run's batch calls,
 * registry calls that change a version resolve with it, options take object shapes, and
 * `lineage` is told what it gets instead of guessing.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NotFoundError, StateError, ValidationError } from "../../src/errors.js";
import { Tracker } from "../../src/tracker.js";
import { fakeDigest } from "../support/registry.js";

let root: string;
let tracker: Tracker;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-surface-"));
  tracker = new Tracker({ trackingUri: root, experiment: "surface", captureContext: false, handleExit: false });
});
afterEach(async () => {
  await tracker.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const digest = fakeDigest;

async function release(version: string): Promise<string> {
  const run = await tracker.startRun({ params: { lr: 0.1 } });
  await run.end();
  const bump = version === "1.0.0" ? {} : { bump: "minor" as const };
  await tracker.registerModel("clf", { runId: run.id, contentDigest: digest(version), ...bump, rationale: `release ${version}` });
  return run.id;
}

describe("tracker.logParams and tracker.setTags", () => {
  it("act on the active run, or on { runId }, checking every entry first", async () => {
    const a = await tracker.startRun({ name: "a" });
    const b = await tracker.startRun({ name: "b" });
    tracker.logParams({ lr: 0.01, opt: "adam" });
    tracker.setTags({ team: "ranking", stage: 2 });
    tracker.logParams({ depth: 3 }, { runId: a.id });
    tracker.setTags({ owner: "x" }, { runId: a.id });
    expect(() => tracker.logParams({ ok: 1, "bad//key": 2 })).toThrow(ValidationError);
    await b.end();
    await a.end();
    const rb = await tracker.getRun(b.id);
    expect(rb.data.params).toEqual({ lr: "0.01", opt: "adam" });
    expect(rb.data.tags).toMatchObject({ team: "ranking", stage: "2" });
    expect(rb.data.tags["owner"]).toBeUndefined();
    const ra = await tracker.getRun(a.id);
    expect(ra.data.params).toEqual({ depth: "3" });
    expect(ra.data.tags["owner"]).toBe("x");
    expect(() => tracker.setTags({ t: "v" })).toThrow(StateError);
  });
});

describe("registry calls resolve with the version they changed", () => {
  it("setAlias resolves with the aliased version; deprecate takes { reason }", async () => {
    await release("1.0.0");
    await release("1.1.0");
    const champion = await tracker.setAlias("clf", "champion", "1.0.0");
    expect(champion.version).toBe("1.0.0");
    expect(champion.aliases).toContain("champion");
    const dep = await tracker.deprecate("clf", "1.1.0", { reason: "leaks labels" });
    expect(dep).toMatchObject({ deprecated: true, deprecationReason: "leaks labels" });
    await expect(tracker.deprecate("clf", "1.0.0", { reason: " " })).rejects.toMatchObject({ name: "ValidationError", field: "options.reason" });
    const legacy = await tracker.deprecate("clf", "1.0.0", "superseded");
    expect(legacy).toMatchObject({ deprecated: true, deprecationReason: "superseded" });
  });
});

describe("lineage is told what it gets", () => {
  it("a string is a model ref; { model, ref } too; { runId } is a run; anything else is a ValidationError", async () => {
    const r1 = await release("1.0.0");
    expect((await tracker.lineage("clf@1.0.0")).run.runId).toBe(r1);
    expect((await tracker.lineage({ model: "clf", ref: "latest" })).modelVersion?.version).toBe("1.0.0");
    const byRun = await tracker.lineage({ runId: r1 });
    expect(byRun.run.runId).toBe(r1);
    expect(byRun.modelVersion).toBeUndefined();
    const miss = await tracker.lineage(r1).catch((e: unknown) => e);
    expect(miss).toBeInstanceOf(NotFoundError);
    expect((miss as Error).message).toContain("{ runId }");
    for (const bad of [5, null, [], { runId: 7 }, { model: 1 }, { model: "clf", ref: 2 }, { runId: "a", model: "b" }]) {
      await expect(tracker.lineage(bad as never), JSON.stringify(bad)).rejects.toBeInstanceOf(ValidationError);
    }
  });
});

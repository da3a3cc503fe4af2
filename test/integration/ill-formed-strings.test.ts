/**
 * Ill-formed strings against the real MLflow server. MLflow answers 200 to a log-batch whose
 * param or tag value holds a lone surrogate ("a\ud800b") and silently drops the later entries
 * of the same batch. mltrail rejects such values (and control characters in names) before they
 * are stored, so every batch it sends is complete: checked here by reading the server back
 * through raw REST.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Tracker } from "../../src/index.js";
import { ValidationError } from "../../src/errors.js";
import { uniqueName } from "../support/mlflow.js";
import { kv, newTracker, serverRun, serverRuns, tempDir } from "../fixtures/replication/harness.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tracker(prefix: string): { tracker: Tracker; experiment: string } {
  const experiment = uniqueName(prefix);
  const spool = tempDir(prefix);
  const t = newTracker(spool.dir, experiment);
  cleanups.push(spool.cleanup, async () => void (await t.close({ timeoutMs: 5000 })));
  return { tracker: t, experiment };
}

/** The error `fn` throws synchronously. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("ill-formed strings never reach the server", () => {
  it("a lone surrogate in a param or tag value is rejected; the rest of the batch arrives complete", async () => {
    const { tracker: t, experiment } = tracker("ill-formed");
    const run = await t.startRun({ name: "surrogates" });
    run.logParam("p1", "one");
    const bad = thrown(() => run.logParam("p2", "a\ud800b"));
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).field).toBe('param "p2" value');
    expect((bad as ValidationError).rule).toMatch(/well-formed/);
    expect(thrown(() => run.setTag("t2", "x\udc00"))).toBeInstanceOf(ValidationError);
    expect(thrown(() => run.setTags({ ok: "fine", t3: "\ud83d" }))).toBeInstanceOf(ValidationError);
    expect(thrown(() => run.logParams({ q4: "ok", q5: "\udfff" }))).toBeInstanceOf(ValidationError);
    // A well-formed pair (an emoji) is fine; so are newlines in values.
    run.logParam("p2", "a😀b");
    run.logParam("p3", "line 1\nline 2");
    for (let i = 4; i < 40; i++) run.logParam(`p${i}`, `v${i}`);
    run.setTags({ t1: "one", t2: "two\ttabbed" });
    await run.end();
    const flushed = await t.flush({ timeoutMs: 60_000 });
    expect(flushed).toMatchObject({ pending: 0, rejected: 0 });

    const runs = await serverRuns(experiment);
    expect(runs).toHaveLength(1);
    const server = await serverRun(run.id);
    const params = kv(server.data.params);
    const expected: Record<string, string> = { p1: "one", p2: "a😀b", p3: "line 1\nline 2" };
    for (let i = 4; i < 40; i++) expected[`p${i}`] = `v${i}`;
    expect(params).toEqual(expected);
    const tags = kv(server.data.tags);
    expect(tags).toMatchObject({ t1: "one", t2: "two\ttabbed" });
    expect(Object.keys(tags)).not.toContain("ok"); // the rejected setTags stored nothing
    expect(Object.keys(params)).not.toContain("q4"); // the rejected logParams stored nothing
  });

  it("startRun rejects ill-formed values and control characters in names before creating anything", async () => {
    const { tracker: t, experiment } = tracker("ill-formed-start");
    await expect(t.startRun({ name: "ok", params: { lr: "\ud800" } })).rejects.toBeInstanceOf(ValidationError);
    await expect(t.startRun({ name: "bad\nname" })).rejects.toThrow(/run name.*control characters/);
    await expect(t.startRun({ name: "nul\u0000" })).rejects.toThrow(/run name.*control characters/);
    await expect(t.startRun({ experiment: "exp\u001b[31m" })).rejects.toThrow(/experiment name.*control characters/);
    await expect(t.startRun({ name: "ok", description: "d\udbff" })).rejects.toThrow(/description.*well-formed/);
    await expect(t.startRun({ name: "ok", tags: { note: "\u0000" } })).rejects.toThrow(/tag "note" value.*NUL/);
    const run = await t.startRun({ name: "good" });
    await run.end();
    await t.flush({ timeoutMs: 60_000 });
    expect((await serverRuns(experiment)).map((r: { info: { run_name: string } }) => r.info.run_name)).toEqual(["good"]);
  });
});

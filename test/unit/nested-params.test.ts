/**
 * Nested params on the local store: `logParams` (Run and Tracker) and `startRun({ params })`
 * flatten plain objects with `.`, store arrays as JSON text, and reject key collisions, cycles,
 * excessive depth and non-plain objects before anything is stored. Read back through a fresh
 * Tracker so the round trip goes through the run log on disk.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { flattenParams, MAX_PARAM_DEPTH } from "../../src/model/flatten-params.js";
import { Tracker } from "../../src/tracker.js";

let tmp: string;
let tracker: Tracker;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-nested-params-"));
  tracker = new Tracker({ trackingUri: tmp, captureContext: false, handleExit: false });
});

afterAll(async () => {
  await tracker.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function thrown(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error("expected a ValidationError");
}

async function storedParams(runId: string): Promise<Record<string, string>> {
  const reader = new Tracker({ trackingUri: tmp, captureContext: false, handleExit: false });
  try {
    return (await reader.getRun(runId)).data.params;
  } finally {
    await reader.close();
  }
}

describe("flattenParams", () => {
  it("returns a flat record as the same object", () => {
    const flat = { lr: 0.1, name: "adam", on: true };
    expect(flattenParams(flat)).toBe(flat);
  });

  it("joins nested keys with '.' and stores arrays as JSON text", () => {
    expect({ ...flattenParams({ a: { b: { c: 1 }, d: "x" }, list: [1, "two", { k: null }], e: {} }) }).toEqual({
      "a.b.c": 1,
      "a.d": "x",
      list: '[1,"two",{"k":null}]',
    });
  });

  it("names both paths on a key collision, in either order", () => {
    const e1 = thrown(() => flattenParams({ "a.b": 1, a: { b: 2 } }));
    expect(e1.message).toContain('params["a.b"]');
    expect(e1.message).toContain("params.a.b");
    const e2 = thrown(() => flattenParams({ a: { b: 2 }, "a.b": 1 }));
    expect(e2.message).toContain('params["a.b"]');
    expect(e2.message).toContain("params.a.b");
  });

  it("rejects cycles, excessive depth and non-plain objects", () => {
    const cyclic: Record<string, unknown> = { x: 1 };
    cyclic.self = cyclic;
    expect(thrown(() => flattenParams({ c: cyclic })).rule).toMatch(/cycle/);
    const inArray: unknown[] = [];
    inArray.push(inArray);
    expect(thrown(() => flattenParams({ arr: inArray })).rule).toMatch(/cycle/);
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < MAX_PARAM_DEPTH; i++) deep = { n: deep };
    expect(thrown(() => flattenParams(deep)).rule).toMatch(/deeper than/);
    expect(thrown(() => flattenParams({ when: { at: new Date(0) } })).field).toBe("params.when.at value");
    expect(thrown(() => flattenParams({ arr: [Number.NaN] })).rule).toMatch(/finite/);
    expect(thrown(() => flattenParams({ arr: [new Map()] })).field).toBe('params.arr["0"] value');
  });

  it("accepts nesting up to the limit", () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < MAX_PARAM_DEPTH - 2; i++) deep = { n: deep };
    expect(Object.keys(flattenParams(deep))).toHaveLength(1);
  });
});

describe("nested params round trip on the local store", () => {
  it("Run.logParams, Tracker.logParams and startRun({ params }) store dotted keys", async () => {
    const run = await tracker.startRun({ name: "nested", params: { model: { layers: [64, 32], act: "relu" } } });
    run.logParams({ optimizer: { name: "adam", lr: 0.1, betas: [0.9, 0.999] }, seed: 7 });
    tracker.logParams({ data: { split: { train: 0.8 } } }, { runId: run.id });
    await run.end();
    expect(await storedParams(run.id)).toEqual({
      "model.layers": "[64,32]",
      "model.act": "relu",
      "optimizer.name": "adam",
      "optimizer.lr": "0.1",
      "optimizer.betas": "[0.9,0.999]",
      seed: "7",
      "data.split.train": "0.8",
    });
  });

  it("a collision or a bad leaf stores nothing of the call", async () => {
    const run = await tracker.startRun({ name: "all-or-nothing" });
    thrown(() => run.logParams({ ok: 1, a: { b: 2 }, "a.b": 3 }));
    thrown(() => run.logParams({ ok: 1, deep: { bad: "\ud800" } }));
    thrown(() => run.logParams({ ok: 1, deep: { "bad key!": 1 } }));
    run.logParams({ ok: 2, nested: { fine: true } });
    // A nested key re-logged with another value conflicts, like a flat one.
    expect(() => run.logParams({ nested: { fine: false } })).toThrow(/immutable/);
    await run.end();
    expect(await storedParams(run.id)).toEqual({ ok: "2", "nested.fine": "true" });
    await expect(tracker.startRun({ name: "x", params: { "a.b": 1, a: { b: 2 } } })).rejects.toThrow(/params\["a\.b"\]/);
  });
});

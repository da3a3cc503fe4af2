/**
 * Stores written by earlier releases open with this one and answer the searches exactly as
 * those releases did: mltrail 0.1.0 (format version 1, before the run index,
 * test/fixtures/store-v1), format version 2 (the run index without its snapshot,
 * test/fixtures/store-v2) and format version 3 (metric values always JSON numbers,
 * test/fixtures/store-v3).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { Tracker } from "../../src/tracker.js";

const fixtures = path.join(import.meta.dirname, "..", "fixtures");
let tmp: string;
let tracker: Tracker | undefined;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-old-store-"));
});

afterEach(async () => {
  await tracker?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The saved answers, with the non-finite numbers restored. */
function expected(fixture: string): Record<string, unknown> {
  const text = fs.readFileSync(path.join(fixture, "expected.json"), "utf8");
  return JSON.parse(text, (_k, v: unknown) => (v === "NaN" ? Number.NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v)) as Record<
    string,
    unknown
  >;
}

it.each(["store-v1", "store-v2", "store-v3"])("%s answers every saved search as its release did, before and after its index is rebuilt", async (name) => {
  const fixture = path.join(fixtures, name);
  fs.cpSync(path.join(fixture, "store"), tmp, { recursive: true });
  const want = expected(fixture);
  for (const pass of ["lazy rebuild", "from the index", "from the snapshot"]) {
    tracker = new Tracker({ trackingUri: tmp, experiment: "fixture", captureContext: false, handleExit: false });
    const got = {
      all: await tracker.searchRuns({}),
      filter: await tracker.searchRuns({ filter: "metrics.acc > 0.9 and params.opt = 'adam'", orderBy: ["metrics.loss"] }),
      tag: await tracker.searchRuns({ filter: "tags.team = 'b' and params.depth = '3'" }),
      status: await tracker.searchRuns({ filter: "attributes.status = 'FINISHED'", orderBy: ["attributes.start_time ASC"] }),
      experiments: await tracker.listExperiments(),
    };
    const v3 = (got.all as { info: { name: string; runId: string } }[]).find((r) => r.info.name === "v3-run");
    if (v3 !== undefined) Object.assign(got, { history: await tracker.getMetricHistory(v3.info.runId, "loss") });
    expect(got, pass).toEqual(want);
    await tracker.close();
    tracker = undefined;
  }
  expect(fs.existsSync(path.join(tmp, "experiments", "1", "index", "runs.idx"))).toBe(true);
  expect(fs.existsSync(path.join(tmp, "experiments", "1", "index", "runs.snap"))).toBe(true);
  expect(JSON.parse(fs.readFileSync(path.join(tmp, "mltrail-store.json"), "utf8"))).toEqual({ format: "mltrail-store", version: 4 });
});

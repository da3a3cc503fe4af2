/**
 * A store written by mltrail 0.1.0 (format version 1, before the run index) opens with this
 * release and answers the searches exactly as that release did (test/fixtures/store-v1).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { Tracker } from "../../src/tracker.js";

const fixture = path.join(import.meta.dirname, "..", "fixtures", "store-v1");
let tmp: string;
let tracker: Tracker | undefined;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-v1-"));
  fs.cpSync(path.join(fixture, "store"), tmp, { recursive: true });
});

afterEach(async () => {
  await tracker?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The saved answers, with the non-finite numbers restored. */
function expected(): Record<string, unknown> {
  const text = fs.readFileSync(path.join(fixture, "expected.json"), "utf8");
  return JSON.parse(text, (_k, v: unknown) => (v === "NaN" ? Number.NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v)) as Record<
    string,
    unknown
  >;
}

it("answers every saved search as format version 1 did, before and after its index is built", async () => {
  const want = expected();
  for (const pass of ["lazy rebuild", "from the index"]) {
    tracker = new Tracker({ trackingUri: tmp, experiment: "fixture", captureContext: false, handleExit: false });
    const got = {
      all: await tracker.searchRuns({}),
      filter: await tracker.searchRuns({ filter: "metrics.acc > 0.9 and params.opt = 'adam'", orderBy: ["metrics.loss"] }),
      tag: await tracker.searchRuns({ filter: "tags.team = 'b' and params.depth = '3'" }),
      status: await tracker.searchRuns({ filter: "attributes.status = 'FINISHED'", orderBy: ["attributes.start_time ASC"] }),
      experiments: await tracker.listExperiments(),
    };
    expect(got, pass).toEqual(want);
    await tracker.close();
    tracker = undefined;
  }
  expect(fs.existsSync(path.join(tmp, "experiments", "1", "index", "runs.idx"))).toBe(true);
});

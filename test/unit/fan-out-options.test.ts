/**
 * Fan-out's pieces without a server: the `targets` option checked and resolved, and one run's
 * replication.json saved by several targets at once keeping every target's cursor.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import "../../src/backends/index.js";
import { ValidationError } from "../../src/errors.js";
import { resolveOptions } from "../../src/options.js";
import { ReplicationState } from "../../src/remote/replication-state.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-fan-out-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("targets option", () => {
  it("keeps each target once, without trackingUri's own, from the option or MLTRAIL_TARGETS", () => {
    const o = resolveOptions({ trackingUri: "http://127.0.0.1:5000", targets: ["http://127.0.0.1:5000/", "tensorboard:./tb", "dvc:./d", "dvc:./d"] }, {});
    expect(o.targets).toEqual(["tensorboard:./tb", "dvc:./d"]);
    expect(resolveOptions({}, { MLTRAIL_TARGETS: " tensorboard:./tb , http://h:5000" }).targets).toEqual(["tensorboard:./tb", "http://h:5000"]);
    expect(resolveOptions({}, {}).targets).toEqual([]);
  });

  it("refuses a folder, a URL with credentials and an unknown scheme, naming the entry", () => {
    const bad = (targets: string[]) => {
      try {
        resolveOptions({ targets }, {});
      } catch (e) {
        return e instanceof ValidationError ? `${e.field}: ${e.message}` : String(e);
      }
      return "accepted";
    };
    expect(bad(["./elsewhere"])).toMatch(/^options\.targets\[0\]: .*local run log is always written/);
    const withSecret = bad(["tensorboard:./tb", "http://ana:s3cret@h:5000"]);
    expect(withSecret).toMatch(/^options\.targets\[1\]: .*no credentials/);
    expect(withSecret).not.toContain("s3cret");
    expect(bad(["nosuch://x"])).toMatch(/^options\.targets\[0\]/);
  });
});

describe("replication.json with several targets", () => {
  it("keeps every target's cursor when their states are saved at the same time", async () => {
    const targets = ["http://127.0.0.1:5000", "tensorboard:/tmp/tb", "dvc:/tmp/d"];
    const states = await Promise.all(targets.map((t) => ReplicationState.load(dir, t)));
    for (let round = 1; round <= 20; round++) {
      await Promise.all(
        states.map((s, i) => {
          s.state.ackedSeq = round * 10 + i;
          return s.save();
        }),
      );
    }
    for (const [i, t] of targets.entries()) expect((await ReplicationState.load(dir, t)).state.ackedSeq).toBe(200 + i);
  });
});

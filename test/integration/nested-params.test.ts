/**
 * Nested params against the real MLflow server: flattened keys (`optimizer.lr`) and arrays as
 * JSON text arrive as ordinary params, read back through raw REST; a rejected call sends nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { uniqueName } from "../support/mlflow.js";
import { kv, newTracker, serverRun, tempDir } from "../fixtures/replication/harness.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("nested params on the MLflow server", () => {
  it("round-trip as dotted keys, with arrays as JSON text", async () => {
    const experiment = uniqueName("nested-params");
    const spool = tempDir("nested-params");
    const t = newTracker(spool.dir, experiment);
    cleanups.push(spool.cleanup, async () => void (await t.close({ timeoutMs: 5000 })));
    const run = await t.startRun({ name: "nested", params: { model: { units: [64, 32] } } });
    run.logParams({ optimizer: { name: "adam", lr: 0.1 }, epochs: 3 });
    t.logParams({ data: { split: { train: 0.8 } } }, { runId: run.id });
    expect(() => run.logParams({ keep: 1, a: { b: 1 }, "a.b": 2 })).toThrow(ValidationError);
    await run.end();
    expect(await t.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
    const server = await serverRun(run.id);
    expect(kv(server.data.params)).toEqual({
      "model.units": "[64,32]",
      "optimizer.name": "adam",
      "optimizer.lr": "0.1",
      epochs: "3",
      "data.split.train": "0.8",
    });
  });
});

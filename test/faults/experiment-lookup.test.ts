/**
 * startRun looks an experiment up on the server once per tracker: the next runs of the same
 * experiment are created with one request each. A remembered id that the server no longer
 * accepts (the experiment was deleted since) is looked up again, so the refusal is the same
 * typed error as without the memory.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ConflictError } from "../../src/errors.js";
import { Tracker } from "../../src/tracker.js";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { mlflowPost, mlflowUri, uniqueName } from "../support/mlflow.js";
import { experimentIdOf, onlyRun, searchAllRuns, tempDir, testOptions } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A pass-through proxy to the test server that logs every request, and a temp spool dir. */
async function setUp(prefix: string): Promise<{ proxy: FaultProxy; dir: string }> {
  const proxy = await startFaultProxy(mlflowUri());
  const t = await tempDir(prefix);
  cleanups.push(() => proxy.close(), t.cleanup);
  return { proxy, dir: t.dir };
}

describe("startRun's experiment lookup", () => {
  it("happens once per experiment and tracker; every run lands in its experiment", async () => {
    const first = uniqueName("lookup-a");
    const second = uniqueName("lookup-b");
    const { proxy, dir } = await setUp("lookup");
    const tracker = new Tracker(testOptions(proxy.url, first, dir, { requestTimeoutMs: 30_000 }));
    cleanups.push(async () => void (await tracker.close({ timeoutMs: 5000 })));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await tracker.startRun({ name: `a${i}` });
      ids.push(run.id);
      await run.end();
    }
    const other = await tracker.startRun({ name: "b0", experiment: second });
    await other.end();
    const again = await tracker.startRun({ name: "a3" });
    await again.end();
    expect(await tracker.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
    // One per experiment: `first` once for its four runs, `second` once.
    expect(proxy.count("/experiments/get-by-name")).toBe(2);
    expect(proxy.count("/runs/create")).toBe(5);
    const onServer = await searchAllRuns(await experimentIdOf(first));
    expect(onServer.map((r) => r.info.run_name).sort()).toEqual(["a0", "a1", "a2", "a3"]);
    expect((await onlyRun(second)).info.run_name).toBe("b0");
  });

  it("is done again when the remembered experiment was deleted: startRun is refused with ConflictError", async () => {
    const experiment = uniqueName("lookup-deleted");
    const { proxy, dir } = await setUp("lookup-deleted");
    const tracker = new Tracker(testOptions(proxy.url, experiment, dir, { requestTimeoutMs: 30_000 }));
    cleanups.push(async () => void (await tracker.close({ timeoutMs: 5000 })));
    const run = await tracker.startRun({ name: "before" });
    await run.end();
    expect(await tracker.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0 });
    // Deleted behind the tracker's back, on the server itself.
    await mlflowPost("experiments/delete", { experiment_id: await experimentIdOf(experiment) });
    const refused = tracker.startRun({ name: "after" });
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toThrow(/deleted/);
  });
});

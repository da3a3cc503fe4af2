/**
 * A run that another process is writing shows in searches with what it flushed, from a
 * warm reader and from a new one that starts from the index snapshot; once its process is
 * SIGKILLed it shows KILLED (crashed), in both.
 */
import * as path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { Tracker, type RunRecord } from "../../dist/index.js";
import { Child, fixturesDir, requireDist, tempStore } from "../fixtures/crash/harness.js";

let store: { root: string; cleanup(): void };
beforeEach(() => {
  requireDist();
  store = tempStore("running-search");
});
afterEach(() => store.cleanup());

const open = (root: string): Tracker => new Tracker({ trackingUri: root, experiment: "crash", captureContext: false, handleExit: false });

async function find(tracker: Tracker, runId: string): Promise<RunRecord | undefined> {
  return (await tracker.searchRuns({ filter: "params.seed = '42'" })).find((r) => r.info.runId === runId);
}

it("another process's running run shows its flushed metrics at once, then KILLED when it dies", async () => {
  // Ended runs first, so that searches go through the index and its snapshot.
  const warm = open(store.root);
  for (let i = 0; i < 20; i++) {
    const run = await warm.startRun({ params: { seed: 42 } });
    run.logMetric("x", i);
    await run.end();
  }
  expect(await warm.searchRuns({})).toHaveLength(20);
  const child = new Child(process.execPath, [path.join(fixturesDir, "steady-logger.mjs"), store.root], {});
  try {
    const [, runId] = (await child.waitFor(/^ready /, 60_000)).split(" ") as [string, string];
    for (let k = 0; k < 3; k++) {
      const line = await child.waitFor(/^flushed \d+$/, 60_000);
      const flushed = Number(line.slice(8));
      // Flushed before the line was printed: the next search shows it, warm or cold.
      for (const tracker of [warm, open(store.root)]) {
        const run = await find(tracker, runId);
        expect(run?.info.status).toBe("RUNNING");
        expect(run?.data.metrics.x).toBeGreaterThanOrEqual(flushed - 1);
        if (tracker !== warm) await tracker.close();
      }
    }
    child.kill("SIGKILL");
    expect((await child.exit(30_000)).signal).toBe("SIGKILL");
    for (const tracker of [warm, open(store.root)]) {
      expect((await find(tracker, runId))?.info).toMatchObject({ status: "KILLED", crashed: true });
      if (tracker !== warm) await tracker.close();
    }
  } finally {
    child.kill("SIGKILL");
    await warm.close();
  }
}, 180_000);

/**
 * A process SIGKILLed while it builds or updates a long run's point files leaves a store whose
 * history reads answer exactly as before: the old manifest (its points intact) or a complete
 * new one, and a stale lock that the next reader takes over.
 */
import * as path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { RunPaths, StoreLayout } from "../../src/store/layout.js";
import { LocalStore } from "../../src/store/local-store.js";
import { readIndexedHistories, type HistoryQuery } from "../../src/store/series/history.js";
import { Tracker } from "../../src/tracker.js";
import { Child, fixturesDir, tempStore } from "../fixtures/crash/harness.js";

let store: { root: string; cleanup(): void };
beforeEach(() => {
  store = tempStore("series");
});
afterEach(() => store.cleanup());

const QUERIES: HistoryQuery[] = [
  { range: { lo: -Infinity, hi: Infinity }, maxResults: undefined, sampled: false },
  { range: { lo: 1000, hi: 1999 }, maxResults: undefined, sampled: false },
  { range: { lo: -Infinity, hi: Infinity }, maxResults: 17, sampled: false },
  { range: { lo: 500, hi: Infinity }, maxResults: 300, sampled: true },
];

async function answers(paths: RunPaths): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const q of QUERIES) {
    const read = await readIndexedHistories(paths, ["loss", "acc"], q);
    out.push(read === undefined ? undefined : [...read.histories]);
  }
  return out;
}

it("a process SIGKILLed while it writes a run's point files leaves the same history answers", async () => {
  const tracker = new Tracker({ trackingUri: store.root, experiment: "long", captureContext: false, handleExit: false });
  const run = await tracker.startRun();
  for (let i = 0; i < 120_000; i++) {
    run.logMetrics({ loss: 1 / (i + 1), acc: i % 3 === 0 ? Number.NaN : i / 7 }, { step: i % 50_000 });
    if (i % 10_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await run.end();
  await tracker.close();
  const paths = new RunPaths(new StoreLayout(store.root).runDir(run.experimentId, run.id));
  // The reference: the whole journal folded, with no point files involved.
  const folded = await (await LocalStore.open(store.root)).getMetricHistories(run.id, ["loss", "acc"]);
  const before = await answers(paths);
  expect((before[0] as [string, unknown[]][])[0]?.[1]).toEqual(folded.loss);
  for (let kill = 0; kill < 6; kill++) {
    const child = new Child(process.execPath, ["--import", "tsx", path.join(fixturesDir, "series-churn.ts"), paths.dir], {});
    await child.waitFor(new RegExp(`^iteration ${1 + kill}$`), 120_000);
    // Part way through the next pass (a rebuild on odd kills, an update on even ones).
    await new Promise((resolve) => setImmediate(resolve));
    child.kill("SIGKILL");
    expect((await child.exit(30_000)).signal).toBe("SIGKILL");
    expect(await answers(paths), `after kill ${kill}`).toEqual(before);
  }
}, 300_000);

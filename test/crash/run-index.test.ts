/**
 * The run index under several processes and crashes: processes ending runs at the same
 * moment while the index is compacted lose no row, and a process SIGKILLed while it appends
 * to or compacts the index leaves a store that answers every search as before.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { Tracker } from "../../dist/index.js";
import { compactLog, readRows } from "../../src/store/index/index-log.js";
import { isRow } from "../../src/store/index/entry.js";
import { indexFile } from "../../src/store/index/run-index.js";
import { StoreLayout } from "../../src/store/layout.js";
import { Child, fixturesDir, requireDist, startFixture, tempStore } from "../fixtures/crash/harness.js";

let store: { root: string; cleanup(): void };
beforeEach(() => {
  requireDist();
  store = tempStore("run-index");
});
afterEach(() => store.cleanup());

const SEARCHES = [
  {},
  { filter: "metrics.x > 0.5 and params.who LIKE '%-1'", orderBy: ["metrics.x DESC"] },
  { filter: "attributes.status = 'KILLED'" },
  { orderBy: ["params.who"], maxResults: 7 },
];

async function answers(root: string, experiment: string): Promise<unknown[]> {
  const tracker = new Tracker({ trackingUri: root, experiment, captureContext: false, handleExit: false });
  try {
    const out: unknown[] = [];
    for (const s of SEARCHES) out.push(await tracker.searchRuns(s));
    return out;
  } finally {
    await tracker.close();
  }
}

it("processes ending runs at the same moment, while the index is compacted, lose no row", async () => {
  const CHILDREN = 5;
  const RUNS = 4;
  const go = path.join(store.root, "go");
  const children: Child[] = [];
  for (let i = 0; i < CHILDREN; i++) children.push(startFixture("index-enders.mjs", [store.root, "enders", String(RUNS), go]));
  await Promise.all(children.map((c) => c.waitFor(/^ready$/, 60_000)));
  const tracker = new Tracker({ trackingUri: store.root, experiment: "enders", captureContext: false, handleExit: false });
  const experimentId = (await tracker.getExperimentByName("enders"))?.experimentId as string;
  const file = indexFile(new StoreLayout(store.root), experimentId);
  fs.writeFileSync(go, "");
  let compactions = 0;
  let ended = 0;
  const done = Promise.all(
    children.map(async (c) => {
      const line = await c.waitFor(/^done /, 60_000);
      ended += 1;
      return JSON.parse(line.slice(5)) as string[];
    }),
  );
  while (ended < CHILDREN) {
    if (await compactLog(file)) compactions += 1;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const ids = (await done).flat();
  for (const c of children) expect((await c.exit(30_000)).code, c.stderr).toBe(0);
  expect(compactions).toBeGreaterThan(0);
  // Every run has its final row in the index, written by the process that ended it.
  const rows = new Map((readRows(file, 0)?.rows ?? []).filter(isRow).map((r) => [r.runId, r]));
  for (const id of ids) expect(rows.get(id)?.end?.status, id).toBe("FINISHED");
  const found = await tracker.searchRuns({ maxResults: 1000 });
  await tracker.close();
  expect(found.map((r) => r.info.runId).sort()).toEqual([...ids].sort());
  for (const r of found) {
    expect(r.info.status).toBe("FINISHED");
    expect(r.data.metrics).toEqual({ x: 0.9 });
  }
}, 120_000);

it("a process SIGKILLed while it appends to or compacts the index leaves the same answers", async () => {
  const tracker = new Tracker({ trackingUri: store.root, experiment: "churn", captureContext: false, handleExit: false });
  for (let i = 0; i < 24; i++) {
    const run = await tracker.startRun({ params: { who: `p-${i % 3}` } });
    run.logMetric("x", (i % 10) / 10, { step: 1 });
    await run.end({ status: i % 5 === 0 ? "KILLED" : "FINISHED" });
  }
  const experimentId = (await tracker.getExperimentByName("churn"))?.experimentId as string;
  await tracker.close();
  const before = await answers(store.root, "churn");
  expect((before[0] as unknown[]).length).toBe(24);
  for (let kill = 0; kill < 6; kill++) {
    // One process (tsx as a loader, not its CLI, which would leave the script running when killed).
    const child = new Child(process.execPath, ["--import", "tsx", path.join(fixturesDir, "index-churn.ts"), store.root, experimentId], {});
    await child.waitFor(new RegExp(`^iteration ${2 + kill * 3}$`), 60_000);
    child.kill("SIGKILL");
    expect((await child.exit(30_000)).signal).toBe("SIGKILL");
    expect(await answers(store.root, "churn"), `after kill ${kill}`).toEqual(before);
  }
}, 240_000);

/**
 * A long run's point files are built by the writing process off its main thread (at segment
 * rotation and at the run's end, src/store/series/background.ts), with no read asking for
 * them; and a reader in another process that reads (and builds) while the writer appends
 * always gets a consistent answer: a prefix of the history, never less than was flushed.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { Tracker } from "../../src/tracker.js";
import { Child, fixturesDir, requireDist, tempStore } from "../fixtures/crash/harness.js";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Metric } from "../../src/model/types.js";

let store: { root: string; cleanup(): void };
beforeEach(() => {
  requireDist();
  store = tempStore("series-bg");
});
afterEach(() => store.cleanup());

/** The points of `loss` the child logs, steps 0..n-1. */
function isLossPrefix(h: readonly Metric[]): boolean {
  return h.every((p, i) => p.key === "loss" && p.step === i && p.value === 1 / (i + 1));
}

it("the writer builds a long run's point files after its end; a concurrent reader sees a flushed prefix", async () => {
  const steps = 60_000; // ~8 MB of journal: a long journal (4 MiB and up)
  const child = new Child(process.execPath, [path.join(fixturesDir, "long-logger.mjs"), store.root, String(steps)], {});
  const runId = (await child.waitFor(/^ready /, 60_000)).split(" ")[1] as string;
  const reader = new Tracker({ trackingUri: store.root, experiment: "long", captureContext: false, handleExit: false });
  let reads = 0;
  const flushedNow = (): number =>
    Number(
      child.lines
        .filter((l) => l.startsWith("flushed "))
        .pop()
        ?.split(" ")[1] ?? 0,
    );
  while (!child.lines.includes("logged")) {
    const flushed = flushedNow();
    const h = await reader.getMetricHistory(runId, "loss");
    expect(h.length).toBeGreaterThanOrEqual(flushed);
    expect(isLossPrefix(h)).toBe(true);
    const some = await reader.getMetricHistory(runId, "loss", { startStep: 100, endStep: 199 });
    expect(some.length === 0 || some.length === 100).toBe(true);
    reads++;
  }
  expect(reads).toBeGreaterThan(0);
  // No read from here on: point files that cover the end record were built by the writer.
  fs.writeFileSync(path.join(store.root, "go"), "");
  await child.waitFor(/^(not )?built$/, 150_000);
  expect(child.lines).toContain("built");
  expect((await child.exit(60_000)).code).toBe(0);
  const h = await reader.getMetricHistory(runId, "loss");
  expect(h.length).toBe(steps);
  expect(isLossPrefix(h)).toBe(true);
  const acc = await reader.getMetricHistory(runId, "acc", { startStep: 59_990 });
  expect(acc.map((p) => p.value)).toEqual(Array.from({ length: 10 }, (_, i) => (59_990 + i) % 7));
  await reader.close();
}, 300_000);

it("tracker.close() resolves only once the run's point files are built: nothing writes into the store after it", async () => {
  const steps = 60_000; // ~8 MB of journal: a long journal, so its end starts a build
  const child = new Child(process.execPath, [path.join(fixturesDir, "long-logger.mjs"), store.root, String(steps), "close"], {});
  await child.waitFor(/^(not )?covered$/, 150_000);
  expect(child.lines).toContain("covered");
  expect((await child.exit(60_000)).code).toBe(0);
  // The store is quiet: removing it cannot race a worker still writing point files.
  fs.rmSync(store.root, { recursive: true });
  expect(fs.existsSync(store.root)).toBe(false);
}, 300_000);

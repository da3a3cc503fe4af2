/**
 * getRun of a long run (a journal of 4 MiB or more) reads the run's index row and what was
 * appended since, instead of re-reading the journal: the row the writer added when the run
 * ended, or a checkpoint a reader saved while the run was still going.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { readRows } from "../../src/store/index/index-log.js";
import { isRow } from "../../src/store/index/entry.js";
import { indexFile } from "../../src/store/index/run-index.js";
import { LONG_JOURNAL_BYTES } from "../../src/store/index/tail-fold.js";
import { StoreLayout } from "../../src/store/layout.js";
import { LocalStore } from "../../src/store/local-store.js";
import { Tracker } from "../../src/tracker.js";

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-long-"));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const POINTS = 70_000; // about 5 MB of journal

function journalBytes(dir: string): number {
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

it("an ended long run is read from its index row, a running one from a saved checkpoint plus its tail", async () => {
  const tracker = new Tracker({ trackingUri: tmp, experiment: "long", captureContext: false, handleExit: false });
  const ended = await tracker.startRun({ params: { kind: "ended" } });
  const running = await tracker.startRun({ params: { kind: "running" } });
  for (let i = 0; i < POINTS; i++) {
    ended.logMetrics({ loss: 1 / (i + 1), acc: i / POINTS }, { step: i });
    running.logMetric("loss", i, { step: i });
    if (i % 5000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await ended.end();
  await running.flush();
  const layout = new StoreLayout(tmp);
  const runDir = (id: string): string => layout.runDir(ended.experimentId, id);
  expect(journalBytes(path.join(runDir(ended.id), "journal"))).toBeGreaterThan(LONG_JOURNAL_BYTES);

  const reader = await LocalStore.open(tmp);
  const got = await reader.getRun(ended.id);
  expect(got.info.status).toBe("FINISHED");
  expect(got.data.metrics).toEqual({ loss: 1 / POINTS, acc: (POINTS - 1) / POINTS });
  // Served by the row the writer added: the journal was not folded, so no summary was cached.
  expect(fs.existsSync(path.join(runDir(ended.id), "summary.json"))).toBe(false);

  expect((await reader.getRun(running.id)).data.metrics).toEqual({ loss: POINTS - 1 });
  const file = indexFile(layout, ended.experimentId);
  const checkpoint = readRows(file, 0)
    ?.rows.filter(isRow)
    .filter((r) => r.runId === running.id)
    .pop();
  expect(checkpoint?.end).toBeUndefined();
  expect(checkpoint?.latest.get("loss")?.value).toBe(POINTS - 1);
  // More points arrive; a new reader resumes from the checkpoint and sees them.
  running.logMetric("loss", -1, { step: POINTS + 5 });
  await running.flush();
  const again = await (await LocalStore.open(tmp)).getRun(running.id);
  expect(again.info.status).toBe("RUNNING");
  expect(again.data.metrics).toEqual({ loss: -1 });
  // What the index gives equals the full fold (the small-run path) of the same journal.
  const history = await reader.getMetricHistory(running.id, "loss");
  expect(history[history.length - 1]?.value).toBe(-1);
  await tracker.close();
}, 120_000);

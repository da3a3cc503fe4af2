/**
 * The index snapshot (`index/runs.snap`) is derived data: a run resumed after the snapshot
 * was taken shows as the journal says in every new reader, and a damaged snapshot, or one
 * taken from another index log, changes no answer.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { RunRecord } from "../../src/model/types.js";
import { Tracker } from "../../src/tracker.js";

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-snap-"));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const open = (): Tracker => new Tracker({ trackingUri: tmp, experiment: "snap", captureContext: false, handleExit: false });
const snapFile = (): string => path.join(tmp, "experiments", "1", "index", "runs.snap");

async function search(): Promise<RunRecord[]> {
  const t = open();
  try {
    return await t.searchRuns({ orderBy: ["metrics.x DESC"] });
  } finally {
    await t.close();
  }
}

async function seed(n: number): Promise<string[]> {
  const t = open();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const run = await t.startRun({ params: { i } });
    run.logMetric("x", i === 2 ? Number.NaN : i === 3 ? -0 : i);
    await run.end();
    ids.push(run.id);
  }
  await t.close();
  return ids;
}

it("a run resumed after the snapshot was taken reads as its journal says in every new reader", async () => {
  const [first] = await seed(5);
  await search();
  expect(fs.existsSync(snapFile())).toBe(true);
  const writer = open();
  const run = await writer.startRun({ resume: first as string });
  run.logMetric("x", 99);
  await run.flush();
  const open1 = (await search()).find((r) => r.info.runId === first);
  expect(open1?.info.status).toBe("RUNNING");
  expect(open1?.data.metrics.x).toBe(99);
  // And again, from the snapshot that reader wrote.
  expect((await search()).find((r) => r.info.runId === first)?.info.status).toBe("RUNNING");
  await run.end({ status: "FAILED" });
  await writer.close();
  const ended = (await search()).find((r) => r.info.runId === first);
  expect(ended?.info.status).toBe("FAILED");
  expect(ended?.data.metrics.x).toBe(99);
});

it("answers the same from a damaged snapshot, a snapshot of another index log, and none", async () => {
  await seed(6);
  const want = await search();
  expect(want[0]?.data.metrics.x).toBe(5);
  expect(Object.is(want.find((r) => r.data.params.i === "3")?.data.metrics.x, -0)).toBe(true);
  expect(want.find((r) => r.data.params.i === "2")?.data.metrics.x).toBeNaN();
  expect(await search()).toEqual(want); // from the snapshot
  const good = fs.readFileSync(snapFile());
  const damaged = Buffer.from(good);
  damaged[damaged.length >> 1] = (damaged[damaged.length >> 1] as number) ^ 0x20;
  fs.writeFileSync(snapFile(), damaged);
  expect(await search()).toEqual(want);
  fs.writeFileSync(snapFile(), good.subarray(0, good.length >> 1));
  expect(await search()).toEqual(want);
  // A snapshot taken from a log that was since replaced (deleted and rebuilt).
  fs.writeFileSync(snapFile(), good);
  fs.rmSync(path.join(tmp, "experiments", "1", "index", "runs.idx"));
  expect(await search()).toEqual(want);
  fs.rmSync(path.join(tmp, "experiments", "1", "index"), { recursive: true });
  expect(await search()).toEqual(want);
});

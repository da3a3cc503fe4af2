/**
 * History options answer the same on the local store and on a real MLflow server: a step
 * range, `maxResults`, and the sampled read for charts (the server's
 * `get-history-bulk-interval`, whose choice of points the local store reproduces).
 */
import { afterEach, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";
import type { Metric } from "../../src/model/types.js";
import { uniqueName } from "../support/mlflow.js";
import { newTracker, tempDir } from "../fixtures/replication/harness.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const T0 = 1_765_000_000_000;
/** 300 points: steps 0..249 then 50 repeated steps, out of order, NaN and ±Infinity at distinct steps. */
function points(): { value: number; step: number; timestamp: number }[] {
  const out = Array.from({ length: 250 }, (_, i) => ({ value: Math.sin(i) + (i === 40 ? Number.NaN : 0), step: i, timestamp: T0 + i }));
  for (let i = 0; i < 50; i++) out.push({ value: i === 7 ? Number.POSITIVE_INFINITY : i / 3, step: 200 - i * 4, timestamp: T0 + 1000 + i });
  return out;
}

const plain = (ms: Metric[]): [number, number, number][] => ms.map((m) => [m.step, m.timestamp, m.value]);

it("a step range, maxResults and a sample read the same points on both stores", async () => {
  const spool = tempDir("hist-opts");
  cleanups.push(spool.cleanup);
  const experiment = uniqueName("history-options");
  const remote = newTracker(spool.dir, experiment);
  const local = new Tracker({ trackingUri: tempDir("hist-local").dir, experiment, captureContext: false, handleExit: false });
  cleanups.push(async () => void (await local.close()));
  const ids: string[] = [];
  for (const t of [remote, local]) {
    const run = await t.startRun({ name: "h" });
    for (const p of points()) run.logMetric("loss", p.value, { step: p.step, timestamp: p.timestamp });
    await run.end();
    ids.push(run.remoteId ?? run.id);
  }
  expect(await remote.close({ timeoutMs: 60_000 })).toMatchObject({ pending: 0 });
  // A fresh tracker reads the server's copy.
  const reader = newTracker(tempDir("hist-reader").dir, experiment);
  cleanups.push(async () => void (await reader.close()));
  const [serverId, localId] = ids as [string, string];
  const both = async (read: (t: Tracker, id: string) => Promise<Metric[]>): Promise<[Metric[], Metric[]]> => [
    await read(reader, serverId),
    await read(local, localId),
  ];

  const [rangeS, rangeL] = await both((t, id) => t.getMetricHistory(id, "loss", { startStep: 100, endStep: 180 }));
  expect(plain(rangeL)).toEqual(plain(rangeS).sort((a, b) => a[1] - b[1])); // the server's page order is not logged order
  expect(rangeL.length).toBe(81 + 21);

  const [firstS, firstL] = await both((t, id) => t.getMetricHistory(id, "loss", { maxResults: 30 }));
  expect(firstS).toHaveLength(30);
  expect(plain(firstL)).toEqual(
    plain(
      points()
        .slice(0, 30)
        .map((p) => ({ key: "loss", ...p })),
    ),
  );

  for (const opts of [
    { maxResults: 17 },
    { maxResults: 1 },
    { maxResults: 2500 },
    { startStep: 10, endStep: 120, maxResults: 9 },
    { startStep: 150, endStep: 400 },
  ]) {
    const [sampledS, sampledL] = await both((t, id) => t.getSampledMetricHistory(id, "loss", opts));
    expect(plain(sampledL), JSON.stringify(opts)).toEqual(plain(sampledS));
  }
}, 180_000);

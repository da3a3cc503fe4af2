/**
 * Crash safety: a child logging steadily is SIGKILLed at 20 random moments. Each time the
 * stored run must be a gap-free prefix of what was logged, at least as long as what the child
 * had flushed, with nothing corrupt, readable as KILLED/crashed, and its log re-openable
 * (the dead writer's lock is taken over).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "mltrail"; // the built package (self-reference); types from src for tsc
import { RunLog } from "../../src/log/run-log.js";
import { metricJson } from "../../src/log/record.js";
import { readJournal } from "../../src/log/segments.js";
import { journalDir, lockFile, requireDist, startFixture, tempStore } from "../fixtures/crash/harness.js";

const KILLS = 20;
const PARALLEL = 4;

interface Killed {
  readonly runId: string;
  readonly experimentId: string;
  readonly pid: number;
  readonly delayMs: number;
  readonly durability: string;
  /** Highest n of a "flushed <n>" line: values 0..n-1 were durable before the kill. */
  readonly flushed: number;
  readonly signal: string | null;
}

let store: { root: string; cleanup(): void };

beforeAll(() => {
  requireDist();
  store = tempStore("sigkill");
});

afterAll(() => store?.cleanup());

/** Waits for progress, not for time: the kill lands at a random point of the logging loop however loaded the machine is. */
const PROGRESS_TIMEOUT_MS = 90_000;

async function killOnce(index: number): Promise<Killed> {
  const durability = index % 2 === 0 ? "interval" : "always";
  const child = startFixture("steady-logger.mjs", [store.root], { MLTRAIL_DURABILITY: durability });
  const ready = await child.waitFor(/^ready /, PROGRESS_TIMEOUT_MS);
  const [, runId, experimentId] = ready.split(" ") as [string, string, string];
  // Every fourth child dies early (right after its params are durable); the others once a random
  // number of values (200..2000) was flushed. A random pause of 0..50 ms then moves the kill
  // off the flush, to any point of the loop.
  if (index % 4 !== 3) {
    const target = 200 + Math.floor(Math.random() * 1801);
    await child.waitFor((line) => /^flushed \d+$/.test(line) && Number(line.slice(8)) >= target, PROGRESS_TIMEOUT_MS);
  }
  const delayMs = Math.floor(Math.random() * 51);
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  child.kill("SIGKILL");
  const exit = await child.exit();
  // Every "flushed" line was printed (synchronously, to a pipe) before the child died.
  let flushed = 0;
  for (const line of child.lines) {
    const m = /^flushed (\d+)$/.exec(line);
    if (m) flushed = Math.max(flushed, Number(m[1]));
  }
  return { runId, experimentId, pid: child.proc.pid as number, delayMs, durability, flushed, signal: exit.signal };
}

describe("SIGKILL at random moments", () => {
  const killed: Killed[] = [];

  beforeAll(async () => {
    const queue = Array.from({ length: KILLS }, (_, i) => i);
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) killed.push(await killOnce(i));
      }),
    );
  });

  it(`killed ${KILLS} children, each on its own run in one store`, () => {
    expect(killed).toHaveLength(KILLS);
    expect(new Set(killed.map((k) => k.runId)).size).toBe(KILLS);
    for (const k of killed) expect(k.signal, `run ${k.runId}`).toBe("SIGKILL");
    // Most kills should land after some flushes; otherwise the test proves little.
    expect(killed.filter((k) => k.flushed > 0).length).toBeGreaterThanOrEqual(KILLS / 2);
  });

  it("every run is KILLED/crashed and holds a gap-free prefix at least as long as what was flushed", async () => {
    const reader = new Tracker({ trackingUri: store.root, captureContext: false, handleExit: false });
    try {
      for (const k of killed) {
        const ctx = `run ${k.runId} (killed ${k.delayMs} ms after its condition, durability ${k.durability}, flushed ${k.flushed})`;
        const rec = await reader.getRun(k.runId);
        expect(rec.info.status, ctx).toBe("KILLED");
        expect(rec.info.crashed, ctx).toBe(true);
        expect(rec.info.endTime, ctx).toBeUndefined();
        expect(rec.data.params, ctx).toMatchObject({ lr: "0.001", seed: "42" });

        const history = await reader.getMetricHistory(k.runId, "x");
        const bad = history.findIndex((m, i) => m.value !== i || m.step !== i || m.key !== "x");
        expect(bad, `${ctx}: first bad point at index ${bad}: ${JSON.stringify(history[bad])}`).toBe(-1);
        expect(history.length, ctx).toBeGreaterThanOrEqual(k.flushed);
        if (history.length > 0) expect(rec.data.metrics["x"], ctx).toBe(history.length - 1);

        // The raw journal: sequence numbers 1..N without gaps, nothing corrupt, tags in place.
        const journal = await readJournal(journalDir(store.root, k.experimentId, k.runId));
        expect(journal.corrupt, ctx).toEqual([]);
        journal.records.forEach((r, i) => expect(r.s, `${ctx}: record ${i}`).toBe(i + 1));
        expect(journal.lastSeq, ctx).toBe(journal.records.length);
        expect(journal.records.filter((r) => r.t === "m")).toHaveLength(history.length);
        const tags = journal.records.filter((r) => r.t === "t" && r.k === "progress");
        for (const t of tags) {
          const before = journal.records[journal.records.indexOf(t) - 1];
          expect(before?.t === "m" ? String(before.st) : undefined, ctx).toBe(t.t === "t" ? t.v : "");
        }
        const lastTag = tags[tags.length - 1];
        expect(rec.data.tags["progress"], ctx).toBe(lastTag?.t === "t" ? lastTag.v : undefined);
        expect(tags.length, ctx).toBe(Math.ceil(history.length / 100));
        expect(
          journal.records.some((r) => r.t === "end"),
          ctx,
        ).toBe(false);
        if (process.env["MLTRAIL_TEST_VERBOSE"]) console.log(`${ctx}: stored ${history.length}, tail ${journal.tailBytes} bytes`);
      }
      expect(reader.stats().lastError).toBeUndefined();
    } finally {
      await reader.close();
    }
  });

  it("the crashed run's log can be opened for writing again: the stale lock is taken over", async () => {
    // The public API cannot resume a run yet, so this goes through RunLog (what startRun uses).
    for (const k of killed) {
      const ctx = `run ${k.runId}`;
      const dir = journalDir(store.root, k.experimentId, k.runId);
      const before = await readJournal(dir);
      const log = await RunLog.open(dir, lockFile(store.root, k.experimentId, k.runId), `run "${k.runId}"`, {
        durability: "always",
        fsyncIntervalMs: 1000,
      });
      try {
        expect(log.tookOver?.pid, ctx).toBe(k.pid);
        expect(log.recovery.corrupt, ctx).toEqual([]);
        expect(log.recovery.lastSeq, ctx).toBe(before.lastSeq);
        const step = before.records.filter((r) => r.t === "m").length;
        const seq = log.writer.nextSeq();
        log.writer.append(metricJson(seq, JSON.stringify("x"), step, Date.now(), step), seq);
      } finally {
        await log.close();
      }
      const after = await readJournal(dir);
      expect(after.corrupt, ctx).toEqual([]);
      expect(after.records.length, ctx).toBe(before.records.length + 1);
      const xs = after.records.filter((r) => r.t === "m").map((r) => (r.t === "m" ? r.v : NaN));
      expect(xs, ctx).toEqual(xs.map((_, i) => i));
    }
  });
});

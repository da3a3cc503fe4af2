/**
 * 20 runs log 200,000 metrics plus params and tags through a proxy that randomly injects 503s,
 * 429 with Retry-After, connection resets, stalls past the request timeout and "applied but
 * response dropped" (on log-batch, runs/create and runs/update). Some runs start while the
 * proxy answers 503 to everything (they start locally). Afterwards the server, read through
 * raw REST, holds exactly what was logged: no loss, no duplicate rows, no duplicate runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker, type StartRunOptions } from "../../src/tracker.js";
import type { Run } from "../../src/run.js";
import { appliedButDropped, randomFaults, reset, stall, startFaultProxy, status, type FaultProxy } from "../support/fault-proxy.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";
import { experimentIdOf, flushUntilDone, metricHistory, metricRow, searchAllRuns, tempDir, testOptions, toRecord, waitFor } from "./helpers.js";

const RUNS = 20;
const KEYS = ["loss", "acc", "lr", "grad_norm", "throughput"] as const;
const STEPS = 2000; // RUNS * KEYS * STEPS = 200,000 metrics
const OFFLINE_RUNS = 5; // started while the server is "down"
const REQUEST_TIMEOUT_MS = 2000;
const BASE_TS = 1_700_000_000_000;

interface Expected {
  readonly name: string;
  readonly metrics: Set<string>;
  readonly params: Record<string, string>;
  readonly tags: Record<string, string>;
}

function metricValue(r: number, k: number, step: number): number {
  return r * 1000 + k * 100 + step * 0.25 - 7.5; // exact in binary: no rounding questions
}

let proxy: FaultProxy;
let spool: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  proxy = await startFaultProxy(mlflowUri());
  spool = await tempDir("faults");
});
afterAll(async () => {
  await proxy?.close();
  await spool?.cleanup();
});

describe("replication under random faults", () => {
  it("20 runs, 200k metrics, params and tags land exactly once", { timeout: 3_600_000 }, async () => {
    const started = performance.now();
    const experiment = uniqueName("faults-exact");
    const tracker = new Tracker(testOptions(proxy.url, experiment, spool.dir, { requestTimeoutMs: REQUEST_TIMEOUT_MS }));
    const expected = new Map<string, Expected>();
    const errors: string[] = [];
    tracker.on("error", (e) => errors.push(e.message));

    const yieldNow = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

    /** Logs run r's data in chunks, yielding between them so replication overlaps logging. */
    async function logRun(run: Run, r: number, from: number, to: number, exp: Expected): Promise<void> {
      for (let step = from; step < to; step++) {
        const timestamp = BASE_TS + step * 10 + r;
        const values: Record<string, number> = {};
        KEYS.forEach((key, k) => {
          const value = metricValue(r, k, step);
          values[key] = value;
          exp.metrics.add(metricRow({ key, value, step, timestamp }));
        });
        run.logMetrics(values, { step, timestamp });
        if (step === Math.floor(STEPS / 2)) {
          run.setTag("phase", "training");
          exp.tags["phase"] = "training";
        }
        if (step % 250 === 0) await yieldNow();
      }
    }

    function begin(r: number): { options: StartRunOptions; exp: Expected } {
      const name = `fault-run-${String(r).padStart(2, "0")}`;
      const params = { lr: 0.001 * (r + 1), batch: 32 + r, optimizer: r % 2 === 0 ? "adam" : "sgd" };
      const exp: Expected = {
        name,
        metrics: new Set(),
        params: { lr: String(0.001 * (r + 1)), batch: String(32 + r), optimizer: params.optimizer },
        tags: { team: "faults", phase: "warmup" },
      };
      expected.set(name, exp);
      return { options: { name, params, tags: { team: "faults", phase: "warmup" } }, exp };
    }

    function finishRun(run: Run, r: number, exp: Expected): void {
      run.logParam("seed", r);
      run.logParams({ layers: r % 4, dropout: 0.1 });
      Object.assign(exp.params, { seed: String(r), layers: String(r % 4), dropout: "0.1" });
      run.setTag("note", "first");
      run.setTag("note", `second-${r}`); // set twice back to back: the last write wins
      run.setTag("phase", `done-${r}`);
      Object.assign(exp.tags, { note: `second-${r}`, phase: `done-${r}` });
    }

    // 1. The server is "down": every request gets a 503, so these runs start locally.
    const outage = proxy.use(/./, status(503));
    const offline: { run: Run; r: number; exp: Expected }[] = [];
    for (let r = 0; r < OFFLINE_RUNS; r++) {
      const { options, exp } = begin(r);
      const run = await tracker.startRun(options);
      expect(run.remoteId).toBeUndefined();
      offline.push({ run, r, exp });
      await logRun(run, r, 0, STEPS / 2, exp);
    }
    // The replicator notices the outage on its own schedule (retries with backoff): wait for it.
    await waitFor(() => tracker.stats().state !== "UP", 120_000, "replication to notice the outage");
    outage();

    // 2. The server is back, but flaky: random faults from a seeded RNG.
    proxy.use(
      "/runs/log-batch",
      randomFaults(20240611, [
        [0.05, status(503)],
        [0.02, status(429, { retryAfter: 1 })],
        [0.04, reset],
        [0.015, stall(REQUEST_TIMEOUT_MS + 500)],
        [0.06, appliedButDropped],
      ]),
    );
    proxy.use(
      "/runs/create",
      randomFaults(7, [
        [0.35, appliedButDropped],
        [0.1, status(503)],
        [0.05, reset],
      ]),
    );
    proxy.use(
      "/runs/update",
      randomFaults(11, [
        [0.3, appliedButDropped],
        [0.1, status(503)],
      ]),
    );

    const online = Array.from({ length: RUNS - OFFLINE_RUNS }, (_, i) => i + OFFLINE_RUNS).map(async (r) => {
      const { options, exp } = begin(r);
      await tracker.withRun(options, async (run) => {
        await logRun(run, r, 0, STEPS, exp);
        finishRun(run, r, exp);
      });
    });
    const resumed = offline.map(async ({ run, r, exp }) => {
      await logRun(run, r, STEPS / 2, STEPS, exp);
      finishRun(run, r, exp);
      await run.end();
    });
    await Promise.all([...online, ...resumed]);
    const loggedAt = performance.now();

    // However long a loaded machine takes: wait while records keep being acknowledged.
    const flushed = await flushUntilDone(tracker);
    const stats = tracker.stats();
    await tracker.close({ timeoutMs: 10_000 });
    const replicatedAt = performance.now();

    expect(flushed.pending).toBe(0);
    expect(stats.pending).toBe(0);
    expect(stats.rejected).toBe(0);
    expect(stats.acked).toBe(stats.logged);

    // 3. The server holds exactly what was logged.
    const experimentId = await experimentIdOf(experiment);
    const runs = await searchAllRuns(experimentId);
    expect(runs.map((r) => r.info.run_name).sort()).toEqual([...expected.keys()].sort()); // exactly 20, no duplicates
    let rows = 0;
    for (const serverRun of runs) {
      const exp = expected.get(serverRun.info.run_name);
      if (exp === undefined) throw new Error(`unexpected run ${serverRun.info.run_name}`);
      expect(serverRun.info.status, exp.name).toBe("FINISHED");
      expect(serverRun.info.lifecycle_stage).toBe("active");
      expect(toRecord(serverRun.data.params), exp.name).toEqual(exp.params);
      const tags = toRecord(serverRun.data.tags);
      for (const [k, v] of Object.entries(exp.tags)) expect(tags[k], `${exp.name} tag ${k}`).toBe(v);
      const got: string[] = [];
      for (const key of KEYS) for (const m of await metricHistory(serverRun.info.run_id, key)) got.push(metricRow(m));
      rows += got.length;
      expect(got.length, `${exp.name}: metric rows`).toBe(exp.metrics.size); // no duplicate rows
      const gotSet = new Set(got);
      expect(gotSet.size, `${exp.name}: distinct rows`).toBe(got.length);
      const missing = [...exp.metrics].filter((m) => !gotSet.has(m));
      const extra = got.filter((m) => !exp.metrics.has(m));
      expect({ missing: missing.slice(0, 5), extra: extra.slice(0, 5) }, exp.name).toEqual({ missing: [], extra: [] });
    }
    expect(rows).toBe(RUNS * KEYS.length * STEPS);

    // The faults really happened.
    const counts = proxy.counts();
    const batch = counts["/api/2.0/mlflow/runs/log-batch"] ?? {};
    const create = counts["/api/2.0/mlflow/runs/create"] ?? {};
    for (const kind of ["status", "reset", "stall", "appliedButDropped"] as const) expect(batch[kind] ?? 0, `log-batch ${kind}`).toBeGreaterThan(0);
    expect(create.appliedButDropped ?? 0, "runs/create applied but dropped").toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThan(0);

    const secs = (ms: number): string => (ms / 1000).toFixed(1);
    console.log(
      `[replication-faults] ${rows} metric rows in ${RUNS} runs: logging ${secs(loggedAt - started)} s, ` +
        `replicated after ${secs(replicatedAt - started)} s, verified after ${secs(performance.now() - started)} s; proxy counts ${JSON.stringify(counts)}`,
    );
  });
});

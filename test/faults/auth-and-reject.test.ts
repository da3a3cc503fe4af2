/**
 * 401: replication pauses loudly and keeps the data; once the header provider hands out good
 * credentials, the probe after `authRetryMs` succeeds and everything lands.
 * 400 on one param: bisection isolates exactly that record into rejected.jsonl (with the
 * server's message) while every other record lands.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MltrailError } from "../../src/errors.js";
import type { ReplicationHealth } from "../../src/remote/health.js";
import { Tracker, type RejectedRecord } from "../../src/tracker.js";
import { pass, startFaultProxy, status, type FaultProxy } from "../support/fault-proxy.js";
import { mlflowPost, mlflowUri, uniqueName } from "../support/mlflow.js";
import { expectExactHistory, experimentIdOf, metricHistory, metricRow, onlyRun, searchAllRuns, tempDir, testOptions, toRecord, waitFor } from "./helpers.js";

let proxy: FaultProxy;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  proxy = await startFaultProxy(mlflowUri());
});
afterAll(async () => {
  await proxy?.close();
  for (const c of cleanups) await c();
});

async function spoolDir(prefix: string): Promise<string> {
  const t = await tempDir(prefix);
  cleanups.push(t.cleanup);
  return t.dir;
}

async function findFiles(dir: string, name: string): Promise<string[]> {
  const entries = await fsp.readdir(dir, { recursive: true });
  return entries.filter((e) => path.basename(e) === name).map((e) => path.join(dir, e));
}

describe("401 pauses replication until credentials are fixed", () => {
  it("PAUSED with an error event and nothing lost; resumes after authRetryMs with a good token", async () => {
    const experiment = uniqueName("faults-auth");
    // Only "Bearer good" gets through; everything else gets a 401 like MLflow's basic-auth app.
    const removeAuth = proxy.use(/./, (req) =>
      req.headers.authorization === "Bearer good"
        ? pass
        : status(401, {
            headers: { "WWW-Authenticate": 'Basic realm="mlflow"' },
            body: "You are not authenticated. Please see the documentation for details.",
          }),
    );
    let token = "bad";
    const tracker = new Tracker(
      testOptions(proxy.url, experiment, await spoolDir("auth"), {
        authRetryMs: 500,
        auth: { headerProvider: async () => ({ Authorization: `Bearer ${token}` }) },
      }),
    );
    const states: ReplicationHealth[] = [];
    const errors: MltrailError[] = [];
    tracker.on("state", (s) => states.push(s));
    tracker.on("error", (e) => errors.push(e));

    const run = await tracker.startRun({ name: "auth-run", params: { lr: 0.1 } });
    expect(run.remoteId).toBeUndefined();
    const expected = new Set<string>();
    for (let step = 0; step < 2500; step++) {
      const timestamp = 1_700_000_000_000 + step;
      run.logMetric("acc", step / 4, { step, timestamp });
      expected.add(metricRow({ key: "acc", value: step / 4, step, timestamp }));
    }
    run.setTag("state", "paused-then-resumed");

    await waitFor(() => tracker.stats().state === "PAUSED", 10_000, "state PAUSED");
    expect(states).toContain("PAUSED");
    expect(errors.some((e) => /401|authenticat/i.test(e.message))).toBe(true);
    for (const e of errors) expect(e.message).not.toContain("Bearer bad");
    // flush does not wait on a paused replicator: it reports the records as pending.
    const paused = await tracker.flush({ timeoutMs: 5_000 });
    expect(paused.pending).toBeGreaterThan(2500);
    expect(tracker.stats()).toMatchObject({ state: "PAUSED", acked: 0, rejected: 0 });
    await run.end();

    // Credentials fixed: the probe after authRetryMs succeeds.
    const fixedAt = performance.now();
    token = "good";
    await waitFor(() => tracker.stats().state === "UP", 10_000, "state UP after fixing the token");
    const resumedAfter = performance.now() - fixedAt;
    const done = await tracker.flush({ timeoutMs: 30_000 });
    expect(done).toMatchObject({ pending: 0, rejected: 0 });
    await tracker.close({ timeoutMs: 5_000 });
    removeAuth();

    const serverRun = await onlyRun(experiment);
    expect(serverRun.info.status).toBe("FINISHED");
    expect(toRecord(serverRun.data.params)).toEqual({ lr: "0.1" });
    expect(toRecord(serverRun.data.tags)["state"]).toBe("paused-then-resumed");
    await expectExactHistory(serverRun.info.run_id, "acc", expected);
    console.log(`[auth] states ${states.join(" → ")}; resumed ${resumedAfter.toFixed(0)} ms after the token was fixed`);
  });
});

describe("a 400 on one param", () => {
  it("isolates exactly that record into rejected.jsonl while the rest lands", async () => {
    const experiment = uniqueName("faults-reject");
    const dir = await spoolDir("reject");
    const tracker = new Tracker(testOptions(proxy.url, experiment, dir));
    const rejected: RejectedRecord[] = [];
    tracker.on("rejected", (r) => rejected.push(r));

    const run = await tracker.startRun({ name: "reject-run", params: { lr: 0.01 } });
    const remoteId = run.remoteId;
    expect(remoteId).toBe(run.id); // created online
    if (remoteId === undefined) throw new Error("run not created online");
    // Someone else sets "conflict" on the server first: our different value will get a 400.
    await mlflowPost("runs/log-parameter", { run_id: remoteId, key: "conflict", value: "server-value" });

    const expected = new Set<string>();
    const logSome = (from: number, to: number): void => {
      for (let step = from; step < to; step++) {
        const timestamp = 1_700_000_000_000 + step;
        run.logMetrics({ a: step, b: -step }, { step, timestamp });
        expected.add(metricRow({ key: "a", value: step, step, timestamp }));
        expected.add(metricRow({ key: "b", value: -step, step, timestamp }));
      }
    };
    logSome(0, 300);
    run.logParams({ before: "x", conflict: "client-value", after: "y" });
    logSome(300, 600);
    run.setTag("final", "yes");
    await run.end();

    const flushed = await tracker.flush({ timeoutMs: 30_000 });
    expect(flushed).toMatchObject({ pending: 0, rejected: 1 });
    expect(tracker.stats().rejected).toBe(1);
    await tracker.close({ timeoutMs: 5_000 });

    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.record).toMatchObject({ t: "p", k: "conflict", v: "client-value" });
    expect(rejected[0]?.error.status).toBe(400);

    const files = await findFiles(dir, "rejected.jsonl");
    expect(files).toHaveLength(1);
    const lines = (await fsp.readFile(files[0] as string, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string) as { record: { k: string; v: string }; status: number; errorCode: string; error: string };
    expect(line.record).toMatchObject({ k: "conflict", v: "client-value" });
    expect(line).toMatchObject({ status: 400, errorCode: "INVALID_PARAMETER_VALUE" });
    expect(line.error).toMatch(/Changing param values is not allowed/);

    const runs = await searchAllRuns(await experimentIdOf(experiment));
    expect(runs).toHaveLength(1);
    const serverRun = runs[0];
    if (serverRun === undefined) throw new Error("no run");
    expect(serverRun.info.status).toBe("FINISHED");
    expect(toRecord(serverRun.data.params)).toEqual({ lr: "0.01", before: "x", conflict: "server-value", after: "y" });
    expect(toRecord(serverRun.data.tags)["final"]).toBe("yes");
    const rows = [...(await metricHistory(remoteId, "a")), ...(await metricHistory(remoteId, "b"))].map(metricRow);
    expect(rows).toHaveLength(expected.size);
    expect(new Set(rows)).toEqual(expected);
  });
});

/**
 * One server, however it is spelled; earlier local runs stay local until the user sends them.
 * Checked on the real MLflow server through its raw REST API.
 */
import { readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";
import { ensureDist, experimentIdByName, newTracker, runCli, serverRuns, tempDir } from "../fixtures/replication/harness.js";

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(async () => {
  await ensureDist();
}, 200_000);

/** The shared server under three spellings: as started, `localhost`, and copied from MLflow's address bar. */
function spellings(): [string, string, string] {
  const { port } = new URL(mlflowUri());
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://127.0.0.1:${port}/#/experiments/1`];
}

function spool(prefix: string): string {
  const s = tempDir(prefix);
  cleanups.push(s.cleanup);
  return s.dir;
}

/** Every replication.json under a run log. */
function stateFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name === "replication.json") out.push(path.join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

describe("server identity", () => {
  it("one run logged through three spellings of the server is one run on it", async () => {
    const experiment = uniqueName("spellings");
    const dir = spool("spellings");
    const [a, b, c] = spellings();
    const first = newTracker(dir, experiment, { trackingUri: a });
    const id = await first.withRun({ name: "only-once" }, (run) => {
      run.logMetric("loss", 0.5);
      return run.id;
    });
    expect(await first.close({ timeoutMs: 60_000 })).toMatchObject({ pending: 0 });
    // Later trackers on the same log, each with another spelling, drain at start and log a run of their own.
    for (const uri of [b, c]) {
      const t = newTracker(dir, experiment, { trackingUri: uri });
      await t.withRun({ name: `via-${uri === b ? "localhost" : "address-bar"}` }, (run) => run.logMetric("loss", 0.1));
      expect(await t.close({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
    }
    const runs = await serverRuns(experiment);
    expect(runs.map((r) => r.info.run_name as string).sort()).toEqual(["only-once", "via-address-bar", "via-localhost"]);
    expect(runs.find((r) => r.info.run_name === "only-once")?.info.run_id).toBe(id);
  });

  it("a run the log has no state for (a copied log) is found by its key, not created again", async () => {
    const experiment = uniqueName("runkey");
    const dir = spool("runkey");
    const [a, b, c] = spellings();
    const offline = newTracker(dir, experiment, { trackingUri: a, mode: "offline" });
    await offline.withRun({ name: "keyed" }, (run) => run.logParam("lr", 0.1));
    await offline.close();
    expect((await runCli(["sync", "--dir", dir, "--to", b])).code).toBe(0);
    for (const f of stateFiles(dir)) rmSync(f);
    const again = await runCli(["sync", "--dir", dir, "--to", c]);
    expect(again.code, again.stderr).toBe(0);
    const runs = await serverRuns(experiment);
    expect(runs.map((r) => r.info.run_name)).toEqual(["keyed"]);
  });
});

describe("earlier local runs", () => {
  it("a store with earlier local runs and a newly set server uploads nothing until `mltrail sync`", async () => {
    const experiment = uniqueName("earlier");
    const dir = spool("earlier");
    // Before any server: the local store is the folder the run log will use.
    const local = new Tracker({ trackingUri: dir, experiment, captureContext: false, handleExit: false });
    for (const name of ["scratch-1", "scratch-2"]) await local.withRun({ name }, (run) => run.logMetric("loss", 1));
    await local.close();

    const lines: string[] = [];
    const online = newTracker(dir, experiment, { logLevel: "warn", logger: (level, message) => lines.push(`${level}: ${message}`) });
    await online.withRun({ name: "online" }, (run) => run.logMetric("loss", 0.2));
    expect(await online.close({ timeoutMs: 60_000 })).toMatchObject({ pending: 0 });
    expect((await serverRuns(experiment)).map((r) => r.info.run_name)).toEqual(["online"]);
    const notices = lines.filter((l) => l.includes("earlier run(s)"));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`2 earlier run(s) in ${dir}`);
    expect(notices[0]).toContain(`mltrail sync --to ${mlflowUri()} --dir ${dir}`);

    // A second tracker still sends nothing of them (and does not repeat the notice in this process).
    const second = newTracker(dir, experiment, { logLevel: "warn", logger: (level, message) => lines.push(`${level}: ${message}`) });
    expect(await second.flush({ timeoutMs: 30_000 })).toMatchObject({ pending: 0 });
    await second.close();
    expect(await serverRuns(experiment)).toHaveLength(1);
    expect(lines.filter((l) => l.includes("earlier run(s)"))).toHaveLength(1);

    const sync = await runCli(["sync", "--dir", dir, "--to", mlflowUri()]);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/^synced 2 run\(s\)/);
    expect((await serverRuns(experiment)).map((r) => r.info.run_name as string).sort()).toEqual(["online", "scratch-1", "scratch-2"]);
  });

  it("syncEarlierRuns: true sends them when the tracker starts", async () => {
    const experiment = uniqueName("earlier-opt");
    const dir = spool("earlier-opt");
    const local = new Tracker({ trackingUri: dir, experiment, captureContext: false, handleExit: false });
    await local.withRun({ name: "scratch" }, (run) => run.logMetric("loss", 1));
    await local.close();
    const t = newTracker(dir, experiment, { syncEarlierRuns: true });
    expect(await t.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
    await t.close();
    expect((await serverRuns(experiment)).map((r) => r.info.run_name)).toEqual(["scratch"]);
  });
});

describe("messages", () => {
  it("`mltrail sync --dir` on a missing folder is an error, not 'synced 0 run(s)'", async () => {
    const missing = path.join(spool("nosuch"), "nosuchdir");
    const res = await runCli(["sync", "--dir", missing, "--to", mlflowUri()]);
    expect(res.code).not.toBe(0);
    expect(res.stdout).not.toMatch(/synced/);
    expect(res.stderr).toContain(`${missing} does not exist`);
  });

  it("a URI ending in /api/2.0/mlflow is used without it, with one warning", async () => {
    const experiment = uniqueName("api-path");
    const lines: string[] = [];
    const t = newTracker(spool("api-path"), experiment, {
      trackingUri: `${mlflowUri()}/api/2.0/mlflow/`,
      logLevel: "warn",
      logger: (level, message) => lines.push(`${level}: ${message}`),
    });
    await t.withRun({ name: "api" }, (run) => run.logMetric("loss", 1));
    expect(await t.close({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
    expect((await serverRuns(experiment)).map((r) => r.info.run_name)).toEqual(["api"]);
    expect(lines).toEqual([expect.stringMatching(/^warn: the tracking URI ends in the API path/)]);
  });

  it("run.url is the run's page in MLflow's UI (and a debug line says it); undefined on the local store", async () => {
    const experiment = uniqueName("run-url");
    const lines: string[] = [];
    const t = newTracker(spool("run-url"), experiment, { logLevel: "debug", logger: (level, message) => lines.push(`${level}: ${message}`) });
    const run = await t.startRun({ name: "linked" });
    const expected = `${mlflowUri()}/#/experiments/${await experimentIdByName(experiment)}/runs/${run.id}`;
    expect(run.url).toBe(expected);
    expect(lines).toContain(`debug: run "linked": ${expected}`);
    await run.end();
    expect(run.url).toBe(expected); // still known after the end
    await t.close({ timeoutMs: 60_000 });

    const local = new Tracker({ trackingUri: spool("run-url-local"), captureContext: false, handleExit: false });
    const localRun = await local.startRun();
    expect(localRun.url).toBeUndefined();
    await local.close();
  });

  it("close() with the server down prints one line: the pending count and the exact mltrail sync command", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const dir = spool("pending");
    const lines: string[] = [];
    const t = newTracker(dir, uniqueName("pending"), { trackingUri: url, logLevel: "warn", logger: (level, message) => lines.push(`${level}: ${message}`) });
    const run = await t.startRun({ name: "stranded" });
    expect(run.url).toBeUndefined(); // the server never created it
    run.logMetrics({ loss: 1, acc: 0 });
    await run.end();
    const { pending } = await t.close({ timeoutMs: 300 });
    expect(pending).toBeGreaterThan(0);
    const notes = lines.filter((l) => l.includes("not yet on"));
    expect(notes).toEqual([
      `warn: ${pending} record(s) not yet on ${url} are kept in ${dir}; a later tracker on that folder sends them, or now: mltrail sync --to ${url} --dir ${dir}`,
    ]);
  });
});

/**
 * MLflow's basic-auth app, end to end (scripts/mlflow-auth-server.mjs): users and permissions
 * created through its REST API; mltrail authenticating with MLFLOW_TRACKING_USERNAME/PASSWORD
 * and with auth.headerProvider; a user without EDIT refused at startRun with a typed error; a
 * run started offline PAUSED by the same refusal and resumed by itself once an admin grants
 * EDIT; a wrong password probed once per authRetryMs, never in a loop, until the admin sets it.
 * What the server holds is read back as the admin.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AuthenticationError, type MltrailError, PermissionDeniedError } from "../../src/errors.js";
import type { ReplicationHealth } from "../../src/remote/health.js";
import { Tracker } from "../../src/tracker.js";
import { pass, startFaultProxy, status, type FaultProxy } from "../support/fault-proxy.js";
import { uniqueName } from "../support/mlflow.js";
import { basicAuthHeader, basicAuthServer, grantExperiment, restAs, type BasicAuthInfo, type Credentials } from "../support/servers.js";
import { metricRow, tempDir, testOptions, toRecord, waitFor, type ServerMetric, type ServerRun } from "./helpers.js";

let server: BasicAuthInfo;
let proxy: FaultProxy;
const cleanups: (() => Promise<void>)[] = [];
const ENV_KEYS = ["MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"] as const;

beforeAll(async () => {
  server = await basicAuthServer();
  proxy = await startFaultProxy(server.url);
});
afterEach(() => {
  for (const key of ENV_KEYS) delete process.env[key];
  proxy.clear();
});
afterAll(async () => {
  await proxy?.close();
  for (const c of cleanups) await c();
});

function user(name: string): Credentials {
  const u = server.users[name];
  if (u === undefined) throw new Error(`no user ${name}`);
  return u;
}

function loginAs(who: Credentials): void {
  process.env["MLFLOW_TRACKING_USERNAME"] = who.username;
  process.env["MLFLOW_TRACKING_PASSWORD"] = who.password;
}

/** Tracker options for this server: a request may wait behind a password check. */
function authOptions(uri: string, experiment: string, dir: string, extra: Parameters<typeof testOptions>[3] = {}): ReturnType<typeof testOptions> {
  return testOptions(uri, experiment, dir, { requestTimeoutMs: 15_000, ...extra });
}

async function spoolDir(prefix: string): Promise<string> {
  const t = await tempDir(prefix);
  cleanups.push(t.cleanup);
  return t.dir;
}

async function asAdmin<T>(method: string, apiPath: string, body?: unknown): Promise<T> {
  const res = await restAs(server.url, server.admin, method, apiPath, body);
  if (res.status !== 200) throw new Error(`${method} ${apiPath} as admin -> HTTP ${res.status}: ${res.text}`);
  return res.json as T;
}

/** A new experiment created by the admin, with the given permissions. */
async function experimentWith(permissions: Record<string, "READ" | "EDIT">): Promise<{ name: string; id: string }> {
  const name = uniqueName("auth");
  const { experiment_id: id } = await asAdmin<{ experiment_id: string }>("POST", "experiments/create", { name });
  for (const [username, permission] of Object.entries(permissions)) await grantExperiment(server, id, username, permission);
  return { name, id };
}

async function serverRuns(experimentId: string): Promise<ServerRun[]> {
  const page = await asAdmin<{ runs?: ServerRun[] }>("POST", "runs/search", { experiment_ids: [experimentId], run_view_type: "ALL", max_results: 100 });
  return page.runs ?? [];
}

async function serverHistory(runId: string, key: string): Promise<string[]> {
  const page = await asAdmin<{ metrics?: ServerMetric[] }>("GET", `metrics/get-history?run_id=${runId}&metric_key=${key}&max_results=25000`);
  return (page.metrics ?? []).map(metricRow);
}

/** Logs `steps` points of "acc", a param and a tag; returns the rows the server must hold. */
function logSome(run: Awaited<ReturnType<Tracker["startRun"]>>, steps: number): Set<string> {
  const expected = new Set<string>();
  run.logParams({ lr: 0.05 });
  for (let step = 0; step < steps; step++) {
    const timestamp = 1_700_000_000_000 + step;
    run.logMetric("acc", step / 8, { step, timestamp });
    expected.add(metricRow({ key: "acc", value: step / 8, step, timestamp }));
  }
  run.setTag("phase", "done");
  return expected;
}

async function expectExactly(experimentId: string, expected: Set<string>): Promise<void> {
  const runs = await serverRuns(experimentId);
  expect(runs).toHaveLength(1);
  const run = runs[0] as ServerRun;
  expect(run.info.status).toBe("FINISHED");
  expect(toRecord(run.data.params)).toEqual({ lr: "0.05" });
  expect(toRecord(run.data.tags)["phase"]).toBe("done");
  const rows = await serverHistory(run.info.run_id, "acc");
  expect(rows).toHaveLength(expected.size);
  expect(new Set(rows)).toEqual(expected);
}

describe("credentials", () => {
  it("MLFLOW_TRACKING_USERNAME/PASSWORD: alice (EDIT) logs a run online; the admin reads exactly it", async () => {
    const exp = await experimentWith({ alice: "EDIT" });
    loginAs(user("alice"));
    const tracker = new Tracker(authOptions(server.url, exp.name, await spoolDir("auth-env")));
    const run = await tracker.startRun({ name: "env-login" });
    expect(run.remoteId).toBe(run.id); // created online
    const expected = logSome(run, 1500);
    await run.end();
    expect(await tracker.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
    await tracker.close({ timeoutMs: 5_000 });
    await expectExactly(exp.id, expected);
  });

  it("auth.headerProvider: called per request, its Basic header is what the server sees", async () => {
    const exp = await experimentWith({ alice: "EDIT" });
    let calls = 0;
    const headerProvider = async (): Promise<Record<string, string>> => {
      calls++;
      return { Authorization: basicAuthHeader(user("alice")) };
    };
    const tracker = new Tracker(authOptions(server.url, exp.name, await spoolDir("auth-provider"), { auth: { headerProvider } }));
    const run = await tracker.startRun({ name: "provider-login" });
    expect(run.remoteId).toBe(run.id);
    const expected = logSome(run, 800);
    await run.end();
    expect(await tracker.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
    await tracker.close({ timeoutMs: 5_000 });
    expect(calls).toBeGreaterThan(2);
    await expectExactly(exp.id, expected);
  });
});

describe("permissions", () => {
  it("bob (READ) online: startRun throws PermissionDeniedError naming the experiment and the fix; nothing on the server", async () => {
    const exp = await experimentWith({ bob: "READ" });
    loginAs(user("bob"));
    const tracker = new Tracker(authOptions(server.url, exp.name, await spoolDir("auth-denied")));
    const error = await tracker.startRun({ name: "denied" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PermissionDeniedError);
    const denied = error as PermissionDeniedError;
    expect(denied.status).toBe(403);
    expect(denied.message).toContain(`experiment "${exp.name}"`);
    expect(denied.message).toMatch(/grant .*EDIT/);
    expect(denied.message).not.toContain(user("bob").password);
    expect(tracker.stats()).toMatchObject({ pending: 0 });
    await tracker.close({ timeoutMs: 5_000 });
    expect(await serverRuns(exp.id)).toHaveLength(0);
  });

  it("bob started offline: PAUSED with an actionable error, nothing lost; the admin grants EDIT; it resumes by itself with exact data", async () => {
    const exp = await experimentWith({ bob: "READ" });
    loginAs(user("bob"));
    // The server is unreachable when the run starts: it starts offline.
    const removeOutage = proxy.use(/./, status(503));
    const tracker = new Tracker(authOptions(proxy.url, exp.name, await spoolDir("auth-paused"), { authRetryMs: 300, requestTimeoutMs: 5_000 }));
    const states: ReplicationHealth[] = [];
    const errors: MltrailError[] = [];
    tracker.on("state", (s) => states.push(s));
    tracker.on("error", (e) => errors.push(e));
    const run = await tracker.startRun({ name: "offline-then-granted" });
    expect(run.remoteId).toBeUndefined();
    const expected = logSome(run, 2000);
    await run.end();
    removeOutage();

    await waitFor(() => tracker.stats().state === "PAUSED", 30_000, "state PAUSED");
    const refusal = errors.find((e): e is PermissionDeniedError => e instanceof PermissionDeniedError);
    expect(refusal?.message).toContain(`experiment "${exp.name}"`);
    expect(refusal?.message).toMatch(/PAUSED.*sent by themselves/);
    const paused = await tracker.flush({ timeoutMs: 2_000 });
    expect(paused.pending).toBeGreaterThan(2000);
    expect(await serverRuns(exp.id)).toHaveLength(0);

    await grantExperiment(server, exp.id, "bob", "EDIT");
    await waitFor(() => tracker.stats().state === "UP", 30_000, "state UP after the grant");
    expect(await tracker.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
    await tracker.close({ timeoutMs: 5_000 });
    expect(states).toContain("PAUSED");
    await expectExactly(exp.id, expected);
  });
});

describe("a wrong password", () => {
  it("is probed once per authRetryMs (no tight loop), the account stays usable, and the run lands once the admin sets that password", async () => {
    // A user of its own, so the shared users keep their passwords.
    const carol = { username: uniqueName("carol"), password: `right-${uniqueName("pw")}` };
    await asAdmin("POST", "users/create", carol);
    // Three runs wait at once: still one probe per period, not one per run.
    const exps = [
      await experimentWith({ [carol.username]: "EDIT" }),
      await experimentWith({ [carol.username]: "EDIT" }),
      await experimentWith({ [carol.username]: "EDIT" }),
    ];
    const wrong = { username: carol.username, password: `wrong-${uniqueName("pw")}` };
    loginAs(wrong);
    proxy.use(/./, pass);
    const authRetryMs = 400;
    const tracker = new Tracker(authOptions(proxy.url, "unused", await spoolDir("auth-wrong"), { authRetryMs, requestTimeoutMs: 5_000 }));
    const errors: MltrailError[] = [];
    tracker.on("error", (e) => errors.push(e));
    const expected: Set<string>[] = [];
    for (const exp of exps) {
      const run = await tracker.startRun({ name: "wrong-password", experiment: exp.name });
      expect(run.remoteId).toBeUndefined(); // 401 at start: the run starts offline, replication pauses
      expected.push(logSome(run, 500));
      await run.end();
    }
    await waitFor(() => tracker.stats().state === "PAUSED", 30_000, "state PAUSED");

    const refused = (): number => proxy.events.filter((e) => e.status === 401).length;
    // From one refused probe on, four more need at least four probe periods.
    const before = refused();
    await waitFor(() => refused() > before, 30_000, "a refused probe");
    const since = performance.now();
    const first = refused();
    await waitFor(() => refused() >= first + 4, 30_000, "four more refused probes");
    expect(performance.now() - since).toBeGreaterThanOrEqual(4 * authRetryMs);
    expect(tracker.stats().state).toBe("PAUSED");
    expect(errors.some((e) => e instanceof AuthenticationError && /MLFLOW_TRACKING_USERNAME/.test(e.message))).toBe(true);
    for (const e of errors) expect(e.message).not.toContain(wrong.password);
    // Refusals do not lock the account: the right password still works.
    expect((await restAs(server.url, carol, "GET", `experiments/get?experiment_id=${exps[0]?.id}`)).status).toBe(200);

    await asAdmin("PATCH", "users/update-password", { username: carol.username, password: wrong.password });
    await waitFor(() => tracker.stats().state === "UP", 30_000, "state UP once the password is right");
    expect(await tracker.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
    await tracker.close({ timeoutMs: 5_000 });
    for (const [i, exp] of exps.entries()) await expectExactly(exp.id, expected[i] ?? new Set());
  });
});

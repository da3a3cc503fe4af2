/**
 * The team-deployment servers of the integration project, started lazily: the first test file
 * that asks for one (through test/support/servers.ts) starts it, every later one reuses it, and
 * a run that needs none starts none (each costs CPU and up to a minute on a loaded machine).
 *
 * A loopback HTTP endpoint in vitest's main process hands them out, since test files run in
 * other processes: `GET /postgres` → an MLflow server with 4 workers on a real PostgreSQL
 * (scripts/postgres-server.mjs); `GET /basic-auth` → MLflow's basic-auth app with an admin,
 * alice (EDIT on `team-shared`) and bob (READ on it) (scripts/mlflow-auth-server.mjs);
 * `GET /cors` → MLflow started with `--cors-allowed-origins` {@link CORS_TEST_ORIGIN}.
 * Env `MLTRAIL_MLFLOW_PG_URI` points `/postgres` at an already running server instead.
 */
import * as http from "node:http";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** What `GET /postgres` answers. */
export interface PostgresMlflowInfo {
  readonly url: string;
  readonly workers: number;
}

/** What `GET /basic-auth` answers. */
export interface BasicAuthInfo {
  readonly url: string;
  readonly admin: { readonly username: string; readonly password: string };
  readonly users: Readonly<Record<string, { readonly username: string; readonly password: string }>>;
  readonly experimentIds: Readonly<Record<string, string>>;
}

/** The page origin the `/cors` server allows (a name no resolver knows: browsers map it to 127.0.0.1 themselves). */
export const CORS_TEST_ORIGIN = "http://app.mltrail.test:8080";

/** What `GET /cors` answers. */
export interface CorsMlflowInfo {
  readonly url: string;
  /** The one non-localhost origin the server lets call it. */
  readonly allowedOrigin: string;
}

interface Stoppable {
  stop(): Promise<void>;
}

const scripts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "scripts");

async function script<T>(name: string): Promise<T> {
  return (await import(pathToFileURL(path.join(scripts, name)).href)) as T;
}

type Log = (message: string) => void;

async function startPostgresMlflow(log: Log, stoppables: Stoppable[]): Promise<PostgresMlflowInfo> {
  const external = process.env.MLTRAIL_MLFLOW_PG_URI;
  if (external) return { url: external.replace(/\/+$/, ""), workers: 0 };
  const pg = await script<{ startPostgres(o: { log: Log }): Promise<Stoppable & { createDatabase(name: string): Promise<string> }> }>("postgres-server.mjs");
  const mlflow = await script<{
    startMlflowServer(o: { backendStoreUri: string; workers: number; log: Log }): Promise<Stoppable & { url: string }>;
  }>("mlflow-server.mjs");
  const db = await pg.startPostgres({ log });
  stoppables.push(db);
  const server = await mlflow.startMlflowServer({ backendStoreUri: await db.createDatabase("mlflow"), workers: 4, log });
  // Stopped before its database (teardown runs the list backwards).
  stoppables.push(server);
  return { url: server.url, workers: 4 };
}

async function startBasicAuth(log: Log, stoppables: Stoppable[]): Promise<BasicAuthInfo> {
  const mod = await script<{ startAuthServer(o: { log: Log }): Promise<Stoppable & BasicAuthInfo> }>("mlflow-auth-server.mjs");
  const server = await mod.startAuthServer({ log });
  stoppables.push(server);
  return { url: server.url, admin: server.admin, users: server.users, experimentIds: server.experimentIds };
}

async function startCorsMlflow(log: Log, stoppables: Stoppable[]): Promise<CorsMlflowInfo> {
  const mlflow = await script<{
    startMlflowServer(o: { corsAllowedOrigins: readonly string[]; log: Log }): Promise<Stoppable & { url: string }>;
  }>("mlflow-server.mjs");
  const server = await mlflow.startMlflowServer({ corsAllowedOrigins: [CORS_TEST_ORIGIN], log });
  stoppables.push(server);
  return { url: server.url, allowedOrigin: CORS_TEST_ORIGIN };
}

/** Starts the broker; resolves to its base URL and a teardown that stops whatever it started. */
export async function startServerBroker(log: Log): Promise<{ url: string; close(): Promise<void> }> {
  const stoppables: Stoppable[] = [];
  const starts = new Map<string, Promise<unknown>>();
  const starters: Record<string, () => Promise<unknown>> = {
    "/postgres": () => startPostgresMlflow(log, stoppables),
    "/basic-auth": () => startBasicAuth(log, stoppables),
    "/cors": () => startCorsMlflow(log, stoppables),
  };
  const server = http.createServer((req, res) => {
    const starter = starters[req.url ?? ""];
    if (starter === undefined) {
      res.writeHead(404).end();
      return;
    }
    let started = starts.get(req.url ?? "");
    if (started === undefined) {
      started = starter();
      starts.set(req.url ?? "", started);
    }
    started.then(
      (info) => res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(info)),
      (err: unknown) => res.writeHead(500, { "Content-Type": "text/plain" }).end(err instanceof Error ? err.message : String(err)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.close();
      await Promise.allSettled(starts.values());
      for (const s of stoppables.reverse()) await s.stop().catch((err: unknown) => log(`stop failed: ${String(err)}`));
    },
  };
}

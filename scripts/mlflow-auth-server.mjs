#!/usr/bin/env node
// @ts-check
/**
 * Starts a throwaway MLflow server with MLflow's basic-auth app (`--app-name basic-auth`) and
 * sets up its users and permissions through MLflow's own REST API, as a team's admin would:
 *
 * - an admin (from the auth config file), created by the server at its first start;
 * - users, created with `POST /api/2.0/mlflow/users/create`;
 * - experiments created by the admin, with per-user permissions (READ, EDIT, MANAGE,
 *   NO_PERMISSIONS) granted with `POST /api/3.0/mlflow/users/permissions/grant`
 *   (`{ username, resource_type: "experiment", resource_id, permission }`; MLflow 3.18 serves no
 *   `/api/2.0/mlflow/experiments/permissions/create`).
 *
 * Every worker shares `MLFLOW_FLASK_SERVER_SECRET_KEY`; the auth database is a sqlite file next
 * to the config. The backend store is the caller's choice (sqlite by default, or PostgreSQL).
 *
 * CLI:
 *   node scripts/mlflow-auth-server.mjs    start with the users below, print them, run until Ctrl-C
 *
 * Plain Node ESM on purpose: it must run before anything is built.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { startMlflowServer, stopOnSignals } from "./mlflow-server.mjs";

/**
 * @typedef {"READ" | "EDIT" | "MANAGE" | "NO_PERMISSIONS"} Permission
 * @typedef {{ username: string, password: string }} Credentials
 *
 * @typedef {object} AuthSetup
 * @property {string[]} [users] Usernames to create (each gets a random password). Default: alice, bob.
 * @property {Record<string, Record<string, Permission>>} [experiments] Experiment name →
 *   username → permission. Default: `team-shared` with alice EDIT, bob READ.
 * @property {Permission} [defaultPermission] What users get on experiments without an explicit
 *   permission. Default: READ.
 * @property {string} [backendStoreUri] Default: sqlite in the server's temp folder.
 * @property {number} [workers] Default: 1.
 * @property {(message: string) => void} [log]
 *
 * @typedef {object} AuthServer
 * @property {string} url
 * @property {Credentials} admin
 * @property {Record<string, Credentials>} users
 * @property {Record<string, string>} experimentIds Experiment name → id.
 * @property {(experimentId: string, username: string, permission: Permission) => Promise<void>} grant
 *   Sets a user's permission on an experiment, as the admin (creates or updates it).
 * @property {() => Promise<void>} stop
 */

/** @param {Credentials} who */
export function basicAuthHeader(who) {
  return `Basic ${Buffer.from(`${who.username}:${who.password}`).toString("base64")}`;
}

/** A password MLflow accepts (at least 12 characters). */
function newPassword() {
  return `pw-${randomBytes(12).toString("hex")}`;
}

/**
 * One REST call as `who`; throws with the server's answer on a non-2xx status.
 * @param {string} url
 * @param {Credentials} who
 * @param {string} method
 * @param {string} apiPath "runs/get" (under /api/2.0/mlflow/) or a full path from "/"
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
async function call(url, who, method, apiPath, body) {
  /** @type {Record<string, string>} */
  const headers = { Authorization: basicAuthHeader(who) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${url}${apiPath.startsWith("/") ? apiPath : `/api/2.0/mlflow/${apiPath}`}`, {
    method,
    headers,
    signal: AbortSignal.timeout(30_000),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${apiPath} as ${who.username} -> HTTP ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : {};
}

/**
 * Starts the basic-auth server and creates the users, experiments and permissions.
 * @param {AuthSetup} [setup]
 * @returns {Promise<AuthServer>}
 */
export async function startAuthServer(setup = {}) {
  const configDir = await fsp.mkdtemp(path.join(os.tmpdir(), "mltrail-mlflow-auth-"));
  const admin = { username: "admin", password: newPassword() };
  const configFile = path.join(configDir, "basic_auth.ini");
  fs.writeFileSync(
    configFile,
    [
      "[mlflow]",
      `default_permission = ${setup.defaultPermission ?? "READ"}`,
      `database_uri = sqlite:///${path.join(configDir, "basic_auth.db")}`,
      `admin_username = ${admin.username}`,
      `admin_password = ${admin.password}`,
      "authorization_function = mlflow.server.auth:authenticate_request_basic_auth",
      // Without it every request pays a PBKDF2 password check (hundreds of ms of CPU on a loaded
      // machine); successful checks are cached per worker, a wrong password never is.
      "auth_cache_ttl_seconds = 60",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  const server = await startMlflowServer({
    appName: "basic-auth",
    ...(setup.backendStoreUri === undefined ? {} : { backendStoreUri: setup.backendStoreUri }),
    ...(setup.workers === undefined ? {} : { workers: setup.workers }),
    ...(setup.log === undefined ? {} : { log: setup.log }),
    env: { MLFLOW_AUTH_CONFIG_PATH: configFile, MLFLOW_FLASK_SERVER_SECRET_KEY: randomBytes(24).toString("hex") },
  });
  const stop = async () => {
    await server.stop();
    await fsp.rm(configDir, { recursive: true, force: true });
  };
  try {
    /** @type {Record<string, Credentials>} */
    const users = {};
    for (const username of setup.users ?? ["alice", "bob"]) {
      users[username] = { username, password: newPassword() };
      await call(server.url, admin, "POST", "users/create", users[username]);
    }
    /** @type {Record<string, string>} */
    const experimentIds = {};
    /** @type {AuthServer["grant"]} */
    const grant = async (experimentId, username, permission) => {
      const resource = { username, resource_type: "experiment", resource_id: experimentId };
      const grantPath = "/api/3.0/mlflow/users/permissions/grant";
      try {
        await call(server.url, admin, "POST", grantPath, { ...resource, permission });
      } catch (err) {
        // There is no update: a user's permission on a resource is replaced by revoke + grant.
        if (!/RESOURCE_ALREADY_EXISTS/.test(String(err))) throw err;
        await call(server.url, admin, "POST", "/api/3.0/mlflow/users/permissions/revoke", resource);
        await call(server.url, admin, "POST", grantPath, { ...resource, permission });
      }
    };
    const experiments = setup.experiments ?? { "team-shared": { alice: "EDIT", bob: "READ" } };
    for (const [name, permissions] of Object.entries(experiments)) {
      const created = await call(server.url, admin, "POST", "experiments/create", { name });
      experimentIds[name] = String(created.experiment_id);
      for (const [username, permission] of Object.entries(permissions)) await grant(experimentIds[name], username, permission);
    }
    return { url: server.url, admin, users, experimentIds, grant, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function main() {
  const server = await startAuthServer();
  process.stdout.write(
    `${server.url}\nMLflow basic-auth server is running.\n` +
      `admin: ${server.admin.username} / ${server.admin.password}\n` +
      Object.values(server.users)
        .map((u) => `user:  ${u.username} / ${u.password}\n`)
        .join("") +
      `experiments: ${JSON.stringify(server.experimentIds)} (alice EDIT, bob READ on team-shared)\nPress Ctrl-C to stop.\n`,
  );
  stopOnSignals("mlflow-auth", () => server.stop());
  setInterval(() => undefined, 60_000);
}

const invokedPath = process.argv[1] ? path.resolve(process.argv[1]) : "";
if (invokedPath === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`[mlflow-auth] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

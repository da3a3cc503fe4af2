/**
 * The backends the contract suite (test/integration/contract.test.ts) runs its cases on: one
 * entry per backend, each giving tracker options for a fresh, isolated store.
 *
 * Adding a backend (as the PostgreSQL and basic-auth entries are added):
 * 1. Make its URI reachable from the tests: a server started by the global setup is provided
 *    with `project.provide(...)` (see test/setup/mlflow.global.ts), or started on first use by
 *    the server broker (test/support/servers.ts: `postgresMlflow()`, `basicAuthServer()`).
 * 2. Append an entry to `BACKENDS` below: a `name` (the `describe` title), `server: true` when
 *    reads go through a server, and `open()` resolving with the `trackingUri` (plus `auth` when
 *    it needs credentials, and any other tracker option it needs). `open()` runs in `beforeAll`,
 *    so it may await a broker; throw from it to fail that backend's block loudly.
 * 3. Nothing else: every case of the contract suite then runs on it, and a miss on it must be
 *    the same `NotFoundError` as everywhere.
 *
 * @example
 * ```ts
 * { name: "MLflow+PostgreSQL 4 workers", server: true, open: async () => ({ trackingUri: (await postgresMlflow()).url }) }
 * ```
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PermissionDeniedError, type TrackerOptions } from "../../src/index.js";
import { mlflowUri } from "./mlflow.js";
import { basicAuthServer, postgresMlflow } from "./servers.js";

/** One backend of the contract suite. */
export interface BackendCase {
  /** Title of its `describe` block. */
  readonly name: string;
  /** True when reads are answered by a server (after `flush`), false for the local store. */
  readonly server: boolean;
  /**
   * What a read of an unknown run id raises, when it is not `NotFoundError`: MLflow's basic-auth
   * app answers 403 for a run id it does not have (it cannot check a permission on a run that
   * does not exist, and it does not reveal which), so an ordinary user gets a permission error.
   * @default NotFoundError
   */
  readonly runMiss?: typeof PermissionDeniedError;
  /** Where it is: the tracking URI and any option it needs (auth). Called once per block. */
  open(): Promise<Pick<TrackerOptions, "trackingUri" | "auth">>;
}

/** The backends every contract case runs on. */
export const BACKENDS: readonly BackendCase[] = [
  {
    name: "local store",
    server: false,
    // A fresh folder per tracker (see trackerOptions); the URI is that folder.
    open: async () => ({}),
  },
  {
    name: "MLflow (SQLite)",
    server: true,
    open: async () => ({ trackingUri: mlflowUri() }),
  },
  {
    name: "MLflow (PostgreSQL, 4 workers)",
    server: true,
    open: async () => ({ trackingUri: (await postgresMlflow()).url }),
  },
  {
    // alice: an ordinary user (no admin rights); experiments and models she creates are hers.
    name: "MLflow basic-auth",
    server: true,
    runMiss: PermissionDeniedError,
    open: async () => {
      const server = await basicAuthServer();
      const alice = server.users["alice"];
      if (alice === undefined) throw new Error("the basic-auth server has no user alice");
      return { trackingUri: server.url, auth: { username: alice.username, password: alice.password } };
    },
  },
];

/**
 * Options of a tracker on `where` with its own temporary folder (the store itself for the local
 * store, the spool with a server) and fast replication settings; `cleanup` removes the folder.
 */
export function trackerOptions(where: Pick<TrackerOptions, "trackingUri" | "auth">, experiment: string): { options: TrackerOptions; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-contract-"));
  const options: TrackerOptions = {
    trackingUri: where.trackingUri ?? dir,
    ...(where.auth === undefined ? {} : { auth: where.auth }),
    spoolDir: dir,
    experiment,
    captureContext: false,
    handleExit: false,
    drainOnStart: false,
    logLevel: "silent",
    replicationIntervalMs: 50,
    retryBaseMs: 20,
    retryMaxMs: 500,
  };
  return { options, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

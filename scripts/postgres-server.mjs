#!/usr/bin/env node
// @ts-check
/**
 * Starts a throwaway, real PostgreSQL server for tests and benchmarks (the backend store of an
 * MLflow server with several workers).
 *
 * - Binaries: env `MLTRAIL_PG_BIN` (a folder holding `initdb` and `pg_ctl`), else the newest
 *   `/usr/lib/postgresql/<version>/bin` (Debian's `postgresql` package), else `PATH`.
 * - PostgreSQL refuses to run as root: when this process is root, every server command runs as
 *   the `postgres` user (`runuser -u postgres --`), and the temp folder is handed to that user.
 * - A fresh cluster in a temp folder (`initdb -A trust`, one role `mltrail`), listening on
 *   127.0.0.1 and a free port only (its socket in the same folder), durability settings off (the
 *   data is thrown away), `max_connections` raised for many MLflow workers and clients.
 * - `stop()` stops the server (`pg_ctl stop -m fast`) and removes the folder; the server is also
 *   stopped when this process exits without calling it.
 *
 * CLI:
 *   node scripts/postgres-server.mjs [--port N]   start, print the SQLAlchemy URI, run until Ctrl-C
 *   node scripts/postgres-server.mjs --check      exit 0 when PostgreSQL is installed, else 1
 *
 * Plain Node ESM on purpose: it must run before anything is built.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, readTail, stopOnSignals } from "./mlflow-server.mjs";

/** The role the tests connect as (trust authentication: no password). */
export const PG_USER = "mltrail";
const START_TIMEOUT_MS = 120_000;

/**
 * @typedef {(message: string) => void} Logger
 *
 * @typedef {object} PostgresServer
 * @property {number} port
 * @property {string} host Always `127.0.0.1`.
 * @property {string} dataDir The cluster's folder (inside `workDir`).
 * @property {string} workDir Temp folder holding the cluster, its socket and `postgres.log`.
 * @property {string} logFile
 * @property {(name: string) => Promise<string>} createDatabase Creates a database and returns its
 *   SQLAlchemy URI for MLflow (`postgresql+psycopg2://mltrail@127.0.0.1:PORT/NAME`).
 * @property {() => Promise<void>} stop Stops the server and removes `workDir`. Idempotent.
 */

/** @type {Logger} */
const defaultLog = (message) => process.stderr.write(`[postgres] ${message}\n`);

/**
 * @param {string} file
 * @param {string[]} args
 * @param {{ timeout?: number, cwd?: string }} [opts]
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
function run(file, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: opts.timeout ?? 60_000, cwd: opts.cwd ?? os.tmpdir(), env: { ...process.env, LC_ALL: "C" } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * The folder with PostgreSQL's server programs (`initdb`, `pg_ctl`, `createdb`), or null.
 * @returns {string | null}
 */
export function findPostgresBin() {
  const has = (/** @type {string} */ dir) => fs.existsSync(path.join(dir, "initdb")) && fs.existsSync(path.join(dir, "pg_ctl"));
  const fromEnv = process.env.MLTRAIL_PG_BIN;
  if (fromEnv) return has(fromEnv) ? fromEnv : null;
  const debian = "/usr/lib/postgresql";
  if (fs.existsSync(debian)) {
    const versions = fs
      .readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (has(path.join(debian, v, "bin"))) return path.join(debian, v, "bin");
  }
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) if (dir && has(dir)) return dir;
  return null;
}

/**
 * Command prefix and owner for the server's programs: as root, the `postgres` user.
 * @returns {{ prefix: string[], uid: number | undefined, gid: number | undefined }}
 */
function runAs() {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return { prefix: [], uid: undefined, gid: undefined };
  const user = process.env.MLTRAIL_PG_OS_USER ?? "postgres";
  let uid;
  let gid;
  try {
    uid = Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
    gid = Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
  } catch {
    throw new Error(
      `PostgreSQL refuses to run as root and there is no "${user}" user to run it as (set MLTRAIL_PG_OS_USER, or install Debian's postgresql package).`,
    );
  }
  return { prefix: ["runuser", "-u", user, "--"], uid, gid };
}

/**
 * Starts a fresh PostgreSQL cluster on 127.0.0.1; resolves once it accepts connections.
 * @param {{ port?: number, maxConnections?: number, log?: Logger }} [opts]
 * @returns {Promise<PostgresServer>}
 */
export async function startPostgres(opts = {}) {
  const log = opts.log ?? defaultLog;
  const bin = findPostgresBin();
  if (bin === null) {
    throw new Error("PostgreSQL was not found (looked in MLTRAIL_PG_BIN, /usr/lib/postgresql/*/bin and PATH). On Debian/Ubuntu: apt-get install postgresql.");
  }
  const as = runAs();
  /** @param {string} program @param {string[]} args @param {number} [timeout] */
  const pg = (program, args, timeout) => {
    const [file, ...pre] = [...as.prefix, path.join(bin, program)];
    return run(/** @type {string} */ (file), [...pre, ...args], timeout === undefined ? {} : { timeout });
  };
  const started = Date.now();
  const workDir = await fsp.mkdtemp(path.join(os.tmpdir(), "mltrail-pg-"));
  const dataDir = path.join(workDir, "data");
  const logFile = path.join(workDir, "postgres.log");
  if (as.uid !== undefined && as.gid !== undefined) fs.chownSync(workDir, as.uid, as.gid);

  let res = await pg("initdb", ["-D", dataDir, "-A", "trust", "-U", PG_USER, "-E", "UTF8", "--no-sync", "--locale=C"], 120_000);
  if (res.code !== 0) {
    await fsp.rm(workDir, { recursive: true, force: true });
    throw new Error(`initdb failed (exit ${res.code}):\n${res.stderr}${res.stdout}`);
  }
  const maxConnections = opts.maxConnections ?? 400;
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const settings = [
      `-p ${port}`,
      `-k ${workDir}`,
      "-c listen_addresses=127.0.0.1",
      `-c max_connections=${maxConnections}`,
      // Throwaway data: no durability work, so the database is not what a benchmark measures.
      "-c fsync=off",
      "-c synchronous_commit=off",
      "-c full_page_writes=off",
    ].join(" ");
    res = await pg("pg_ctl", ["-D", dataDir, "-l", logFile, "-o", settings, "-w", "-t", String(START_TIMEOUT_MS / 1000), "start"], START_TIMEOUT_MS + 10_000);
    if (res.code === 0) return ready(port);
    const taken = /already in use|could not bind/i.test(readTail(logFile));
    if (opts.port !== undefined || !taken || attempt >= 3) {
      const tail = readTail(logFile);
      await fsp.rm(workDir, { recursive: true, force: true });
      throw new Error(`pg_ctl start failed (exit ${res.code}):\n${res.stderr}${res.stdout}\nServer log tail:\n${tail}`);
    }
    log(`port ${port} was taken, retrying on another port`);
  }

  /** @param {number} port @returns {PostgresServer} */
  function ready(port) {
    const stopArgs = ["-D", dataDir, "-m", "fast", "-w", "stop"];
    // If this process dies without calling stop(), do not leave a server behind.
    const onExit = () => {
      try {
        const [file, ...pre] = [...as.prefix, path.join(bin, "pg_ctl")];
        execFileSync(/** @type {string} */ (file), [...pre, "-D", dataDir, "-m", "immediate", "-w", "stop"], { stdio: "ignore", timeout: 20_000 });
      } catch {}
      try {
        fs.rmSync(workDir, { recursive: true, force: true });
      } catch {}
    };
    process.once("exit", onExit);
    let stopped = false;
    log(`PostgreSQL is up on 127.0.0.1:${port} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return {
      port,
      host: "127.0.0.1",
      dataDir,
      workDir,
      logFile,
      async createDatabase(name) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${JSON.stringify(name)}: use lower-case letters, digits and _`);
        const made = await pg("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", PG_USER, name]);
        if (made.code !== 0) throw new Error(`createdb ${name} failed (exit ${made.code}): ${made.stderr}${made.stdout}`);
        return `postgresql+psycopg2://${PG_USER}@127.0.0.1:${port}/${name}`;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        process.removeListener("exit", onExit);
        const done = await pg("pg_ctl", stopArgs, 60_000);
        if (done.code !== 0) log(`pg_ctl stop said (exit ${done.code}): ${done.stderr.trim()}`);
        await fsp.rm(workDir, { recursive: true, force: true, maxRetries: 3 });
      },
    };
  }
}

/** @param {string[]} argv */
async function main(argv) {
  if (argv.includes("--check")) {
    const bin = findPostgresBin();
    process.stdout.write(bin === null ? "PostgreSQL not found\n" : `${bin}\n`);
    process.exit(bin === null ? 1 : 0);
  }
  const portIdx = argv.indexOf("--port");
  const port = portIdx >= 0 ? Number(argv[portIdx + 1]) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port <= 0 || port > 65535)) throw new Error("--port needs a port number");
  const server = await startPostgres(port === undefined ? {} : { port });
  const uri = await server.createDatabase("mlflow");
  process.stdout.write(`${uri}\nPostgreSQL is running (database "mlflow"). Log: ${server.logFile}\nPress Ctrl-C to stop (the data is deleted).\n`);
  stopOnSignals("postgres", () => server.stop());
  setInterval(() => undefined, 60_000);
}

const invokedPath = process.argv[1] ? path.resolve(process.argv[1]) : "";
if (invokedPath === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`[postgres] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

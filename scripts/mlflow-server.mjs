#!/usr/bin/env node
// @ts-check
/**
 * Starts a throwaway, real MLflow tracking server for tests and local development.
 *
 * - Keeps a Python virtual environment with exactly `mlflow==3.18.0` in a cache folder
 *   (default `<project>/.cache/mlflow-venv`; env `MLTRAIL_MLFLOW_VENV` overrides), installed once
 *   and reused while `mlflow --version` still says 3.18.0.
 * - Runs `mlflow server` on 127.0.0.1 and a free port, with a sqlite backend and proxied artifacts
 *   in a fresh temp directory, its output captured to `<tmp>/server.log`.
 * - `stop()` kills the whole process group and removes the temp directory.
 *
 * CLI:
 *   node scripts/mlflow-server.mjs [--port N] [--cors-allowed-origins <origins>]
 *                                                  start, print the URL, run until Ctrl-C
 *   node scripts/mlflow-server.mjs --install-only  only make sure the virtual environment exists
 *
 * Plain Node ESM on purpose: it must run before anything is built.
 */
import { spawn, execFile } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** The MLflow version the test suites are written against. */
export const MLFLOW_VERSION = "3.18.0";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MARKER_NAME = `.mltrail-mlflow-${MLFLOW_VERSION}.json`;
/**
 * Packages installed next to MLflow: the PostgreSQL driver of an MLflow server on PostgreSQL
 * (`postgresql+psycopg2://` URIs) and the basic-auth app's dependency (`mlflow[auth]`).
 */
export const MLFLOW_EXTRAS = ["psycopg2-binary==2.9.13", "Flask-WTF==1.3.0"];
const EXTRAS_MARKER_NAME = ".mltrail-mlflow-extras.json";
const HEALTH_TIMEOUT_MS = 120_000;
const INSTALL_LOCK_TIMEOUT_MS = 20 * 60_000;

/**
 * @typedef {(message: string) => void} Logger
 *
 * @typedef {object} StartOptions
 * @property {string} [cacheDir] Virtual environment folder. Default: env `MLTRAIL_MLFLOW_VENV`,
 *   else `<project>/.cache/mlflow-venv`.
 * @property {number} [port] Port to listen on. Default: a free port chosen at start.
 * @property {Logger} [log] Progress messages (install, start). Default: stderr.
 * @property {string} [backendStoreUri] Backend store, e.g. a `postgresql+psycopg2://…` URI.
 *   Default: a sqlite file in the server's temp directory.
 * @property {number} [workers] Server worker processes; start resolves once every one of them
 *   logged its startup. Default: 1.
 * @property {string} [appName] `--app-name`, e.g. `basic-auth`. Default: none.
 * @property {readonly string[]} [corsAllowedOrigins] Origins allowed to call the server from a
 *   browser (`--cors-allowed-origins`, e.g. the origin serving a page that logs with
 *   mltrail/browser). Default: none (MLflow then allows only localhost origins).
 * @property {Record<string, string>} [env] Extra environment of the server (e.g.
 *   `MLFLOW_AUTH_CONFIG_PATH`). Default: none.
 *
 * @typedef {object} MlflowServer
 * @property {string} url Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
 * @property {number} port
 * @property {number} pid Process id of the server, also its process-group id.
 * @property {string} workDir Temp directory holding `mlflow.db`, `artifacts/` and `server.log`.
 * @property {string} artifactsDir Where the server stores proxied artifacts.
 * @property {string} logFile The server's captured stdout + stderr.
 * @property {() => Promise<void>} stop Kills the process group and removes `workDir`. Idempotent.
 */

/** @type {Logger} */
const defaultLog = (message) => process.stderr.write(`[mlflow-server] ${message}\n`);

/**
 * Runs a program and collects its output.
 * @param {string} file
 * @param {string[]} args
 * @param {{ timeout?: number, env?: NodeJS.ProcessEnv }} [opts]
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
export function run(file, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: opts.timeout ?? 60_000, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * Finds a Python ≥ 3.10 interpreter: env `MLTRAIL_PYTHON`, then `python3`, then `python`.
 * @returns {Promise<string | null>} Absolute path of the interpreter, or null when there is none.
 */
export async function findPython() {
  const candidates = [process.env.MLTRAIL_PYTHON, "python3", "python"].filter(/** @returns {c is string} */ (c) => typeof c === "string" && c.length > 0);
  for (const candidate of candidates) {
    const res = await run(candidate, ["-c", "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])"]).catch(() => null);
    if (res?.code !== 0) continue;
    const [exe, version] = res.stdout.trim().split(/\r?\n/);
    const [major, minor] = (version ?? "0.0").split(".").map(Number);
    if (exe && major === 3 && (minor ?? 0) >= 10) return exe;
  }
  return null;
}

/**
 * The virtual environment folder in effect.
 * @param {string} [cacheDir]
 * @returns {string}
 */
export function resolveVenvDir(cacheDir) {
  const dir = cacheDir ?? process.env.MLTRAIL_MLFLOW_VENV ?? path.join(PROJECT_ROOT, ".cache", "mlflow-venv");
  return path.resolve(dir);
}

/**
 * @param {string} venvDir
 * @param {string} name
 * @returns {string}
 */
function venvBin(venvDir, name) {
  return process.platform === "win32" ? path.join(venvDir, "Scripts", `${name}.exe`) : path.join(venvDir, "bin", name);
}

/**
 * True when the venv has a marker and `mlflow --version` reports the pinned version.
 * @param {string} venvDir
 * @returns {Promise<boolean>}
 */
async function venvIsReady(venvDir) {
  if (!fs.existsSync(path.join(venvDir, MARKER_NAME))) return false;
  const res = await run(venvBin(venvDir, "mlflow"), ["--version"]).catch(() => null);
  return !!res && res.code === 0 && res.stdout.includes(MLFLOW_VERSION);
}

/**
 * True when the extras marker lists exactly {@link MLFLOW_EXTRAS}.
 * @param {string} venvDir
 */
function extrasAreReady(venvDir) {
  try {
    const marker = JSON.parse(fs.readFileSync(path.join(venvDir, EXTRAS_MARKER_NAME), "utf8"));
    return JSON.stringify(marker.packages) === JSON.stringify(MLFLOW_EXTRAS);
  } catch {
    return false;
  }
}

/**
 * Installs {@link MLFLOW_EXTRAS} into a ready MLflow venv (also into one installed before the
 * extras existed) and writes their marker.
 * @param {string} venvDir
 * @param {Logger} log
 */
async function installExtras(venvDir, log) {
  log(`installing ${MLFLOW_EXTRAS.join(", ")} next to MLflow…`);
  const res = await run(venvBin(venvDir, "pip"), ["--disable-pip-version-check", "install", ...MLFLOW_EXTRAS], {
    timeout: 10 * 60_000,
    env: { ...process.env, PIP_NO_INPUT: "1", PIP_DISABLE_PIP_VERSION_CHECK: "1" },
  });
  if (res.code !== 0) throw new Error(`pip install ${MLFLOW_EXTRAS.join(" ")} failed (exit ${res.code}):\n${tail(res.stderr + res.stdout, 40)}`);
  fs.writeFileSync(path.join(venvDir, EXTRAS_MARKER_NAME), `${JSON.stringify({ packages: MLFLOW_EXTRAS, installedAt: new Date().toISOString() }, null, 2)}\n`);
}

/**
 * A crude cross-process lock (mkdir is atomic), so two test runs do not install at once.
 * @param {string} lockDir
 * @param {Logger} log
 * @returns {Promise<() => void>} release
 */
export async function acquireLock(lockDir, log) {
  const deadline = Date.now() + INSTALL_LOCK_TIMEOUT_MS;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, "pid"), String(process.pid));
      return () => fs.rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== "EEXIST") throw err;
    }
    // Take over a lock whose owner is gone.
    const owner = Number(fs.readFileSync(path.join(lockDir, "pid"), { encoding: "utf8", flag: "a+" }) || 0);
    if (owner > 0 && !processAlive(owner)) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for the install lock ${lockDir}`);
    if (!told) {
      log(`waiting for another process (pid ${owner || "?"}) to finish installing MLflow…`);
      told = true;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** @param {number} pid */
function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === "EPERM";
  }
}

/**
 * Makes sure a virtual environment with exactly `mlflow==3.18.0` exists, installing it if needed.
 * @param {{ cacheDir?: string, log?: Logger }} [opts]
 * @returns {Promise<{ venvDir: string, mlflowBin: string, installed: boolean, installMs: number }>}
 */
export async function ensureMlflowVenv(opts = {}) {
  const log = opts.log ?? defaultLog;
  const venvDir = resolveVenvDir(opts.cacheDir);
  const mlflowBin = venvBin(venvDir, "mlflow");
  if ((await venvIsReady(venvDir)) && extrasAreReady(venvDir)) return { venvDir, mlflowBin, installed: false, installMs: 0 };

  const python = await findPython();
  if (!python) {
    throw new Error(
      "python3 (3.10 or newer) was not found on PATH, so no MLflow server can be started for the " +
        "integration tests. Install Python 3 (with the venv module) or set MLTRAIL_PYTHON to an interpreter.",
    );
  }
  fs.mkdirSync(path.dirname(venvDir), { recursive: true });
  const release = await acquireLock(`${venvDir}.lock`, log);
  try {
    if (await venvIsReady(venvDir)) {
      if (!extrasAreReady(venvDir)) await installExtras(venvDir, log);
      return { venvDir, mlflowBin, installed: false, installMs: 0 };
    }
    const started = Date.now();
    // A half-built venv (no marker) is not trusted: start over.
    fs.rmSync(venvDir, { recursive: true, force: true });
    log(`creating a virtual environment in ${path.relative(process.cwd(), venvDir) || venvDir}`);
    let res = await run(python, ["-m", "venv", venvDir], { timeout: 5 * 60_000 });
    if (res.code !== 0) {
      throw new Error(`"${python} -m venv" failed (exit ${res.code}). On Debian/Ubuntu install python3-venv.\n${res.stderr}${res.stdout}`);
    }
    log(`installing mlflow==${MLFLOW_VERSION} (first run only; takes a few minutes)…`);
    const pip = venvBin(venvDir, "pip");
    const pipEnv = { ...process.env, PIP_NO_INPUT: "1", PIP_DISABLE_PIP_VERSION_CHECK: "1" };
    /** @param {string[]} args */
    const pipRun = (args) => run(pip, ["--disable-pip-version-check", ...args], { timeout: 30 * 60_000, env: pipEnv });
    let mode = "pip install";
    res = await pipRun(["install", `mlflow==${MLFLOW_VERSION}`]);
    if (res.code !== 0 && UNPUBLISHED_CHILD.test(res.stderr + res.stdout)) {
      // See installWithoutUnpublishedChildren: the 3.18.0 wheel pins children PyPI does not have.
      log(`mlflow ${MLFLOW_VERSION} pins mlflow-skinny/mlflow-tracing ${MLFLOW_VERSION}, which PyPI lacks; using the fallback install`);
      mode = `fallback (children from ${CHILD_FALLBACK_VERSION}, mlflow --no-deps)`;
      res = await installWithoutUnpublishedChildren(pipRun, venvDir);
    }
    if (res.code !== 0) {
      throw new Error(`pip install mlflow==${MLFLOW_VERSION} failed (exit ${res.code}):\n${tail(res.stderr + res.stdout, 60)}`);
    }
    const check = await run(mlflowBin, ["--version"]);
    if (check.code !== 0 || !check.stdout.includes(MLFLOW_VERSION)) {
      throw new Error(`"mlflow --version" after install said: ${check.stdout}${check.stderr}`);
    }
    await installExtras(venvDir, log);
    const installMs = Date.now() - started;
    fs.writeFileSync(
      path.join(venvDir, MARKER_NAME),
      `${JSON.stringify({ mlflow: MLFLOW_VERSION, mode, installedAt: new Date().toISOString(), installMs }, null, 2)}\n`,
    );
    log(`mlflow ${MLFLOW_VERSION} installed in ${(installMs / 1000).toFixed(1)} s`);
    return { venvDir, mlflowBin, installed: true, installMs };
  } finally {
    release();
  }
}

/** pip's error when a pinned dependency has no release on the index. */
const UNPUBLISHED_CHILD = /No matching distribution found for mlflow-(skinny|tracing)==/;
/** Newest mlflow-skinny / mlflow-tracing on PyPI when mlflow 3.18.0 was pinned. */
const CHILD_FALLBACK_VERSION = "3.17.2";

/**
 * The `mlflow==3.18.0` wheel on PyPI requires `mlflow-skinny==3.18.0` and `mlflow-tracing==3.18.0`,
 * which were never published (PyPI stops at 3.17.2), so a plain `pip install` cannot resolve.
 * The full `mlflow` wheel already contains the whole `mlflow` Python package (the children are
 * subsets of it), so we:
 *   1. read mlflow 3.18.0's own requirements (`pip install --dry-run --report`),
 *   2. install the 3.17.2 children together with those requirements (this pulls in the children's
 *      third-party dependencies: click, protobuf, opentelemetry, …),
 *   3. uninstall the two children (their dependencies stay), so no 3.17.2 file is left behind,
 *   4. install `mlflow==3.18.0 --no-deps`, whose files then are the only `mlflow/` package.
 * @param {(args: string[]) => Promise<{ code: number | null, stdout: string, stderr: string }>} pipRun
 * @param {string} venvDir
 */
async function installWithoutUnpublishedChildren(pipRun, venvDir) {
  const reportFile = path.join(venvDir, "mlflow-install-report.json");
  let res = await pipRun(["install", "--dry-run", "--no-deps", "--ignore-installed", "--quiet", "--report", reportFile, `mlflow==${MLFLOW_VERSION}`]);
  if (res.code !== 0) return res;
  /** @type {{ install?: { metadata?: { name?: string, requires_dist?: string[] } }[] }} */
  const report = JSON.parse(fs.readFileSync(reportFile, "utf8"));
  fs.rmSync(reportFile, { force: true });
  const requires = report.install?.find((i) => i.metadata?.name?.toLowerCase() === "mlflow")?.metadata?.requires_dist ?? [];
  const deps = requires.filter((r) => !/\bextra\s*==/.test(r) && !/^mlflow-(skinny|tracing)\b/i.test(r));
  res = await pipRun(["install", `mlflow-skinny==${CHILD_FALLBACK_VERSION}`, `mlflow-tracing==${CHILD_FALLBACK_VERSION}`, ...deps]);
  if (res.code !== 0) return res;
  res = await pipRun(["uninstall", "--yes", "mlflow-skinny", "mlflow-tracing"]);
  if (res.code !== 0) return res;
  return pipRun(["install", "--no-deps", `mlflow==${MLFLOW_VERSION}`]);
}

/**
 * Last lines of a text.
 * @param {string} text
 * @param {number} lines
 */
function tail(text, lines) {
  return text.split(/\r?\n/).slice(-lines).join("\n");
}

/**
 * Last lines of a log file, or a placeholder when it cannot be read.
 * @param {string} file
 */
export function readTail(file, lines = 40) {
  try {
    return tail(fs.readFileSync(file, "utf8"), lines);
  } catch {
    return "(no server log)";
  }
}

/** @returns {Promise<number>} a port that was free a moment ago on 127.0.0.1 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Installs (if needed) and starts an MLflow server; resolves once `GET /health` says OK.
 * @param {StartOptions} [opts]
 * @returns {Promise<MlflowServer>}
 */
export async function startMlflowServer(opts = {}) {
  const log = opts.log ?? defaultLog;
  const { mlflowBin } = await ensureMlflowVenv({ ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}), log });

  // Retry with a new port only when we picked the port ourselves and lost a race for it.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await launch(mlflowBin, port, log, opts);
    } catch (err) {
      const portTaken = err instanceof Error && /address already in use|Errno 98/i.test(err.message);
      if (opts.port !== undefined || !portTaken || attempt >= 3) throw err;
      log(`port ${port} was taken, retrying on another port`);
    }
  }
}

/**
 * @param {string} mlflowBin
 * @param {number} port
 * @param {Logger} log
 * @param {StartOptions} opts
 * @returns {Promise<MlflowServer>}
 */
async function launch(mlflowBin, port, log, opts) {
  const workDir = await fsp.mkdtemp(path.join(os.tmpdir(), "mltrail-mlflow-"));
  const artifactsDir = path.join(workDir, "artifacts");
  const logFile = path.join(workDir, "server.log");
  fs.mkdirSync(artifactsDir);
  const dbUri = opts.backendStoreUri ?? `sqlite:///${path.join(workDir, "mlflow.db")}`;
  const workers = opts.workers ?? 1;
  const args = [
    "server",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--backend-store-uri",
    dbUri,
    "--artifacts-destination",
    artifactsDir,
    "--serve-artifacts",
    "--workers",
    String(workers),
    ...(opts.appName === undefined ? [] : ["--app-name", opts.appName]),
    ...(opts.corsAllowedOrigins === undefined || opts.corsAllowedOrigins.length === 0 ? [] : ["--cors-allowed-origins", opts.corsAllowedOrigins.join(",")]),
  ];
  // Environment: keep PATH & co., but no MLFLOW_* settings from the caller's shell leak in.
  /** @type {NodeJS.ProcessEnv} */
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("MLFLOW_")) env[k] = v;
  env.PYTHONUNBUFFERED = "1";
  env.MLFLOW_DISABLE_TELEMETRY = "true";
  env.DO_NOT_TRACK = "true";
  // The job runner (huey consumers for GenAI jobs) adds ~7 python processes; tests need none.
  env.MLFLOW_SERVER_ENABLE_JOB_EXECUTION = "false";
  Object.assign(env, opts.env ?? {});

  const out = fs.openSync(logFile, "a");
  const started = Date.now();
  const child = spawn(mlflowBin, args, { cwd: workDir, env, detached: true, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  const pid = child.pid;
  if (pid === undefined) {
    fs.rmSync(workDir, { recursive: true, force: true });
    throw new Error(`could not spawn ${mlflowBin}`);
  }
  /** @type {{ code: number | null, signal: NodeJS.Signals | null } | null} */
  let exited = null;
  const exitPromise = once(child, "exit").then(([code, signal]) => {
    exited = { code, signal };
  });

  // If the parent dies without calling stop(), do not leave a server behind.
  const onExit = () => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
    try {
      fs.rmSync(workDir, { recursive: true, force: true });
    } catch {}
  };
  process.once("exit", onExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", onExit);
    if (!exited) {
      try {
        process.kill(-pid, "SIGTERM");
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {}
      }, 5_000);
      await exitPromise;
      clearTimeout(timer);
    }
    // Workers in the group may outlive the leader for a moment.
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
    await fsp.rm(workDir, { recursive: true, force: true, maxRetries: 3 });
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, () => exited, logFile, workers);
  } catch (err) {
    await stop();
    throw err;
  }
  log(
    `MLflow ${MLFLOW_VERSION}${workers > 1 ? ` (${workers} workers)` : ""}${opts.appName ? ` (${opts.appName})` : ""} is up at ${url} after ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${pid})`,
  );
  return { url, port, pid, workDir, artifactsDir, logFile, stop };
}

/**
 * Polls `GET /health` until it answers OK.
 * @param {string} url
 * @param {() => { code: number | null, signal: NodeJS.Signals | null } | null} exited
 * @param {string} logFile
 * @param {number} workers `/health` answers once the first worker is up: with several, also wait
 *   until each logged "Application startup complete".
 */
async function waitForHealth(url, exited, logFile, workers) {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let lastError = "";
  for (;;) {
    const ex = exited();
    if (ex) {
      throw new Error(`mlflow server exited before it was healthy (code ${ex.code}, signal ${ex.signal}). Server log tail:\n${readTail(logFile)}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      const started = workers > 1 ? (readTail(logFile, 100_000).match(/Application startup complete/g) ?? []).length : workers;
      if (res.ok && body.trim() === "OK" && started >= workers) return;
      if (res.ok) lastError = `${started} of ${workers} workers started`;
      else lastError = `HTTP ${res.status}: ${body.slice(0, 200)}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `mlflow server at ${url} was not healthy after ${HEALTH_TIMEOUT_MS / 1000} s (last: ${lastError}). Server log tail:\n${readTail(logFile)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * CLI helper: on SIGINT, SIGTERM or SIGHUP, calls `stop` once and exits (1 when it failed).
 * @param {string} tag prefix of the message
 * @param {() => Promise<void>} stop
 */
export function stopOnSignals(tag, stop) {
  let stopping = false;
  /** @param {NodeJS.Signals} sig */
  const shutdown = (sig) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n[${tag}] ${sig}: stopping…\n`);
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const sig of /** @type {NodeJS.Signals[]} */ (["SIGINT", "SIGTERM", "SIGHUP"])) process.on(sig, shutdown);
}

/** @param {string[]} argv */
async function main(argv) {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(
      "Usage: node scripts/mlflow-server.mjs [--port N] [--cors-allowed-origins <origins>] [--install-only]\n" +
        `Starts a throwaway MLflow ${MLFLOW_VERSION} server (sqlite + proxied artifacts in a temp dir).\n` +
        "--cors-allowed-origins: comma-separated origins of pages allowed to log to it (mltrail/browser),\n" +
        "  e.g. http://app.example.test:8080; localhost origins are always allowed.\n" +
        "Env: MLTRAIL_MLFLOW_VENV (venv folder), MLTRAIL_PYTHON (interpreter).\n",
    );
    return;
  }
  if (argv.includes("--install-only")) {
    const { venvDir, installed } = await ensureMlflowVenv();
    process.stdout.write(`mlflow ${MLFLOW_VERSION} ${installed ? "installed" : "already present"} in ${path.relative(process.cwd(), venvDir) || venvDir}\n`);
    return;
  }
  const portIdx = argv.indexOf("--port");
  /** @type {number | undefined} */
  let port;
  if (portIdx >= 0) {
    port = Number(argv[portIdx + 1]);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`--port needs a port number`);
  }
  const corsIdx = argv.indexOf("--cors-allowed-origins");
  /** @type {string[] | undefined} */
  let corsAllowedOrigins;
  if (corsIdx >= 0) {
    const value = argv[corsIdx + 1] ?? "";
    corsAllowedOrigins = value
      .split(",")
      .map((o) => o.trim())
      .filter((o) => o !== "");
    if (corsAllowedOrigins.length === 0 || value.startsWith("--"))
      throw new Error("--cors-allowed-origins needs a comma-separated list of origins, e.g. http://app.example.test:8080");
  }
  const server = await startMlflowServer({ ...(port === undefined ? {} : { port }), ...(corsAllowedOrigins === undefined ? {} : { corsAllowedOrigins }) });
  process.stdout.write(
    `${server.url}\n` +
      `MLflow ${MLFLOW_VERSION} is running. Use it with:  export MLFLOW_TRACKING_URI=${server.url}\n` +
      `Server log: ${server.logFile}\nPress Ctrl-C to stop (the temp data is deleted).\n`,
  );
  let stopping = false;
  stopOnSignals("mlflow-server", () => {
    stopping = true;
    return server.stop();
  });
  // Keep running; notice if the server dies on its own.
  const timer = setInterval(() => {
    if (!processAlive(server.pid) && !stopping) {
      process.stderr.write(`[mlflow-server] the server exited. Log tail:\n${readTail(server.logFile)}\n`);
      stopping = true;
      server.stop().finally(() => process.exit(1));
    }
  }, 2000);
  void timer;
}

const invokedPath = process.argv[1] ? path.resolve(process.argv[1]) : "";
if (invokedPath === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`[mlflow-server] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

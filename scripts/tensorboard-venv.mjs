#!/usr/bin/env node
// @ts-check
/**
 * Keeps a Python virtual environment with a pinned `tensorboard` for the TensorBoard oracle tests
 * (TensorBoard's own `EventAccumulator` reads back what mltrail exports).
 *
 * - Folder: env `MLTRAIL_TENSORBOARD_VENV`, else `<project>/.cache/tensorboard-venv`; installed once
 *   and reused while its marker file names the pinned version.
 * - Uses the same Python finder and install lock as scripts/mlflow-server.mjs.
 *
 * CLI:
 *   node scripts/tensorboard-venv.mjs   make sure the venv exists, print its python path
 *
 * Plain Node ESM on purpose: it must run before anything is built.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { acquireLock, findPython, run } from "./mlflow-server.mjs";

/** The tensorboard version the oracle tests are written against. */
export const TENSORBOARD_VERSION = "2.21.0";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MARKER_NAME = `.mltrail-tensorboard-${TENSORBOARD_VERSION}.json`;

/** @param {string} message */
const defaultLog = (message) => process.stderr.write(`[tensorboard-venv] ${message}\n`);

/** @param {string} venvDir */
function venvPython(venvDir) {
  return process.platform === "win32" ? path.join(venvDir, "Scripts", "python.exe") : path.join(venvDir, "bin", "python");
}

/**
 * Makes sure a virtual environment with `tensorboard==TENSORBOARD_VERSION` exists.
 * @param {{ cacheDir?: string, log?: (message: string) => void }} [opts]
 * @returns {Promise<{ venvDir: string, python: string, installed: boolean, installMs: number }>}
 */
export async function ensureTensorboardVenv(opts = {}) {
  const log = opts.log ?? defaultLog;
  const venvDir = opts.cacheDir ?? process.env.MLTRAIL_TENSORBOARD_VENV ?? path.join(PROJECT_ROOT, ".cache", "tensorboard-venv");
  const python = venvPython(venvDir);
  const ready = () => fs.existsSync(path.join(venvDir, MARKER_NAME)) && fs.existsSync(python);
  if (ready()) return { venvDir, python, installed: false, installMs: 0 };
  const system = await findPython();
  if (!system) {
    throw new Error("python3 (3.10 or newer) was not found on PATH; set MLTRAIL_PYTHON to an interpreter with the venv module.");
  }
  fs.mkdirSync(path.dirname(venvDir), { recursive: true });
  const release = await acquireLock(`${venvDir}.lock`, log);
  try {
    if (ready()) return { venvDir, python, installed: false, installMs: 0 };
    const started = Date.now();
    fs.rmSync(venvDir, { recursive: true, force: true });
    log(`creating a virtual environment in ${path.relative(process.cwd(), venvDir) || venvDir}`);
    let res = await run(system, ["-m", "venv", venvDir], { timeout: 5 * 60_000 });
    if (res.code !== 0) throw new Error(`"${system} -m venv" failed (exit ${res.code}):\n${res.stderr}${res.stdout}`);
    log(`installing tensorboard==${TENSORBOARD_VERSION} (first run only)…`);
    const env = { ...process.env, PIP_NO_INPUT: "1", PIP_DISABLE_PIP_VERSION_CHECK: "1" };
    res = await run(python, ["-m", "pip", "install", "--quiet", `tensorboard==${TENSORBOARD_VERSION}`], { timeout: 20 * 60_000, env });
    if (res.code !== 0) throw new Error(`pip install tensorboard==${TENSORBOARD_VERSION} failed (exit ${res.code}):\n${res.stderr}${res.stdout}`);
    res = await run(python, ["-c", "import tensorboard; print(tensorboard.__version__)"]);
    if (res.code !== 0 || !res.stdout.includes(TENSORBOARD_VERSION)) {
      throw new Error(`tensorboard import check after install said: ${res.stdout}${res.stderr}`);
    }
    const installMs = Date.now() - started;
    fs.writeFileSync(
      path.join(venvDir, MARKER_NAME),
      `${JSON.stringify({ tensorboard: TENSORBOARD_VERSION, installedAt: new Date().toISOString(), installMs }, null, 2)}\n`,
    );
    log(`tensorboard ${TENSORBOARD_VERSION} installed in ${(installMs / 1000).toFixed(1)} s`);
    return { venvDir, python, installed: true, installMs };
  } finally {
    release();
  }
}

const invokedPath = process.argv[1] ? path.resolve(process.argv[1]) : "";
if (invokedPath === fileURLToPath(import.meta.url)) {
  ensureTensorboardVenv().then(
    ({ python, installed, installMs }) => {
      process.stdout.write(`${python}\n`);
      if (installed) process.stderr.write(`[tensorboard-venv] install took ${(installMs / 1000).toFixed(1)} s\n`);
    },
    (err) => {
      process.stderr.write(`[tensorboard-venv] ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

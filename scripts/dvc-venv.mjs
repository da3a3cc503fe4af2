#!/usr/bin/env node
// @ts-check
// A cached Python virtual environment with the DVC target's oracles: the `dvc` CLI (`dvc metrics
// show/diff`, `dvc params diff`, `dvc plots show`, `dvc exp show` read back what mltrail exports)
// and `dvclive` (writes the reference layout the export is compared with). Created on first use
// next to the MLflow venv (env MLTRAIL_DVC_VENV, else <project>/.cache/dvc-venv), guarded by the
// same cross-process install lock. Usage: node scripts/dvc-venv.mjs  (prints the interpreter path)
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { acquireLock, findPython, run } from "./mlflow-server.mjs";

/** The dvc version the oracle tests are written against. */
export const DVC_VERSION = "3.67.1";
/** The dvclive version whose layout the DVC target follows. */
export const DVCLIVE_VERSION = "3.49.1";
const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MARKER = `.mltrail-dvc-${DVC_VERSION}-${DVCLIVE_VERSION}.json`;

/**
 * Makes sure the venv exists with the pinned dvc and dvclive; resolves with its Python and the
 * `dvc` executable.
 * @param {{ log?: (line: string) => void }} [opts]
 * @returns {Promise<{ python: string, dvc: string }>}
 */
export async function ensureDvcVenv(opts = {}) {
  const log = opts.log ?? ((line) => process.stderr.write(`[dvc-venv] ${line}\n`));
  const venvDir = path.resolve(process.env.MLTRAIL_DVC_VENV ?? path.join(PROJECT_ROOT, ".cache", "dvc-venv"));
  const bin = path.join(venvDir, process.platform === "win32" ? "Scripts" : "bin");
  const python = path.join(bin, process.platform === "win32" ? "python.exe" : "python");
  const result = { python, dvc: path.join(bin, process.platform === "win32" ? "dvc.exe" : "dvc") };
  const ready = () => fs.existsSync(path.join(venvDir, MARKER)) && fs.existsSync(result.dvc);
  if (ready()) return result;
  const system = await findPython();
  if (!system) throw new Error("python3 (3.10 or newer) was not found: set MLTRAIL_PYTHON to an interpreter");
  fs.mkdirSync(path.dirname(venvDir), { recursive: true });
  const release = await acquireLock(`${venvDir}.lock`, log);
  try {
    if (ready()) return result;
    const started = Date.now();
    fs.rmSync(venvDir, { recursive: true, force: true });
    let res = await run(system, ["-m", "venv", venvDir], { timeout: 5 * 60_000 });
    if (res.code !== 0) throw new Error(`"${system} -m venv" failed (exit ${res.code}):\n${res.stderr}${res.stdout}`);
    log(`installing dvc==${DVC_VERSION} dvclive==${DVCLIVE_VERSION} (first run only)…`);
    const env = { ...process.env, PIP_NO_INPUT: "1", PIP_DISABLE_PIP_VERSION_CHECK: "1" };
    res = await run(python, ["-m", "pip", "install", "-q", `dvc==${DVC_VERSION}`, `dvclive==${DVCLIVE_VERSION}`], { timeout: 20 * 60_000, env });
    if (res.code !== 0) throw new Error(`pip install dvc failed (exit ${res.code}):\n${(res.stderr + res.stdout).split("\n").slice(-40).join("\n")}`);
    res = await run(result.dvc, ["--version"], { env: { ...process.env, DVC_NO_ANALYTICS: "1" } });
    if (res.code !== 0 || !res.stdout.includes(DVC_VERSION)) throw new Error(`dvc --version after install said: ${res.stdout}${res.stderr}`);
    const installMs = Date.now() - started;
    fs.writeFileSync(path.join(venvDir, MARKER), `${JSON.stringify({ dvc: DVC_VERSION, dvclive: DVCLIVE_VERSION, installMs }, null, 2)}\n`);
    log(`installed in ${(installMs / 1000).toFixed(1)} s`);
    return result;
  } finally {
    release();
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log((await ensureDvcVenv()).python);
}

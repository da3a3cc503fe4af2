// A cached Python virtual environment with the reference implementations mltrail/explain is
// tested against: shap (KernelExplainer) and scikit-learn. Created on first use next to the
// MLflow venv (env MLTRAIL_SHAP_VENV, else <project>/.cache/shap-venv), guarded by the same
// cross-process install lock. Usage: node scripts/shap-venv.mjs  (prints the interpreter path)
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { acquireLock, findPython, run } from "./mlflow-server.mjs";

export const SHAP_VERSION = "0.48.0";
export const SKLEARN_VERSION = "1.9.1";
const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MARKER = ".mltrail-shap-venv.json";

/**
 * Makes sure the venv exists with the pinned shap and scikit-learn; resolves with its Python.
 * @param {{ log?: (line: string) => void }} [opts]
 * @returns {Promise<string>}
 */
export async function ensureShapVenv(opts = {}) {
  const log = opts.log ?? ((line) => process.stderr.write(`[shap-venv] ${line}\n`));
  const venvDir = path.resolve(process.env.MLTRAIL_SHAP_VENV ?? path.join(PROJECT_ROOT, ".cache", "shap-venv"));
  const python = process.platform === "win32" ? path.join(venvDir, "Scripts", "python.exe") : path.join(venvDir, "bin", "python");
  const ready = () => fs.existsSync(path.join(venvDir, MARKER)) && fs.existsSync(python);
  if (ready()) return python;
  const system = await findPython();
  if (!system) throw new Error("python3 (3.10 or newer) was not found: set MLTRAIL_PYTHON to an interpreter");
  fs.mkdirSync(path.dirname(venvDir), { recursive: true });
  const release = await acquireLock(`${venvDir}.lock`, log);
  try {
    if (ready()) return python;
    const started = Date.now();
    fs.rmSync(venvDir, { recursive: true, force: true });
    let res = await run(system, ["-m", "venv", venvDir], { timeout: 5 * 60_000 });
    if (res.code !== 0) throw new Error(`"${system} -m venv" failed (exit ${res.code}):\n${res.stderr}${res.stdout}`);
    log(`installing shap==${SHAP_VERSION} scikit-learn==${SKLEARN_VERSION} (first run only)…`);
    const env = { ...process.env, PIP_NO_INPUT: "1", PIP_DISABLE_PIP_VERSION_CHECK: "1" };
    res = await run(python, ["-m", "pip", "install", "-q", `shap==${SHAP_VERSION}`, `scikit-learn==${SKLEARN_VERSION}`], { timeout: 20 * 60_000, env });
    if (res.code !== 0) throw new Error(`pip install shap failed (exit ${res.code}):\n${(res.stderr + res.stdout).split("\n").slice(-40).join("\n")}`);
    const installMs = Date.now() - started;
    fs.writeFileSync(path.join(venvDir, MARKER), `${JSON.stringify({ shap: SHAP_VERSION, sklearn: SKLEARN_VERSION, installMs }, null, 2)}\n`);
    log(`installed in ${(installMs / 1000).toFixed(1)} s`);
    return python;
  } finally {
    release();
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await ensureShapVenv());
}

/**
 * Runs a snippet with MLflow's own Python client (the venv the test server runs from:
 * env `MLTRAIL_MLFLOW_VENV`, else `<project>/.cache/mlflow-venv`) against the shared server,
 * so tests can check what MLflow itself sees. The snippet prints one JSON value as its last
 * line of output; that value is returned.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { mlflowUri } from "./mlflow.js";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The venv's Python interpreter; throws when the venv is missing. */
export function mlflowPython(): string {
  const venv = process.env.MLTRAIL_MLFLOW_VENV ?? path.join(projectRoot, ".cache", "mlflow-venv");
  const bin = process.platform === "win32" ? path.join(venv, "Scripts", "python.exe") : path.join(venv, "bin", "python");
  if (!existsSync(bin)) throw new Error(`MLflow's Python client is not installed at ${bin} (the integration setup creates it)`);
  return bin;
}

/**
 * Runs `code` with `MLFLOW_TRACKING_URI` set to the shared server (or `opts.uri`, with
 * `opts.env` added); returns its last stdout line parsed as JSON.
 */
export function runMlflowPython<T>(code: string, timeoutMs = 180_000, opts: { uri?: string; env?: Record<string, string> } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      mlflowPython(),
      ["-c", code],
      {
        env: { ...process.env, MLFLOW_TRACKING_URI: opts.uri ?? mlflowUri(), PYTHONWARNINGS: "ignore", ...opts.env },
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`python failed: ${error.message}\n${stderr}`));
        const last = stdout.trim().split("\n").pop() ?? "";
        try {
          resolve(JSON.parse(last) as T);
        } catch {
          reject(new Error(`python printed no JSON: ${stdout}\n${stderr}`));
        }
      },
    );
  });
}

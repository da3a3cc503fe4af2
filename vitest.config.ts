/**
 * Three projects:
 * - unit:        pure parts, fast, no I/O beyond temp dirs.
 * - integration: test/integration + test/faults against ONE real MLflow 3.18 server started by
 *                test/setup/mlflow.global.ts (URL via `inject("mlflowUri")`).
 * - system:      test/crash + test/e2e; child processes running the built `dist/` (run `npx tsup` first;
 *                `npm test` does).
 *
 * Without Python the integration project cannot get a server: its suites are left out of the run
 * with one loud message, unless env CI is set, in which case loading this config fails.
 * env MLTRAIL_MLFLOW_URI points the integration project at an already running server instead.
 */
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { defineConfig } from "vitest/config";

const root = path.dirname(fileURLToPath(import.meta.url));
const integrationInclude = ["test/integration/**/*.test.ts", "test/faults/**/*.test.ts"];

async function pythonAvailable(): Promise<boolean> {
  const href = pathToFileURL(path.join(root, "scripts", "mlflow-server.mjs")).href;
  const mod = (await import(href)) as { findPython(): Promise<string | null> };
  return (await mod.findPython()) !== null;
}

const NO_PYTHON_MESSAGE =
  "python3 (>= 3.10) was not found, so no MLflow server can be started: the integration and fault " +
  "suites (test/integration, test/faults) are SKIPPED. Install Python 3 with venv to run them, or set " +
  "MLTRAIL_MLFLOW_URI to a running MLflow 3.18 server.";

function banner(text: string): string {
  const line = "=".repeat(78);
  return `\n${line}\n  ${text.replace(/(.{1,74})(\s|$)/g, "$1\n  ").trimEnd()}\n${line}\n`;
}

export default defineConfig(async () => {
  const mlflowPossible = Boolean(process.env.MLTRAIL_MLFLOW_URI) || (await pythonAvailable());
  if (!mlflowPossible) {
    if (process.env.CI) throw new Error(`CI is set and ${NO_PYTHON_MESSAGE.replace("SKIPPED", "required")}`);
    const g = globalThis as { __mltrailNoPythonNoticeShown?: boolean };
    // scripts/test.mjs already printed it (and set this env var) when it runs vitest.
    if (!g.__mltrailNoPythonNoticeShown && !process.env.MLTRAIL_NO_PYTHON_NOTICE_SHOWN) {
      g.__mltrailNoPythonNoticeShown = true;
      process.stderr.write(banner(`SKIPPED: ${NO_PYTHON_MESSAGE}`));
    }
  }

  return {
    test: {
      // Keeps `vitest run --project integration` green when its suites were left out for lack of Python.
      passWithNoTests: !mlflowPossible,
      projects: [
        {
          test: {
            name: "unit",
            include: ["test/unit/**/*.test.ts"],
            // The writer thread starts from its TypeScript source (no built script here).
            setupFiles: ["test/setup/writer-thread.ts"],
            pool: "forks",
            maxWorkers: 2,
            // Generous: a loaded 2-core machine can take seconds for what takes milliseconds idle.
            // Tests wait for conditions; this only bounds a test that hangs.
            testTimeout: 60_000,
          },
        },
        {
          test: {
            name: "integration",
            include: mlflowPossible ? integrationInclude : [],
            globalSetup: mlflowPossible ? ["test/setup/mlflow.global.ts"] : [],
            pool: "forks",
            maxWorkers: 2,
            testTimeout: 120_000,
            hookTimeout: 180_000,
          },
        },
        {
          test: {
            name: "system",
            include: ["test/crash/**/*.test.ts", "test/e2e/**/*.test.ts"],
            pool: "forks",
            maxWorkers: 2,
            testTimeout: 180_000,
            hookTimeout: 180_000,
          },
        },
      ],
    },
  };
});

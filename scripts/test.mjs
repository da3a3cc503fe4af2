#!/usr/bin/env node
// @ts-check
/**
 * `npm test`: the one test command.
 *   1. npx tsup                            (build; the system tests run dist/)
 *   2. npx tsc --noEmit -p tsconfig.json   (type check; needs no dist/: tests import "mltrail",
 *                                           which tsconfig maps to src/ and Node resolves to dist/)
 *   3. npx depcruise src                   (the layering rules of .dependency-cruiser.cjs)
 *   4. npx biome ci .                      (lint rules and formatting, biome.json)
 *   5. npx vitest run [extra args]         (all projects; extra CLI args are passed through)
 *   6. the fault suites and the replication test again on MLflow with 4 workers on PostgreSQL
 *      (env MLTRAIL_MLFLOW_BACKEND=postgres), when PostgreSQL is installed and no extra args
 *      were given; with env CI set a missing PostgreSQL fails the run.
 * Exits non-zero on the first failure; the closing line counts the tests of steps 5 and 6.
 *
 * The integration project needs Python to run a real MLflow server (scripts/mlflow-server.mjs).
 * Without python3: with env CI set the run fails; otherwise the integration project is excluded
 * (`--project !integration`) and a loud message says so. env MLTRAIL_MLFLOW_URI (an already
 * running server) makes Python unnecessary.
 *
 * Usage: npm test [-- <vitest args>]     e.g. npm test -- --project unit
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { findPython } from "./mlflow-server.mjs";
import { findPostgresBin } from "./postgres-server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const npx = process.platform === "win32" ? "npx.cmd" : "npx";

/**
 * Runs a command with inherited stdio.
 * @param {string} label
 * @param {string[]} args arguments for npx
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {Promise<number>} exit code (1 when killed by a signal)
 */
function step(label, args, env = process.env) {
  process.stdout.write(`\n▶ ${label}: npx ${args.join(" ")}\n`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(npx, args, { cwd: root, stdio: "inherit", env });
    child.on("error", (err) => {
      process.stderr.write(`could not run npx: ${err.message}\n`);
      resolve(1);
    });
    child.on("exit", (code, signal) => {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      const rc = code ?? 1;
      process.stdout.write(`${rc === 0 ? "✔" : "✖"} ${label} ${rc === 0 ? "passed" : `failed (${signal ?? `exit ${code}`})`} in ${secs} s\n`);
      resolve(rc === 0 ? 0 : rc || 1);
    });
  });
}

/**
 * One vitest run with a JSON report whose counts are added to `counts` (`complete` turns false
 * when vitest wrote no report: its exit code then speaks).
 * @param {string} label
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 * @param {{ passed: number, failed: number, skipped: number, complete: boolean }} counts
 * @returns {Promise<number>}
 */
async function vitestStep(label, args, env, counts) {
  const report = path.join(os.tmpdir(), `mltrail-vitest-${process.pid}-${Date.now()}.json`);
  const rc = await step(label, [...args, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`], env);
  try {
    const r = JSON.parse(fs.readFileSync(report, "utf8"));
    counts.passed += r.numPassedTests;
    counts.failed += r.numFailedTests;
    counts.skipped += r.numPendingTests + r.numTodoTests;
    fs.rmSync(report, { force: true });
  } catch {
    counts.complete = false;
  }
  return rc;
}

/** @param {string} text */
function loud(text) {
  const line = "!".repeat(78);
  process.stderr.write(`\n${line}\n${text}\n${line}\n\n`);
}

async function main() {
  const extra = process.argv.slice(2);
  const haveServer = Boolean(process.env.MLTRAIL_MLFLOW_URI) || (await findPython()) !== null;
  /** @type {NodeJS.ProcessEnv} */
  const vitestEnv = { ...process.env };
  const vitestArgs = ["vitest", "run", ...extra];

  if (!haveServer) {
    const why =
      "python3 (>= 3.10) was not found, so no MLflow server can be started for the integration and\n" + "fault suites (test/integration, test/faults).";
    if (process.env.CI) {
      loud(`FAILING: CI is set and ${why}\nInstall Python 3 with venv (the MLflow 3.18.0 venv is built by scripts/mlflow-server.mjs).`);
      return 1;
    }
    loud(`SKIPPING the integration project: ${why}\nInstall Python 3 with venv to run them (CI=1 makes this an error).`);
    vitestArgs.push("--project", "!integration");
    vitestEnv.MLTRAIL_NO_PYTHON_NOTICE_SHOWN = "1"; // vitest.config.ts need not repeat the message
  }

  let rc = await step("build", ["tsup"]);
  if (rc !== 0) return rc;
  rc = await step("typecheck", ["tsc", "--noEmit", "-p", "tsconfig.json"]);
  if (rc !== 0) return rc;
  rc = await step("typecheck of the dashboard's browser code", ["tsc", "--noEmit", "-p", "src/ui/client/tsconfig.json"]);
  if (rc !== 0) return rc;
  rc = await step("layering", ["depcruise", "src", "--config", ".dependency-cruiser.cjs", "--output-type", "err-long"]);
  if (rc !== 0) return rc;
  rc = await step("lint and format", ["biome", "ci", "."]);
  if (rc !== 0) return rc;
  const counts = { passed: 0, failed: 0, skipped: 0, complete: true };
  rc = await vitestStep("tests", vitestArgs, vitestEnv, counts);
  const postgres = extra.length === 0 && haveServer && findPostgresBin() !== null;
  if (extra.length === 0 && haveServer && !postgres) {
    if (process.env.CI) {
      loud(
        "FAILING: CI is set and PostgreSQL is not installed (Debian: apt-get install postgresql),\nso the suites cannot run on MLflow with 4 workers on PostgreSQL.",
      );
      rc = rc || 1;
    } else loud("SKIPPING the PostgreSQL re-run of the fault and replication suites: PostgreSQL is not installed.");
  }
  if (rc === 0 && postgres) {
    const pgArgs = ["vitest", "run", "--project", "integration", "test/faults", "test/integration/replication.test.ts"];
    rc = await vitestStep(
      "fault and replication suites on MLflow with 4 workers on PostgreSQL",
      pgArgs,
      { ...vitestEnv, MLTRAIL_MLFLOW_BACKEND: "postgres" },
      counts,
    );
  }
  // One plain closing line with the counts, for anything that reads the log.
  if (counts.complete) process.stdout.write(`tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  if (!haveServer) loud("Reminder: the integration and fault suites were SKIPPED (no python3).");
  return rc;
}

main().then(
  (rc) => process.exit(rc),
  (err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

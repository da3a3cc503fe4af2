// Runs the benchmarks, each in its own `node --expose-gc` process.
// Usage: node bench/run.mjs [--only <name>] [--quick]   (`npm run bench` builds first)
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { BENCH_DIR, loadMltrail, parseArgs } from "./common.mjs";

const BENCHMARKS = [
  "local-log",
  "training-loop",
  "replication",
  "many-trainers",
  "artifacts",
  "report",
  "tfjs",
  "ab",
  "export-targets",
  "explain",
  "system-metrics",
];

const args = parseArgs();
if (args.only !== undefined && !BENCHMARKS.includes(args.only)) {
  console.error(`unknown benchmark "${args.only}"; known: ${BENCHMARKS.join(", ")}`);
  process.exit(2);
}
await loadMltrail(); // exits with a hint when dist/ is missing

const selected = args.only === undefined ? BENCHMARKS : [args.only];
let failed = 0;
for (const name of selected) {
  console.log(`\n=== ${name} ===`);
  const child = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", path.join(BENCH_DIR, `${name}.mjs`), ...(args.quick ? ["--quick"] : [])], {
    stdio: "inherit",
  });
  if (child.status !== 0) {
    failed++;
    console.error(`${name} exited with ${child.status ?? child.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);

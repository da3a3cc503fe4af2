// A/B assignment benchmark (issue 8). Run: `npm run build && node bench/ab.mjs [--quick]`.
//  1. assign() calls/s on one AbTest: pure `variantOf` (hash + range lookup), `assign` of units
//     already exposed (LRU hit, no logging), and `assign` of new units (logs one exposure each).
//  2. The overhead assignment adds to a request of examples/ab-inference.ts: requests/s of
//     GET /predict with assignment (AB_ASSIGN=1) and without (AB_ASSIGN=0), bounded keep-alive
//     loopback load, service started in a child process on port 0.
// Prints figures; asserts nothing on timings.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { BENCH_DIR, loadMltrail, parseArgs } from "./common.mjs";

const args = parseArgs();
const sdk = await loadMltrail();
if (typeof sdk.createAbTest !== "function") {
  console.error("dist/index.js does not export createAbTest: export src/ab from src/index.ts and rebuild.");
  process.exit(2);
}
const root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-bench-ab-"));
const tracker = new sdk.Tracker({ trackingUri: root, captureContext: false, handleExit: false, logLevel: "error" });
for (const digest of ["sha256:aaa", "sha256:bbb"]) {
  const run = await tracker.startRun();
  await run.end();
  await tracker.registerModel("toy", { runId: run.id, contentDigest: digest, rationale: "bench" });
}
const test = await sdk.createAbTest(tracker, {
  key: "bench-ab",
  variants: [
    { model: "toy", ref: "1.0.0" },
    { model: "toy", ref: "1.1.0" },
  ],
});

function rate(label, calls, fn) {
  fn(Math.min(calls, 50_000)); // warm-up
  const t0 = process.hrtime.bigint();
  fn(calls);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const perSec = calls / s;
  console.log(`${label.padEnd(44)} ${(perSec / 1e6).toFixed(2).padStart(6)} M calls/s  (${((s / calls) * 1e9).toFixed(0)} ns/call)`);
  return perSec;
}

const N = args.quick ? 1_000_000 : 5_000_000;
const ids = Array.from({ length: 100_000 }, (_, i) => `user-${i}-${(i * 2654435761) % 1000003}`);
let sink = 0;
const figures = {};
figures.variantOf = rate("variantOf (hash v2 + ranges, no logging)", N, (n) => {
  for (let i = 0; i < n; i++) sink += test.variantOf(ids[i % ids.length]);
});
// A working set of 20,000 active users (within the default exposure cache of 100,000).
const active = ids.slice(0, 20_000);
for (const id of active) test.assign(id); // expose every id once
figures.assignWarm = rate("assign, unit already exposed (cache hit)", N, (n) => {
  for (let i = 0; i < n; i++) sink += test.assign(active[i % active.length]).variantIndex;
});
let fresh = 0;
figures.assignNew = rate("assign, new unit (logs one exposure)", args.quick ? 100_000 : 300_000, (n) => {
  for (let i = 0; i < n; i++) sink += test.assign(`new-${fresh++}`).variantIndex;
});
figures.hashV1 = rate("hash v1 (pure)", N, (n) => {
  for (let i = 0; i < n; i++) sink += sdk.hash("bench-ab", ids[i % ids.length], 1);
});
await test.flush();
await tracker.close();

async function serviceRps(assign) {
  const child = spawn(process.execPath, ["--import", "tsx", "examples/ab-inference.ts"], {
    cwd: path.join(BENCH_DIR, ".."),
    env: { ...process.env, MLFLOW_TRACKING_URI: root, PORT: "0", AB_ASSIGN: assign ? "1" : "0", AB_KEY: "bench-service", MLTRAIL_LOG_LEVEL: "error" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`service exited ${code}`)));
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const get = (p) =>
    new Promise((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path: p, agent }, (res) => {
          res.resume();
          res.on("end", resolve);
        })
        .on("error", reject);
    });
  const total = args.quick ? 5_000 : 30_000;
  const run = async (count) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = next++; i < count; i = next++) await get(`/predict?user=u${i % 5000}&x=${i % 7}`);
      }),
    );
  };
  await run(2_000); // warm-up
  const t0 = performance.now();
  await run(total);
  const s = (performance.now() - t0) / 1000;
  agent.destroy();
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
  return total / s;
}

// Alternate the two services twice and keep each one's best, to damp order and warm-up effects.
let without = 0;
let withAssign = 0;
for (let round = 0; round < 2; round++) {
  without = Math.max(without, await serviceRps(false));
  withAssign = Math.max(withAssign, await serviceRps(true));
}
const overheadUs = (1 / withAssign - 1 / without) * 1e6;
console.log(`service GET /predict without assignment      ${Math.round(without)} req/s`);
console.log(`service GET /predict with assignment         ${Math.round(withAssign)} req/s`);
console.log(
  `overhead per request                         ${overheadUs.toFixed(1)} µs (${((100 * (without - withAssign)) / without).toFixed(1)} % of throughput; noise of ±5 % is usual)`,
);
fs.rmSync(root, { recursive: true, force: true });
if (sink === 0.5) console.log(sink); // keep the loops from being optimized away

/**
 * mltrail ui: the runs page of N runs (render time after the data arrived, in Chromium), the
 * server's RSS with N runs loaded, and a live point's latency from logMetric to the chart.
 * Usage: node bench/ui.mjs [--runs 10000]   (needs `npx tsup` and Debian's chromium)
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium } from "playwright-core";
import { BENCH_DIR, loadMltrail, parseArgs } from "./common.mjs";

const args = parseArgs();
const N = Number(args.runs ?? 10000);
const { Tracker } = await loadMltrail();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-bench-ui-"));
const tracker = new Tracker({ trackingUri: dir, experiment: "bench", captureContext: false, handleExit: false });
for (let i = 0; i < N; i++) {
  const run = await tracker.startRun({ name: `run-${i}`, params: { lr: 10 ** -(i % 5), seed: i } });
  run.logMetrics({ loss: 1 / (i + 1), acc: (i % 100) / 100 });
  await run.end();
}
const live = await tracker.startRun({ name: "live" });
live.logMetric("loss", 1, { step: 0 });
await live.flush();

const cli = path.join(BENCH_DIR, "..", "dist", "cli", "main.js");
const server = spawn(process.execPath, [cli, "ui", "--dir", dir, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise((resolve) =>
  server.stdout.on("data", (d) => /at (http:\/\/\S+)/.exec(String(d))?.[1] && resolve(/at (http:\/\/\S+)/.exec(String(d))[1])),
);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
await page.goto(`${url}#/runs?experiment=bench`);
await page.waitForSelector(`html[data-runs-rendered='${N + 1}']`, { timeout: 600_000 });
const runs = await page.evaluate("window.__mltrailUi.runs");
const rssKb = Number(fs.readFileSync(`/proc/${server.pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]);

await page.goto(`${url}#/run/${live.id}`);
await page.waitForSelector(".chart[data-metric=loss][data-points='1']");
const latencies = [];
for (let s = 1; s <= 5; s++) {
  const t0 = Date.now();
  live.logMetric("loss", 1 / (s + 1), { step: s });
  await page.waitForSelector(`.chart[data-metric=loss][data-points='${s + 1}']`, { timeout: 30_000 });
  latencies.push(Date.now() - t0);
}
await live.end();
await browser.close();
server.kill("SIGTERM");
await tracker.close();
fs.rmSync(dir, { recursive: true, force: true });
const result = {
  runs: N,
  renderMs: Math.round(runs.renderMs),
  domRows: runs.domRows,
  serverRssMb: Math.round(rssKb / 1024),
  liveLatencyMs: latencies,
  load: os.loadavg()[0].toFixed(1),
};
console.log(JSON.stringify(result));

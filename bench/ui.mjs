/**
 * mltrail ui: the runs page of N runs (render time after the data arrived, in Chromium), the
 * server's RSS with N runs loaded, a live point's latency from logMetric to the chart, and a
 * 1,000,000-point curve drawn by the dashboard's chart (LTTB at draw) against two baselines
 * drawn in the same page: the chart with an already-downsampled 2,000-point curve, and uPlot
 * given the raw points.
 * Usage: node bench/ui.mjs [--runs 10000] [--points 1000000]   (needs `npx tsup` and Debian's chromium)
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium } from "playwright-core";
import { BENCH_DIR, loadMltrail, median, parseArgs } from "./common.mjs";

const args = parseArgs();
const N = Number(args.runs ?? 10000);
const POINTS = Number(args.points ?? 1_000_000);
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

// A 1M-point curve, generated in the page (so no 16 MB crosses the protocol), drawn three
// times each way; a draw counts until uPlot has painted (its commit runs in a microtask).
const cdp = await page.context().newCDPSession(page);
const heapBefore = (await cdp.send("Runtime.getHeapUsage")).usedSize;
const chart = await page.evaluate(async (n) => {
  const { MetricChart } = window.__mltrailUi;
  const settings = { x: "step", log: false, smooth: 0 };
  const xs = Array.from({ length: n }, (_, i) => i);
  const ys = xs.map((i) => Math.exp(-i / (n / 5)) + 0.05 * Math.sin(i / 50) + 0.02 * Math.sin(i * 12.9898));
  const few = Math.floor(n / 2000);
  const xs2k = xs.filter((_, i) => i % few === 0);
  const ys2k = ys.filter((_, i) => i % few === 0);
  const painted = async () => {
    await Promise.resolve();
    await Promise.resolve();
  };
  const box = () => {
    const el = document.createElement("div");
    el.style.width = "1200px";
    document.body.append(el);
    return el;
  };
  const time = async (draw) => {
    const t0 = performance.now();
    const done = draw();
    await painted();
    const ms = performance.now() - t0;
    return { ms, done };
  };
  const ours = [];
  const downsampled = [];
  const raw = [];
  let keep;
  for (let r = 0; r < 3; r++) {
    const a = await time(() => {
      const c = new MetricChart(box(), "bench", settings);
      c.setCurve("r", "run", "#1f77b4", xs, ys);
      c.draw();
      return c;
    });
    ours.push(a.ms);
    keep?.destroy();
    keep = a.done;
    const b = await time(() => {
      const c = new MetricChart(box(), "bench", settings);
      c.setCurve("r", "run", "#1f77b4", xs2k, ys2k);
      c.draw();
      return c;
    });
    downsampled.push(b.ms);
    b.done.destroy();
    const c = await time(() => new uPlot({ width: 1200, height: 220, series: [{}, { stroke: "#1f77b4" }] }, [xs, ys], box()));
    raw.push(c.ms);
    c.done.destroy();
  }
  return { ours, downsampled, raw, held: keep.points };
}, POINTS);
const heapAfter = (await cdp.send("Runtime.getHeapUsage")).usedSize;
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
  chartPoints: chart.held,
  chartDrawMs: Math.round(median(chart.ours)),
  baselineDownsampledDrawMs: Math.round(median(chart.downsampled)),
  baselineRawUplotDrawMs: Math.round(median(chart.raw)),
  chartVsDownsampled: +(median(chart.ours) / median(chart.downsampled)).toFixed(2),
  chartVsRawUplot: +(median(chart.ours) / median(chart.raw)).toFixed(2),
  pageHeapMb: Math.round(heapAfter / 1024 / 1024),
  pageHeapGrowthMb: Math.round((heapAfter - heapBefore) / 1024 / 1024),
  load: os.loadavg()[0].toFixed(1),
};
console.log(JSON.stringify(result));

#!/usr/bin/env node
/**
 * Report benchmark: 1M metric points in total (5 runs × 2 metrics × 100k steps) in a temp
 * local store. Measures
 *   - generation: writeReport end to end (store reads + LTTB + HTML), and its parts;
 *   - browser render: load of the file in headless Chromium until every chart is drawn.
 * Goal: < 3 s each. Run: `npx tsx bench/report.mjs` (imports the sources).
 * env CHROMIUM_PATH (default /usr/bin/chromium); POINTS_PER_SERIES (default 100000).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { Tracker } from "../src/index.ts";
import { collectReportData, renderReport, writeReport } from "../src/report/index.ts";

const RUNS = 5;
const METRICS = 2;
const STEPS = Number(process.env.POINTS_PER_SERIES ?? 100_000);
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-bench-report-"));
const tracker = new Tracker({ trackingUri: dir, experiment: "bench", captureContext: false, handleExit: false });
const ids = [];
for (let r = 0; r < RUNS; r++) {
  const run = await tracker.startRun({ name: `run-${r}`, params: { seed: r } });
  for (let s = 0; s < STEPS; s++) {
    run.logMetrics({ loss: Math.exp((-4 * s) / STEPS) / (r + 1) + Math.sin(s / 300) * 0.01, acc: 1 - Math.exp((-5 * s) / STEPS) / (r + 2) }, { step: s });
    if (s % 20_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await run.end();
  ids.push(run.id);
}
const total = RUNS * METRICS * STEPS;

const file = path.join(dir, "report.html");
let t = performance.now();
const { bytes } = await writeReport(tracker, { runs: ids, output: file });
const generateMs = performance.now() - t;
t = performance.now();
const data = await collectReportData(tracker, { runs: ids });
const collectMs = performance.now() - t;
t = performance.now();
renderReport(data);
const renderHtmlMs = performance.now() - t;
await tracker.close();

let browser = `skipped (no chromium at ${executablePath})`;
if (fs.existsSync(executablePath)) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-bench-chromium-"));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const samples = [];
  for (let i = 0; i < 3; i++) {
    const page = await ctx.newPage();
    await page.setViewportSize({ width: 1366, height: 900 });
    const t0 = performance.now();
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector("html[data-rendered=true]");
    const wall = performance.now() - t0;
    const inPage = await page.evaluate(() => globalThis.__mltrailReport.renderMs);
    samples.push({ wall, inPage });
    await page.close();
  }
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
  const best = samples.reduce((a, b) => (a.wall < b.wall ? a : b));
  browser = `${best.wall.toFixed(0)} ms wall (goto → all charts drawn), ${best.inPage.toFixed(0)} ms in page (navigation start → drawn); best of 3`;
}
fs.rmSync(dir, { recursive: true, force: true });

const line = (k, v) => process.stdout.write(`${k.padEnd(34)} ${v}\n`);
line("points", `${total.toLocaleString("en-US")} (${RUNS} runs × ${METRICS} metrics × ${STEPS.toLocaleString("en-US")} steps)`);
line("report file", `${(bytes / 1024).toFixed(0)} KiB`);
line("generation (writeReport)", `${generateMs.toFixed(0)} ms  (goal < 3000)`);
line("  of which reading the store", `${collectMs.toFixed(0)} ms (collectReportData, incl. LTTB)`);
line("  of which HTML rendering", `${renderHtmlMs.toFixed(0)} ms (renderReport)`);
line("browser render", browser);

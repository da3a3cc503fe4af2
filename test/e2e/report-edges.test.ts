/**
 * The report's rough edges, checked in headless Chromium: a single-point metric drawn as a
 * marker on a centred axis (not an empty 0–100 chart), no direction arrow or ★ for a metric
 * whose direction nobody gave, a param unset only in the sweep's parent not flagged as
 * differing, children grouped under their parent, tick labels that fit at 500k steps, a hover
 * legend for one series, and tables that neither clip nor overflow the page at 390 and 1440 px.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";
import { writeReport } from "../../src/report/index.js";
import { CHROMIUM_ARGS, executablePath, haveChromium } from "../support/chromium.js";

if (!haveChromium && process.env["CI"]) throw new Error(`CI is set and Chromium was not found at ${executablePath}`);

interface Axis {
  readonly metric: string;
  readonly xMin: number;
  readonly xMax: number;
  readonly width: number;
  readonly ticks: string[];
}

let browser: Browser;
let dir: string;
let file: string;

async function open(width: number): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
  page.on("pageerror", (e) => void errors.push(e.message));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector("html[data-rendered=true]", { timeout: 60_000 });
  return { page, errors };
}

describe.skipIf(!haveChromium)("report rough edges", () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-report-edges-"));
    const tracker = new Tracker({ trackingUri: path.join(dir, "store"), experiment: "sweep", captureContext: false, handleExit: false });
    const parent = await tracker.startRun({ name: "sweep-parent", params: { grid: "lr" } });
    for (let i = 0; i < 6; i++) {
      const run = await tracker.startRun({ name: `child-${i}-with-a-rather-long-name`, params: { lr: 10 ** -(i + 1), epochs: 30 }, parentRunId: parent.id });
      run.logMetric("final_score", 0.123456789 + i / 1000);
      for (let s = 0; s < 50; s++) run.logMetrics({ loss: 1 / (s + 1 + i), lr_schedule: 0.1 * 0.9 ** s }, { step: s });
      await run.end();
    }
    await parent.end();
    const long = await tracker.startRun({ name: "long", parentRunId: parent.id });
    for (let s = 0; s <= 500_000; s += 5) long.logMetric("steps_metric", Math.sin(s / 20_000), { step: s });
    await long.end();
    file = path.join(dir, "report.html");
    await writeReport(tracker, { experiment: "sweep", output: file });
    await tracker.close();
    browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("draws a single-point metric as a marker, centred, and fits tick labels at 500k steps", async () => {
    const { page, errors } = await open(1440);
    const axes = (await page.evaluate("window.__mltrailReport.axes")) as Axis[];
    const single = axes.find((a) => a.metric === "final_score") as Axis;
    expect(single.xMin).toBeLessThan(0);
    expect(single.xMax).toBeGreaterThan(0);
    expect(single.xMax - single.xMin).toBeLessThan(10);
    const long = axes.find((a) => a.metric === "steps_metric") as Axis;
    expect(long.ticks.length).toBeGreaterThan(2);
    // About 7 px per character at 12 px: the labels with a gap each fit in the axis width.
    const needed = long.ticks.reduce((n, t) => n + t.length * 7 + 10, 0);
    expect(needed).toBeLessThan(long.width);
    expect(long.ticks).toContain("500k");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a hover legend value for a chart with one series", async () => {
    const { page } = await open(1440);
    const chart = page.locator(".card", { hasText: "steps_metric" }).locator(".u-over");
    await chart.scrollIntoViewIfNeeded();
    const box = await chart.boundingBox();
    if (box === null) throw new Error("no chart");
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
    const value = page.locator(".card", { hasText: "steps_metric" }).locator(".u-legend .u-series").nth(1).locator(".u-value");
    await expect.poll(async () => (await value.textContent())?.trim()).toMatch(/^-?\d/);
    await page.close();
  });

  it("marks direction and best only where known, flags real differences only, groups children", async () => {
    const { page } = await open(1440);
    const heads = await page.$$eval("table th[scope=row]", (ths) => ths.map((t) => t.textContent ?? ""));
    expect(heads).toContain("loss ↓");
    expect(heads).toContain("lr_schedule");
    expect(heads.some((h) => h.startsWith("lr_schedule ") && /[↑↓]/.test(h))).toBe(false);
    const lrScheduleBest = await page.$$eval("tr", (rows) =>
      rows.filter((r) => r.querySelector("th")?.textContent === "lr_schedule").map((r) => r.querySelectorAll("td.best").length),
    );
    expect(lrScheduleBest).toEqual([0]);
    const differs = await page.$$eval("tr.differs th", (ths) => ths.map((t) => t.textContent));
    expect(differs).toContain("lr");
    expect(differs).not.toContain("epochs");
    expect(differs).not.toContain("grid");
    const runNames = await page.$$eval("h2 + .scroll table thead th", (ths) => ths.map((t) => t.textContent?.trim() ?? ""));
    const parentAt = runNames.indexOf("sweep-parent");
    expect(parentAt).toBeGreaterThan(0);
    expect(runNames[parentAt + 1]?.startsWith("↳ ")).toBe(true);
    await page.close();
  });

  for (const width of [390, 1440]) {
    it(`keeps tables readable at ${width} px: nothing clipped, the page does not overflow`, async () => {
      const { page, errors } = await open(width);
      expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(width);
      const clipped = await page.$$eval("td, th", (cells) => cells.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent));
      expect(clipped).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});

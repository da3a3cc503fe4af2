/**
 * The HTML report opened in headless Chromium (playwright-core, Debian's /usr/bin/chromium or
 * env CHROMIUM_PATH): no console errors, no network requests, every chart drawn with non-blank
 * pixels, a screenshot kept in test-results/. Also a 3 runs × 5 metrics × 200k steps report.
 *
 * Without Chromium the suite is skipped with a loud message, unless env CI is set: then it fails.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";
import { writeReport } from "../../src/report/index.js";

const root = path.resolve(import.meta.dirname, "../..");
const artifacts = path.join(root, "test-results");
const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
const haveChromium = fs.existsSync(executablePath);
const MISSING = `Chromium was not found at ${executablePath} (set CHROMIUM_PATH, or apt-get install chromium): the report browser tests`;

if (!haveChromium && !process.env["CI"]) process.stderr.write(`\n${"!".repeat(78)}\nSKIPPED: ${MISSING} are skipped.\n${"!".repeat(78)}\n`);

// With CI set a missing browser fails the file instead of skipping it.
if (!haveChromium && process.env["CI"]) throw new Error(`CI is set and ${MISSING} cannot run.`);

interface Rendered {
  readonly errors: string[];
  readonly requests: string[];
  readonly charts: { metric: string; painted: number; canvases: number }[];
  readonly report: { charts: number; failed: number; points: number; renderMs: number | null };
}

let context: BrowserContext;
let profile: string;
let store: string;

async function open(file: string, screenshot?: string): Promise<Rendered> {
  const page: Page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
  page.on("pageerror", (e) => void errors.push(e.message));
  page.on("request", (r) => void (r.url().startsWith("file:") || requests.push(r.url())));
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector("html[data-rendered=true]", { timeout: 60_000 });
  const charts = await page.$$eval(".chart[data-chart]", (els) =>
    els.map((el) => {
      const canvases = [...el.querySelectorAll("canvas")];
      let painted = 0;
      for (const c of canvases) {
        const px = c.getContext("2d")?.getImageData(0, 0, c.width, c.height).data;
        if (px) for (let i = 3; i < px.length; i += 4) if ((px[i] ?? 0) > 0) painted++;
      }
      return { metric: el.getAttribute("aria-label") ?? "", painted, canvases: canvases.length };
    }),
  );
  const report = await page.evaluate(() => (globalThis as unknown as { __mltrailReport: Rendered["report"] }).__mltrailReport);
  if (screenshot !== undefined) {
    fs.mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, screenshot), fullPage: true });
  }
  await page.close();
  return { errors, requests, charts, report };
}

describe.skipIf(!haveChromium)("HTML report in headless Chromium", () => {
  beforeAll(async () => {
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-chromium-"));
    store = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-report-"));
    context = await chromium.launchPersistentContext(profile, {
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
  });
  afterAll(async () => {
    await context?.close();
    fs.rmSync(profile, { recursive: true, force: true });
    fs.rmSync(store, { recursive: true, force: true });
  });

  it("renders a model report: charts painted, no console errors, no network, user data escaped", async () => {
    const tracker = new Tracker({ trackingUri: store, experiment: "churn", captureContext: false, handleExit: false });
    const ids: string[] = [];
    for (const [i, lr] of [0.1, 0.03, 0.01].entries()) {
      const name = i === 2 ? `<img src=x onerror="console.error('xss')">` : `lr=${lr}`;
      const run = await tracker.startRun({
        name,
        params: { lr, epochs: 30, note: "</script><script>console.error(1)</script>" },
        tags: { "mlflow.source.git.commit": `${i}bc1234def567890` },
      });
      for (let s = 0; s <= 3000; s++) {
        const decay = Math.exp((-s * lr) / 40);
        run.logMetrics(
          { loss: decay + 0.05 * Math.sin(s / 7 + i), acc: 0.55 + 0.4 * (1 - decay), "val/f1": 0.5 + 0.3 * (1 - Math.exp(-s / (600 * (i + 1)))) },
          { step: s },
        );
      }
      await run.end();
      ids.push(run.id);
    }
    await tracker.registerModel("churn-clf", { runId: ids[0] as string, rationale: "first <b>release</b>", aliases: ["champion"] });
    await tracker.registerModel("churn-clf", {
      runId: ids[2] as string,
      bump: "minor",
      rationale: "lower learning rate",
      changes: [{ description: "new weights", bump: "minor" }],
    });
    const file = path.join(store, "model.html");
    const { data } = await writeReport(tracker, { model: "churn-clf", output: file });
    await tracker.close();
    const html = fs.readFileSync(file, "utf8");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("first &lt;b&gt;release&lt;/b&gt;");
    expect(html).toContain("@champion");
    expect(data.charts.map((c) => c.metric)).toEqual(["acc", "loss", "val/f1"]);

    const r = await open(file, "report-model.png");
    expect(r.errors).toEqual([]);
    expect(r.requests).toEqual([]);
    expect(r.report).toMatchObject({ charts: 3, failed: 0 });
    expect(r.charts).toHaveLength(3);
    for (const c of r.charts) expect(c.painted, c.metric).toBeGreaterThan(2000);
  });

  it("renders a report over 3 runs × 5 metrics × 200k steps (downsampled with LTTB)", async () => {
    const tracker = new Tracker({ trackingUri: store, experiment: "big", captureContext: false, handleExit: false });
    const ids: string[] = [];
    for (let r = 0; r < 3; r++) {
      const run = await tracker.startRun({ name: `big-${r}`, params: { seed: r } });
      for (let s = 0; s < 200_000; s++) {
        const t = s / 200_000;
        run.logMetrics(
          {
            loss: Math.exp(-4 * t) / (r + 1),
            acc: 1 - Math.exp(-5 * t) / (r + 2),
            lr: 1e-3 * (1 - t),
            grad_norm: 1 + Math.sin(s / 500) * 0.5,
            throughput: 1000 + r * 50 + ((s * 7919) % 97),
          },
          { step: s },
        );
        if (s % 20_000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await run.end();
      ids.push(run.id);
    }
    const file = path.join(store, "big.html");
    const { data, bytes } = await writeReport(tracker, { runs: ids, output: file, title: "3 × 5 × 200k" });
    await tracker.close();
    expect(data.charts).toHaveLength(5);
    for (const c of data.charts) for (const s of c.series) expect([s.points, s.x.length]).toEqual([200_000, 2000]);
    expect(bytes).toBeLessThan(3_000_000);

    const r = await open(file, "report-large.png");
    expect(r.errors).toEqual([]);
    expect(r.report).toMatchObject({ charts: 5, failed: 0, points: 3 * 5 * 2000 });
    for (const c of r.charts) expect(c.painted, c.metric).toBeGreaterThan(2000);
  }, 300_000);
});

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
import { type PredictFn, kernelShap, logExplanation } from "../../src/explain/index.js";
import { fakeDigest } from "../support/registry.js";
import { CHROMIUM_ARGS, executablePath, haveChromium } from "../support/chromium.js";

const root = path.resolve(import.meta.dirname, "../..");
const artifacts = path.join(root, "test-results");
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
      args: [...CHROMIUM_ARGS],
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

  it("draws each release's feature importances side by side and highlights the leaked feature", async () => {
    const tracker = new Tracker({ trackingUri: store, experiment: "explained", captureContext: false, handleExit: false });
    const features = ["tenure", "spend", "tickets", "region", "account_closed"];
    const rows = Array.from({ length: 24 }, (_, i) => features.map((_, j) => Math.sin(i * 5.1 + j * 2.3)));
    const models: [string, PredictFn][] = [
      ["honest", (b) => b.map(([t = 0, s = 0, k = 0, r = 0]) => k - t - 0.5 * s + 0.05 * r)],
      ["retrained", (b) => b.map(([t = 0, s = 0, k = 0, r = 0]) => 1.05 * k - 0.95 * t - 0.5 * s + 0.05 * r)],
      ["leaky", (b) => b.map(([t = 0, s = 0, k = 0, r = 0, leak = 0]) => 0.2 * k - 0.2 * t - 0.1 * s + 0.02 * r + 3 * leak)],
    ];
    for (const [i, [label, f]] of models.entries()) {
      const shap = await kernelShap(f, rows.slice(0, 6), { background: rows.slice(12), featureNames: features, seed: 1 });
      const runId = await tracker.withRun({ name: label }, async (run) => {
        await logExplanation(run, shap, { name: "shap" });
        return run.id;
      });
      await tracker.registerModel("explained", { runId, contentDigest: fakeDigest(label), ...(i === 0 ? {} : { bump: "minor" as const }) });
    }
    const file = path.join(store, "explained.html");
    const { data } = await writeReport(tracker, { model: "explained", output: file });
    await tracker.close();
    expect(data.model?.explanations?.versions.map((v) => v.version)).toEqual(["1.0.0", "1.1.0", "1.2.0"]);
    expect(data.model?.explanations?.steps.map((s) => Object.keys(s.flagged))).toEqual([[], expect.arrayContaining(["account_closed"])]);

    const r = await open(file, "report-explanations.png");
    expect(r.errors).toEqual([]);
    expect(r.requests).toEqual([]);
    const page = await context.newPage();
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector("html[data-rendered=true]", { timeout: 60_000 });
    const table = await page.$$eval("table.explain tbody tr", (trs) => {
      type Box = { getBoundingClientRect(): { width: number; top: number } };
      const style = (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle;
      return trs.map((tr) => ({
        feature: tr.getAttribute("data-feature"),
        flagged: tr.classList.contains("flagged"),
        background: style(tr.querySelector("th")).backgroundColor,
        bars: [...tr.querySelectorAll("td.xcell")].map((td) => {
          const outer = (td.querySelector(".xbar") as unknown as Box).getBoundingClientRect();
          const inner = (td.querySelector(".xbar > span") as unknown as Box).getBoundingClientRect();
          return { version: td.getAttribute("data-version"), share: Number(td.getAttribute("data-share")), drawn: inner.width / outer.width, top: inner.top };
        }),
      }));
    });
    await page.close();
    // The latest release's order: the leaked feature first and highlighted; a feature that kept its place is not.
    expect(table[0]?.feature).toBe("account_closed");
    expect(table.filter((t) => t.flagged).map((t) => t.feature)).toContain("account_closed");
    const plain = table.find((t) => t.feature === "region");
    expect(plain?.flagged).toBe(false);
    expect(table[0]?.background).not.toBe(plain?.background);
    // One bar per release, side by side on the row, each drawn to its share (the largest share fills its bar).
    const max = Math.max(...table.flatMap((t) => t.bars.map((b) => b.share)));
    for (const t of table) {
      expect(t.bars.map((b) => b.version)).toEqual(["1.0.0", "1.1.0", "1.2.0"]);
      expect(new Set(t.bars.map((b) => Math.round(b.top))).size).toBe(1);
      for (const b of t.bars) expect(b.drawn).toBeCloseTo(b.share / max, 2);
    }
    const leak = table[0]?.bars ?? [];
    expect(leak[0]?.share).toBeLessThan(0.01);
    expect(leak[2]?.share).toBeGreaterThan(0.5);
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

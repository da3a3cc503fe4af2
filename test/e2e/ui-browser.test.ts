/**
 * `mltrail ui` in headless Chromium (playwright-core, Debian's /usr/bin/chromium or env
 * CHROMIUM_PATH), served by the built command over a seeded store: the runs table (grouping,
 * filter and order in the URL), a run page with an image and a JSON artifact, live points from
 * a run another process is logging, the models page, hostile names shown as text; no console
 * errors anywhere; screenshots at desktop and phone width kept in test-results/.
 *
 * Without Chromium the suite is skipped with a loud message, unless env CI is set: then it fails.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  gateChromium,
  haveChromium,
  openPage,
  waitInPage,
  root,
  screenshot as shot,
  startUiSuite,
  type Seeded,
  type UiProcess,
  type UiSuite,
} from "../support/ui.js";

gateChromium("the dashboard browser tests");

let suite: UiSuite | undefined;
let browser: Browser;
let ui: UiProcess;
let store: string;
let seeded: Seeded;

function open(hash: string, width = 1366): Promise<{ page: Page; errors: string[] }> {
  return openPage(browser, ui.url, hash, width);
}

describe.skipIf(!haveChromium)("mltrail ui in headless Chromium", () => {
  beforeAll(async () => {
    suite = await startUiSuite("mltrail-ui-");
    ({ browser, ui, store, seeded } = suite);
  });
  afterAll(async () => suite?.close());

  it("shows the runs table with children grouped under their parent, at desktop and phone width", async () => {
    const { page, errors } = await open("#/runs?experiment=churn");
    await page.waitForSelector("html[data-runs-rendered='5']");
    const names = await page.$$eval(".grid .row", (rows) => rows.map((r) => [r.querySelector(".name")?.textContent ?? "", r.classList.contains("child")]));
    const sweep = names.findIndex(([n]) => n === "sweep");
    expect(sweep).toBeGreaterThanOrEqual(0);
    expect(names.slice(sweep + 1, sweep + 3).map(([n, child]) => [n, child])).toEqual(
      expect.arrayContaining([
        ["↳ lr=0.1", true],
        ["↳ lr=0.01", true],
      ]),
    );
    // The hostile run name is text, never markup.
    expect(names.map(([n]) => n)).toContain(`<img src=x onerror="console.error('xss-name')">`);
    expect(await page.$$eval("main img", (imgs) => imgs.length)).toBe(0);
    await shot(page, "ui-runs-desktop.png");
    await page.setViewportSize({ width: 390, height: 800 });
    await page.waitForTimeout(50);
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await shot(page, "ui-runs-phone.png");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("keeps filter and order in the URL: a shared link shows the same runs", async () => {
    const filter = encodeURIComponent("params.epochs = '20'");
    const order = encodeURIComponent("metrics.final_score DESC");
    const { page, errors } = await open(`#/runs?experiment=churn&filter=${filter}&order=${order}&group=0`);
    await page.waitForSelector("html[data-runs-rendered='2']");
    expect(await page.$$eval(".grid .row .name", (els) => els.map((e) => e.textContent))).toEqual(["lr=0.01", "lr=0.1"]);
    expect(await page.inputValue("input[type=search]")).toBe("params.epochs = '20'");
    // Typing a new filter updates the URL.
    await page.fill("input[type=search]", "params.lr = '0.05'");
    await page.press("input[type=search]", "Enter");
    await page.waitForSelector("html[data-runs-rendered='1']");
    const hash = new URL(page.url()).hash;
    expect(new URLSearchParams(hash.slice(hash.indexOf("?") + 1)).get("filter")).toBe("params.lr = '0.05'");
    // A bad filter is an error message on the page, not a console error.
    await page.fill("input[type=search]", "metrics.acc >>> 1");
    await page.press("input[type=search]", "Enter");
    await page.waitForSelector(".grid .error");
    expect(errors.filter((e) => !e.includes("400"))).toEqual([]);
    await page.close();
  });

  it("shows a run page with an image artifact and a JSON preview", async () => {
    const { page, errors } = await open(`#/run/${seeded.imageRun}`);
    await page.waitForSelector(".chart[data-metric=acc] canvas");
    await page.click("button:has-text('plots/')");
    await page.click("a[data-artifact='plots/confusion.png']");
    const img = await page.waitForSelector("img.preview");
    await waitInPage(page, "document.querySelector('img.preview')?.naturalWidth === 48");
    expect(await img.getAttribute("alt")).toBe("plots/confusion.png");
    // Datasets with their digest and context.
    expect(await page.textContent("main")).toMatch(/churn-train d41d8cd98f00 \(training\)/);
    await shot(page, "ui-run-desktop.png");
    await page.click("a[data-artifact='config.json']");
    const pre = await page.waitForSelector("pre.preview");
    expect(JSON.parse((await pre.textContent()) ?? "")).toEqual({ layers: [64, 32], note: "<b>bold</b>" });
    expect(await page.$$eval("main b", (b) => b.length)).toBe(0);
    // A single-point metric is drawn as a marker on a centred axis.
    expect(await page.getAttribute(".chart[data-metric=acc]", "data-points")).toBe("1");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a tag holding <script> as text, with no script run", async () => {
    const { page, errors } = await open(`#/run/${seeded.xssRun}`);
    await page.waitForSelector(".kv");
    expect(await page.textContent("main")).toContain("<script>console.error('xss-tag')</script>");
    expect(await page.$$eval("script", (s) => s.map((x) => x.getAttribute("src")))).toEqual(["/uplot.js", "/app.js"]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows the models page and a model's releases, aliases and deprecation", async () => {
    const { page, errors } = await open("#/models");
    await page.waitForSelector("tr[data-model='churn-clf']");
    expect(await page.textContent("tr[data-model='churn-clf']")).toContain("@champion → 1.0.0");
    await page.click("tr[data-model='churn-clf'] a");
    await page.waitForSelector("li[data-version='1.1.0']");
    expect(await page.textContent("li[data-version='1.0.0']")).toContain("deprecated");
    expect(await page.textContent("li[data-version='1.1.0']")).toContain("lower learning rate");
    expect(await page.textContent("main")).toContain("superseded");
    await shot(page, "ui-model-desktop.png");
    await page.setViewportSize({ width: 390, height: 800 });
    await shot(page, "ui-model-phone.png");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("draws points of a run another process logs while the page is open", async () => {
    const script = `
      import { Tracker } from ${JSON.stringify(path.join(root, "dist", "index.js"))};
      import * as readline from "node:readline";
      const t = new Tracker({ trackingUri: ${JSON.stringify(store)}, experiment: "churn", captureContext: false });
      const run = await t.startRun({ name: "live" });
      for (let s = 0; s < 10; s++) run.logMetric("loss", 1 / (s + 1), { step: s });
      await run.flush();
      console.log(run.id);
      const lines = readline.createInterface({ input: process.stdin });
      let step = 10;
      for await (const line of lines) {
        if (line === "end") break;
        run.logMetric("loss", 0.05, { step: step++ });
        run.logMetric("new_metric", 1, { step });
        await run.flush();
        console.log("logged");
      }
      await run.end();
      await t.close();
    `;
    const file = path.join(path.dirname(store), "live-child.mjs");
    fs.writeFileSync(file, script);
    const child = spawn(process.execPath, [file], { stdio: ["pipe", "pipe", "pipe"] });
    const lines: string[] = [];
    let stderr = "";
    let exited = false;
    child.stdout.on("data", (d: Buffer) => lines.push(...d.toString().trim().split("\n")));
    child.stderr.on("data", (d: Buffer) => void (stderr += d.toString()));
    child.once("exit", () => void (exited = true));
    const waitLine = async (n: number): Promise<string> => {
      while (lines.length < n) {
        if (exited) throw new Error(`the logging process exited early: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return lines[n - 1] as string;
    };
    const runId = await waitLine(1);
    const { page, errors } = await open(`#/run/${runId}`);
    await page.waitForSelector(".chart[data-metric=loss][data-points='10']");
    expect(await page.textContent("[data-status]")).toBe("RUNNING");
    child.stdin.write("go\n");
    await waitLine(2);
    await page.waitForSelector(".chart[data-metric=loss][data-points='11']", { timeout: 30_000 });
    await page.waitForSelector(".chart[data-metric=new_metric][data-points='1']", { timeout: 30_000 });
    child.stdin.end("end\n");
    await page.waitForSelector("[data-status=FINISHED]", { timeout: 30_000 });
    while (!exited) await new Promise((r) => setTimeout(r, 20));
    expect(errors).toEqual([]);
    await page.close();
  });
});

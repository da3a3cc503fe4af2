/**
 * `mltrail ui` pages beyond runs and run pages, in headless Chromium over a seeded store: the
 * A/B tests (list, analysis as `mltrail ab show` computes it, metric and alpha in the URL),
 * the compare of model versions (lineage, params, metrics and the explanations diff, selection
 * in the URL), the compare of runs, keyboard navigation of the runs table, and dark and light
 * schemes; no console errors; screenshots at desktop and phone width in test-results/.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AbAnalysis } from "../../src/index.js";
import { cli, gateChromium, haveChromium, openPage, waitInPage, screenshot, startUiSuite, type Seeded, type UiProcess, type UiSuite } from "../support/ui.js";

gateChromium("the dashboard page tests");

let suite: UiSuite | undefined;
let browser: Browser;
let ui: UiProcess;
let store: string;
let seeded: Seeded;

function open(hash: string, width = 1366): Promise<{ page: Page; errors: string[] }> {
  return openPage(browser, ui.url, hash, width);
}

async function atPhoneWidth(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 390, height: 800 });
  await waitInPage(page, "document.documentElement.scrollWidth <= 390");
  await screenshot(page, name);
}

function hashQuery(page: Page): URLSearchParams {
  const hash = new URL(page.url()).hash;
  return new URLSearchParams(hash.includes("?") ? hash.slice(hash.indexOf("?") + 1) : "");
}

describe.skipIf(!haveChromium)("mltrail ui pages in headless Chromium", () => {
  beforeAll(async () => {
    suite = await startUiSuite("mltrail-ui-pages-");
    ({ browser, ui, store, seeded } = suite);
  });
  afterAll(async () => suite?.close());

  it("lists the A/B tests and shows one test's analysis, the same as mltrail ab show", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [cli, "ab", "show", seeded.abKey, "--json"], {
      env: { ...process.env, MLFLOW_TRACKING_URI: store },
    });
    const expected = JSON.parse(stdout) as AbAnalysis;
    expect(expected.decision).toBe("ship B");
    const { page, errors } = await open("#/ab");
    await page.waitForSelector(`tr[data-ab='${seeded.abKey}']`);
    expect(await page.textContent(`tr[data-ab='${seeded.abKey}']`)).toContain("churn-clf@1.1.0");
    await page.click(`tr[data-ab='${seeded.abKey}'] a`);
    await page.waitForSelector("[data-decision]");
    expect(await page.getAttribute("[data-decision]", "data-decision")).toBe(expected.decision);
    expect(await page.textContent("[data-decision]")).toContain(expected.reason);
    const cells = await page.$$eval("tr[data-variant] td", (tds) => tds.map((td) => td.textContent ?? ""));
    const [a, b] = expected.variants;
    expect(cells).toContain(String(a?.exposures));
    expect(cells).toContain(String(b?.exposures));
    expect(cells).toContain(`${(100 * (b?.mean ?? 0)).toFixed(2)}%`);
    expect(await page.textContent("tr[data-variant='1']")).toContain("★");
    expect(await page.getAttribute("[data-srm]", "data-srm")).toBe(expected.srm.mismatch ? "mismatch" : "ok");
    await screenshot(page, "ui-ab-desktop.png");
    await atPhoneWidth(page, "ui-ab-phone.png");
    // Alpha is kept in the URL: a shared link opens the same analysis.
    await page.selectOption("select[aria-label=alpha]", "0.01");
    await waitInPage(page, "location.hash.includes('alpha=0.01')");
    await page.waitForSelector("text=alpha 0.01 split");
    expect(hashQuery(page).get("alpha")).toBe("0.01");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("compares chosen versions of a model: lineage, params, metrics and the explanations diff, selection in the URL", async () => {
    const { page, errors } = await open("#/model/churn-clf");
    await page.click("text=compare versions");
    await page.waitForSelector("[data-explanation]");
    expect(hashQuery(page).get("v")).toBe("1.0.0,1.1.0");
    const main = (await page.textContent("main")) ?? "";
    expect(main).toContain("churn-clf: 2 versions compared");
    expect(main).toContain("0abc1234de"); // git commits of the two source runs
    expect(main).toContain("1abc1234de");
    expect(await page.$$eval("td.diff", (tds) => tds.map((t) => t.textContent))).toEqual(expect.arrayContaining(["0.1", "0.01"]));
    const explanation = (await page.textContent("[data-explanation='1.0.0→1.1.0']")) ?? "";
    expect(explanation).toContain("shap: 1.0.0 → 1.1.0");
    expect(explanation).toMatch(/leak rank \d→1/);
    expect(await page.$$eval("tr.flagged th", (ths) => ths.map((t) => t.textContent))).toContain("leak");
    await screenshot(page, "ui-versions-desktop.png");
    await atPhoneWidth(page, "ui-versions-phone.png");
    // One version only: the selection is the URL, and there is nothing to diff.
    await page.setViewportSize({ width: 1366, height: 860 });
    await page.uncheck("input[aria-label='version 1.0.0']");
    await page.click("button:has-text('Compare')");
    await page.waitForSelector("text=churn-clf: 1 version compared");
    expect(hashQuery(page).get("v")).toBe("1.1.0");
    expect(await page.$$("[data-explanation]")).toHaveLength(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("moves through the runs table with the keyboard, selects with Space and compares the selection", async () => {
    const { page, errors } = await open("#/runs?experiment=churn&group=0&order=attributes.run_name%20ASC");
    await page.waitForSelector("html[data-runs-rendered='5']");
    await page.focus(".grid");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Space");
    await page.keyboard.press("j");
    await page.keyboard.press("x");
    await waitInPage(page, "new URLSearchParams(location.hash.split('?')[1]).get('sel')?.split(',').length === 2");
    const focused = await page.$eval(".grid .row.focus .name", (e) => e.textContent);
    expect(focused).toBe("lr=0.1");
    await page.click("button:has-text('Compare selected')");
    await page.waitForSelector("text=Compare 2 runs");
    expect((hashQuery(page).get("runs") ?? "").split(",").sort()).toEqual([...(seeded.children as string[])].sort());
    expect(await page.$$eval("td.diff", (tds) => tds.map((t) => t.textContent))).toEqual(["0.01", "0.1"]);
    // Enter on a focused row opens its run.
    await page.goBack();
    await page.waitForSelector("html[data-page=runs][data-runs-rendered='5']");
    await page.focus(".grid");
    await page.keyboard.press("Enter");
    await page.waitForSelector("html[data-page=run]");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("follows the system's dark and light scheme", async () => {
    const colours: string[] = [];
    for (const scheme of ["light", "dark"] as const) {
      const page = await browser.newPage({ viewport: { width: 1366, height: 860 }, colorScheme: scheme });
      await page.goto(`${ui.url}#/models`);
      await page.waitForSelector("tr[data-model]");
      colours.push(await page.evaluate("getComputedStyle(document.body).backgroundColor"));
      if (scheme === "dark") await screenshot(page, "ui-models-dark.png");
      await page.close();
    }
    expect(colours).toEqual(["rgb(255, 255, 255)", "rgb(20, 24, 31)"]);
  });
});

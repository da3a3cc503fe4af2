/**
 * examples/browser/ as written: the page and its module script, served from the project folder
 * under an origin of its own, load the built mltrail/browser and mltrail/tfjs through the page's
 * own import map, and a click on "Train" trains its TF.js model and logs it to a real MLflow
 * 3.18 server that allows that origin only through `--cors-allowed-origins`. The test checks on
 * the server, through MLflow's REST API, that the run arrived: FINISHED, its params and tag, and
 * one loss point per epoch.
 *
 * Needs `npx tsup` first (dist/browser/). Without Chromium the suite is skipped with a loud
 * message, unless env CI is set: then it fails.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserStack, startBrowserStack } from "../support/browser-stack.js";
import { metricHistory, runsByKey } from "../support/browser-store-page.js";
import { executablePath, haveChromium } from "../support/chromium.js";

const MISSING = `Chromium was not found at ${executablePath} (set CHROMIUM_PATH, or apt-get install chromium): the browser example test`;
if (!haveChromium && !process.env["CI"]) process.stderr.write(`\n${"!".repeat(78)}\nSKIPPED: ${MISSING} is skipped.\n${"!".repeat(78)}\n`);
if (!haveChromium && process.env["CI"]) throw new Error(`CI is set and ${MISSING} cannot run.`);

const EPOCHS = 5;
let stack: BrowserStack;

describe.skipIf(!haveChromium)("examples/browser in headless Chromium", () => {
  beforeAll(async () => {
    stack = await startBrowserStack();
    // MLflow's first start (or another process installing it) is slow on a loaded machine.
  }, 600_000);
  afterAll(async () => {
    await stack?.close();
  });

  it("the example page trains its model and its run arrives on the MLflow server", async () => {
    const context = await stack.browser.newContext();
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    const experiment = "browser-example";
    const query = new URLSearchParams({ mlflow: stack.mlflow.url, experiment, epochs: String(EPOCHS) });
    await page.goto(`${stack.origin}/examples/browser/index.html?${query}`);
    // The page's import map took the built files and TF.js from the served project folder.
    const train = page.locator("#train button");
    await page.waitForSelector("#train button:not([disabled])", { timeout: 120_000 });
    expect(stack.site.requests).toEqual(expect.arrayContaining(["/dist/browser/index.js", "/dist/browser/tfjs.js", "/examples/browser/main.js"]));
    await train.click();
    const status = page.locator("#status");
    // The page says when the fit is over and the server has everything ("done"), or why not.
    await page.waitForSelector('#status:is([data-state="done"], [data-state="failed"], [data-state="pending"])', { timeout: 180_000 });
    const said = `the page said: ${await status.textContent()}; page errors: ${pageErrors.join(" | ") || "none"}`;
    expect(await status.getAttribute("data-state"), said).toBe("done");
    expect(pageErrors).toEqual([]);
    const runKey = await status.getAttribute("data-run-key");
    expect(runKey).toMatch(/\S/);

    const runs = await runsByKey(stack.mlflow.url, experiment, runKey ?? "");
    expect(runs).toHaveLength(1);
    const run = runs[0];
    expect(run?.info.status).toBe("FINISHED");
    expect(run?.info.run_name).toBe("dense-in-page");
    const params = Object.fromEntries((run?.data.params ?? []).map((p) => [p.key, p.value]));
    expect(params).toMatchObject({ dataset: "y=2x-1+noise", samples: "200", epochs: String(EPOCHS), batch_size: "32", optimizer: "Adam" });
    expect(run?.data.tags).toEqual(expect.arrayContaining([{ key: "page", value: "/examples/browser/index.html" }]));
    const loss = await metricHistory(stack.mlflow.url, run?.info.run_id ?? "", "loss");
    expect(loss.map((p) => p.step).sort((a, b) => a - b)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i));
    expect((await metricHistory(stack.mlflow.url, run?.info.run_id ?? "", "val_loss")).length).toBe(EPOCHS);
    await context.close();
  }, 600_000);
});

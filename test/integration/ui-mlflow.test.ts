/**
 * `mltrail ui --to <MLflow server>` (the built command) in headless Chromium against the real
 * server: what a tracker logged there shows on the runs table (children grouped), the run page
 * (params, datasets, an image artifact, the run's link on the server) and the models page; a
 * run still logging on the server updates live (the dashboard polls the server: no journal).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";
import { mlflowUri } from "../support/mlflow.js";
import { fakeDigest } from "../support/registry.js";
import {
  CHROMIUM_ARGS,
  executablePath,
  gateChromium,
  haveChromium,
  openPage,
  waitInPage,
  png,
  screenshot,
  startUiProcess,
  type UiProcess,
} from "../support/ui.js";

gateChromium("the dashboard-on-MLflow tests");

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-ui-mlflow-"));
const experiment = `ui-${Date.now()}`;
const model = `ui-model-${Date.now()}`;
let tracker: Tracker;
let ui: UiProcess;
let browser: Browser;
let parentId: string;
let childIds: string[];
let experimentId: string;

function open(hash: string, width = 1366): Promise<{ page: Page; errors: string[] }> {
  return openPage(browser, ui.url, hash, width);
}

describe.skipIf(!haveChromium)("mltrail ui on an MLflow server", () => {
  beforeAll(async () => {
    tracker = new Tracker({
      trackingUri: mlflowUri(),
      spoolDir: path.join(tmp, "spool"),
      experiment,
      captureContext: false,
      handleExit: false,
      replicationIntervalMs: 50,
    });
    const parent = await tracker.startRun({ name: "sweep" });
    childIds = [];
    for (const lr of [0.1, 0.01]) {
      const run = await tracker.startRun({ name: `lr=${lr}`, params: { lr, epochs: 5 }, parentRunId: parent.id });
      for (let s = 0; s < 50; s++) run.logMetrics({ loss: Math.exp(-s * lr), acc: 1 - Math.exp(-s * lr) / 2 }, { step: s });
      await run.logDataset({ name: "churn-train", digest: "0123456789abcdef", source: "s3://bucket/train.csv", context: "training" });
      const img = path.join(tmp, "confusion.png");
      fs.writeFileSync(img, png(32));
      await run.logArtifact(img, { artifactPath: "plots" });
      await run.end();
      childIds.push(run.id);
    }
    await parent.end();
    parentId = parent.id;
    await tracker.registerModel(model, { runId: childIds[0] as string, contentDigest: fakeDigest("a"), rationale: "first", aliases: ["champion"] });
    await tracker.registerModel(model, { runId: childIds[1] as string, contentDigest: fakeDigest("b"), rationale: "lower lr", bump: "minor" });
    expect((await tracker.flush({ timeoutMs: 60_000 })).pending).toBe(0);
    experimentId = (await tracker.getExperimentByName(experiment))?.experimentId as string;
    ui = await startUiProcess(["--to", mlflowUri()], { MLTRAIL_SPOOL_DIR: path.join(tmp, "ui-spool") });
    browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
  });
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
    await tracker?.close({ timeoutMs: 10_000 });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("shows the runs the tracker logged to the server, children under their parent", async () => {
    const { page, errors } = await open(`#/runs?experiment=${encodeURIComponent(experiment)}`);
    await page.waitForSelector("html[data-runs-rendered='3']");
    const names = await page.$$eval(".grid .row .name", (els) => els.map((e) => e.textContent));
    expect(names[0]).toBe("sweep");
    expect(names.slice(1).sort()).toEqual(["↳ lr=0.01", "↳ lr=0.1"]);
    await screenshot(page, "ui-mlflow-runs-desktop.png");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a run page read from the server: charts, params, datasets, the image artifact and the run's page there", async () => {
    const id = childIds[1] as string;
    const { page, errors } = await open(`#/run/${id}`);
    await page.waitForSelector(".chart[data-metric=loss][data-points='50']");
    const main = (await page.textContent("main")) ?? "";
    expect(main).toContain("0.01");
    expect(main).toMatch(/churn-train 0123456789ab \(training\)/);
    expect(main).toContain(`parent${parentId}`);
    const link = await page.getAttribute("a:has-text('open on the tracking server')", "href");
    expect(link).toBe(`${mlflowUri().replace(/\/+$/, "")}/#/experiments/${experimentId}/runs/${id}`);
    await page.click("button:has-text('plots/')");
    await page.click("a[data-artifact='plots/confusion.png']");
    await waitInPage(page, "document.querySelector('img.preview')?.naturalWidth === 32");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows the model's releases and compares its versions", async () => {
    const { page, errors } = await open("#/models");
    await page.waitForSelector(`tr[data-model='${model}']`);
    expect(await page.textContent(`tr[data-model='${model}']`)).toContain("@champion → 1.0.0");
    await page.click(`tr[data-model='${model}'] a`);
    await page.waitForSelector("li[data-version='1.1.0']");
    expect(await page.textContent("li[data-version='1.1.0']")).toContain("lower lr");
    await page.click("text=compare versions");
    await page.waitForSelector(`text=${model}: 2 versions compared`);
    expect(await page.$$eval("td.diff", (tds) => tds.map((t) => t.textContent))).toEqual(expect.arrayContaining(["0.1", "0.01"]));
    expect(errors).toEqual([]);
    await page.close();
  });

  it("updates a run that is still logging to the server, by polling it", async () => {
    const run = await tracker.startRun({ name: "live" });
    run.logMetric("loss", 1, { step: 0 });
    expect((await tracker.flush({ timeoutMs: 30_000 })).pending).toBe(0);
    const { page, errors } = await open(`#/run/${run.id}`);
    await page.waitForSelector(".chart[data-metric=loss][data-points='1']");
    expect(await page.textContent("[data-status]")).toBe("RUNNING");
    for (let s = 1; s <= 3; s++) {
      run.logMetric("loss", 1 / (s + 1), { step: s });
      await tracker.flush({ timeoutMs: 30_000 });
      await page.waitForSelector(`.chart[data-metric=loss][data-points='${s + 1}']`, { timeout: 30_000 });
    }
    run.logMetric("acc", 0.5, { step: 3 });
    await run.end();
    await tracker.flush({ timeoutMs: 30_000 });
    await page.waitForSelector(".chart[data-metric=acc][data-points='1']", { timeout: 30_000 });
    await page.waitForSelector("[data-status=FINISHED]", { timeout: 30_000 });
    expect(errors).toEqual([]);
    await page.close();
  });
});

/**
 * Helpers of the dashboard tests: a tiny valid PNG, a seeded store, the `mltrail ui` command
 * started from the built package (its URL read from stdout), and headless Chromium.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { crc32, deflateSync } from "node:zlib";
import { chromium, type Browser, type Page } from "playwright-core";
import { kernelShap, logExplanation } from "../../src/explain/index.js";
import { createAbTest, Tracker } from "../../src/index.js";

export const root = path.resolve(import.meta.dirname, "../..");
export const cli = path.join(root, "dist", "cli", "main.js");
import { CHROMIUM_ARGS, executablePath, haveChromium } from "./chromium.js";
export { CHROMIUM_ARGS, executablePath, haveChromium } from "./chromium.js";

/**
 * Says loudly that a browser suite is skipped when Chromium is missing, or throws when env CI
 * is set (then the suite must run).
 */
export function gateChromium(suite: string): void {
  if (haveChromium) return;
  const missing = `Chromium was not found at ${executablePath} (set CHROMIUM_PATH, or apt-get install chromium): ${suite}`;
  if (process.env["CI"]) throw new Error(`CI is set and ${missing} cannot run.`);
  process.stderr.write(`\n${"!".repeat(78)}\nSKIPPED: ${missing} are skipped.\n${"!".repeat(78)}\n`);
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A `size`×`size` RGB PNG: a red-to-blue gradient. */
export function png(size: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc(size * (1 + size * 3));
  for (let y = 0; y < size; y++) {
    const row = y * (1 + size * 3);
    for (let x = 0; x < size; x++) raw.set([Math.round((255 * x) / size), 80, Math.round((255 * y) / size)], row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** What {@link seedStore} made. */
export interface Seeded {
  readonly parent: string;
  readonly children: string[];
  readonly imageRun: string;
  readonly xssRun: string;
  /** Key of the A/B test between churn-clf 1.0.0 and 1.1.0 (its analysis says "ship B"). */
  readonly abKey: string;
}

const FEATURES = ["age", "income", "leak"];
const ROWS = Array.from({ length: 12 }, (_, i) => FEATURES.map((_, j) => Math.sin(i * 7.3 + j * 1.9)));

/** Runs an A/B test of churn-clf 1.0.0 against 1.1.0 over 2,000 units: B converts at 30%, A at 15%. */
async function seedAbTest(tracker: Tracker, key: string): Promise<void> {
  const test = await createAbTest(tracker, {
    key,
    variants: [
      { model: "churn-clf", ref: "1.0.0" },
      { model: "churn-clf", ref: "1.1.0" },
    ],
  });
  for (let u = 0; u < 2000; u++) {
    const unit = `user-${u}`;
    const { variantIndex } = test.assign(unit);
    test.recordOutcome(unit, "converted", (u * 7919) % 100 < (variantIndex === 1 ? 30 : 15) ? 1 : 0);
  }
  await test.close();
}

/** A store with a parent and two child runs, a run with an image and a JSON artifact, a hostile run, and a model with two releases. */
export async function seedStore(store: string): Promise<Seeded> {
  const tracker = new Tracker({ trackingUri: store, experiment: "churn", captureContext: false, handleExit: false });
  const parent = await tracker.startRun({ name: "sweep", params: { kind: "sweep" } });
  const children: string[] = [];
  for (const [i, lr] of [0.1, 0.01].entries()) {
    const run = await tracker.startRun({
      name: `lr=${lr}`,
      params: { lr, epochs: 20 },
      parentRunId: parent.id,
      tags: { "mlflow.source.git.commit": `${i}abc1234def5678` },
    });
    for (let s = 0; s < 300; s++) run.logMetrics({ loss: Math.exp(-s * lr) + 0.02 * Math.sin(s), acc: 1 - Math.exp(-s * lr) / 2 }, { step: s });
    run.logMetric("final_score", 0.8 + i * 0.05);
    // The second release learnt to lean on a leaked feature: the explanations diff flags it.
    const predict = (rows: number[][]): number[] => rows.map(([age = 0, income = 0, leak = 0]) => (i === 0 ? 2 * income + age : 0.2 * income + 4 * leak));
    await logExplanation(run, await kernelShap(predict, ROWS.slice(0, 4), { background: ROWS.slice(6), featureNames: FEATURES, seed: 1 }), { name: "shap" });
    await run.end();
    children.push(run.id);
  }
  await parent.end();
  const dir = fs.mkdtempSync(path.join(store, "..", "ui-art-"));
  fs.writeFileSync(path.join(dir, "confusion.png"), png(48));
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ layers: [64, 32], note: "<b>bold</b>" }));
  const image = await tracker.startRun({ name: "with-image", params: { lr: 0.05 } });
  image.logMetric("acc", 0.9, { step: 0 });
  await image.logDataset({ name: "churn-train", digest: "d41d8cd98f00b204", source: "s3://bucket/churn/train.csv", context: "training" });
  await image.logArtifact(path.join(dir, "confusion.png"), { artifactPath: "plots" });
  await image.logArtifact(path.join(dir, "config.json"));
  await image.end();
  const xss = await tracker.startRun({
    name: `<img src=x onerror="console.error('xss-name')">`,
    params: { lr: 0.2 },
    tags: { note: "<script>console.error('xss-tag')</script>" },
  });
  xss.logMetric("loss", 0.5, { step: 0 });
  await xss.end();
  await tracker.registerModel("churn-clf", { runId: children[0] as string, rationale: "first release", aliases: ["champion"] });
  await tracker.registerModel("churn-clf", {
    runId: children[1] as string,
    bump: "minor",
    rationale: "lower learning rate",
    changes: [{ description: "new weights", bump: "minor" }],
  });
  const abKey = "churn-ab";
  await seedAbTest(tracker, abKey);
  await tracker.deprecate("churn-clf", "1.0.0", { reason: "superseded" });
  await tracker.close();
  return { parent: parent.id, children, imageRun: image.id, xssRun: xss.id, abKey };
}

/** A running `mltrail ui`. */
export interface UiProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `mltrail ui` from the built package on a free port; resolves once it printed its URL. */
export async function startUiProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<UiProcess> {
  const child = spawn(process.execPath, [cli, "ui", "--port", "0", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr?.on("data", (d: Buffer) => void (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`mltrail ui exited with ${code}: ${err}`)));
  });
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Where the browser tests write their screenshots (copies of the new ones are checked in under test/e2e/__screenshots__). */
export const SHOTS = path.join(root, "test-results");

/**
 * Opens `base + hash` in a new page of `width`, collecting console errors, page errors and
 * failed requests (the live stream, closed on navigation, excepted); resolves once the app
 * rendered its route.
 */
export async function openPage(browser: Browser, base: string, hash: string, width = 1366): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 860 } });
  const errors: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
  page.on("pageerror", (e) => void errors.push(e.message));
  page.on("requestfailed", (r) => void (r.url().includes("/api/live") || errors.push(`request failed: ${r.url()}`)));
  await page.goto(`${base}${hash}`);
  await page.waitForSelector("html[data-page]", { timeout: 60_000 });
  return { page, errors };
}

/**
 * Waits until `expression` is truthy in the page. Playwright's `waitForFunction` re-evaluates a
 * pending predicate with `eval` inside the page, which the dashboard's CSP (no 'unsafe-eval')
 * refuses; each check here goes through the DevTools protocol instead, which the CSP does not
 * govern.
 */
export async function waitInPage(page: Page, expression: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Saves a screenshot of the viewport as `test-results/<name>`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, name), fullPage: false });
}

/** A seeded store served by `mltrail ui`, and a browser. */
export interface UiSuite {
  readonly browser: Browser;
  readonly ui: UiProcess;
  readonly store: string;
  readonly seeded: Seeded;
  /** Closes the browser, stops the server and removes the store. */
  close(): Promise<void>;
}

/** Seeds a store in a fresh temporary folder, starts `mltrail ui --dir` on it and launches Chromium. */
export async function startUiSuite(prefix: string): Promise<UiSuite> {
  const store = path.join(fs.mkdtempSync(path.join(os.tmpdir(), prefix)), "store");
  const seeded = await seedStore(store);
  const ui = await startUiProcess(["--dir", store]);
  const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
  return {
    browser,
    ui,
    store,
    seeded,
    close: async () => {
      await browser.close();
      await ui.stop();
      fs.rmSync(path.dirname(store), { recursive: true, force: true });
    },
  };
}

/**
 * mltrail/browser as a page loads it (the built dist/browser/index.js through an import map,
 * served from its own origin) in real headless Chromium, against a real MLflow 3.18 server that
 * allows that origin only through `--cors-allowed-origins`: a page reloaded in the middle of a
 * run, the server stopped and started again while the page logs, and two tabs logging to two
 * runs at once. Every case checks on the server, through MLflow's REST API, that each step of
 * each metric arrived exactly once.
 *
 * Needs `npx tsup` first (dist/browser/). Without Chromium the suite is skipped with a loud
 * message, unless env CI is set: then it fails.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserStack, startBrowserStack } from "../support/browser-stack.js";
import { metricHistory, runsByKey } from "../support/browser-store-page.js";
import { executablePath, haveChromium } from "../support/chromium.js";
import { until } from "../support/wait.js";

const MISSING = `Chromium was not found at ${executablePath} (set CHROMIUM_PATH, or apt-get install chromium): the browser tracking tests`;
if (!haveChromium && !process.env["CI"]) process.stderr.write(`\n${"!".repeat(78)}\nSKIPPED: ${MISSING} are skipped.\n${"!".repeat(78)}\n`);
if (!haveChromium && process.env["CI"]) throw new Error(`CI is set and ${MISSING} cannot run.`);

/** What the page sees of `window.mltrail` (the built mltrail/browser). */
declare const mltrail: typeof import("../../src/browser/index.js");
/** The page's globals these tests keep between evaluate calls. */
declare const window: {
  tracker: InstanceType<typeof mltrail.Tracker>;
  run: InstanceType<typeof mltrail.Run>;
  logged: number;
  upTo: number;
  loop: Promise<void>;
};

const HARNESS = "/test/fixtures/browser/harness.html";
let stack: BrowserStack;

/** Steps 0..n-1 of `key` on the server for the run with key `rk`, sorted, and the run's status. */
async function serverSteps(
  experiment: string,
  rk: string,
  key: string,
): Promise<{ steps: number[]; values: number[]; status: string | undefined; runs: number }> {
  const runs = await runsByKey(stack.mlflow.url, experiment, rk);
  const history = runs[0] === undefined ? [] : await metricHistory(stack.mlflow.url, runs[0].info.run_id, key);
  history.sort((a, b) => a.step - b.step);
  return { steps: history.map((p) => p.step), values: history.map((p) => p.value), status: runs[0]?.info.status, runs: runs.length };
}

/**
 * Starts (or resumes) run `name` in the page and logs `loss` = 1/(step+1) from its last step
 * up to `window.upTo` (`upTo`, or until the test moves it), one step per timer turn, in the background.
 */
async function startLogging(page: Page, name: string, experiment: string, upTo: number): Promise<string> {
  return page.evaluate(
    async ({ uri, name, experiment, upTo }) => {
      window.tracker = new mltrail.Tracker({ trackingUri: uri, experiment, requestTimeoutMs: 5000, retryMaxMs: 1000, replicationIntervalMs: 200 });
      window.run = await window.tracker.startRun({ name, resume: "auto", params: { tab: name } });
      const run = window.run;
      window.logged = (run.lastStep("loss") ?? -1) + 1;
      window.upTo = upTo;
      window.loop = (async () => {
        for (let step = window.logged; step < window.upTo; step++) {
          run.logMetric("loss", 1 / (step + 1), { step });
          window.logged = step + 1;
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      return run.key;
    },
    { uri: stack.mlflow.url, name, experiment, upTo },
  );
}

/** Waits for the page's loop, ends the run and flushes; returns what is still pending. */
async function finish(page: Page): Promise<number> {
  return page.evaluate(async () => {
    await window.loop;
    await window.run.end();
    const { pending } = await window.tracker.flush({ timeoutMs: 120_000 });
    await window.tracker.close({ timeoutMs: 1000 });
    return pending;
  });
}

const expected = (n: number): { steps: number[]; values: number[] } => ({
  steps: Array.from({ length: n }, (_, i) => i),
  values: Array.from({ length: n }, (_, i) => 1 / (i + 1)),
});

describe.skipIf(!haveChromium)("mltrail/browser in headless Chromium", () => {
  beforeAll(async () => {
    stack = await startBrowserStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("loads the built bundle from a page origin the server allows only through --cors-allowed-origins", async () => {
    const page = await stack.open(HARNESS);
    expect(page.url().startsWith("http://app.mltrail.test:")).toBe(true);
    expect(stack.site.requests).toContain("/dist/browser/index.js");
    const origin = await page.evaluate(() => (globalThis as unknown as { location: { origin: string } }).location.origin);
    expect(origin).toBe(stack.origin);
    await page.context().close();
  });

  it("a page reloaded in the middle of a run continues it after the reload: every step arrives exactly once", async () => {
    const context = await stack.browser.newContext();
    const page = await stack.open(HARNESS, context);
    const experiment = "browser-reload";
    const rk = await startLogging(page, "fit", experiment, 400);
    // Reload once part of the run is on the server and the page is still logging.
    await until("the first points on the server", async () => (await serverSteps(experiment, rk, "loss")).steps.length >= 50);
    const loggedBefore = await page.evaluate(() => window.logged);
    expect(loggedBefore).toBeLessThan(400);
    await page.reload();
    await page.waitForSelector("html[data-ready]");
    expect(await startLogging(page, "fit", experiment, 400)).toBe(rk);
    const resumedAt = await page.evaluate(() => window.logged);
    expect(resumedAt).toBeGreaterThan(0);
    expect(await finish(page)).toBe(0);
    const got = await serverSteps(experiment, rk, "loss");
    expect(got.runs).toBe(1);
    expect(got.status).toBe("FINISHED");
    expect({ steps: got.steps, values: got.values }).toEqual(expected(400));
    await context.close();
  });

  it("the server stopped and started again while the page logs: the page keeps logging and everything arrives once", async () => {
    const context = await stack.browser.newContext();
    const page = await stack.open(HARNESS, context);
    const experiment = "browser-restart";
    // The page logs until the test says where to stop.
    const rk = await startLogging(page, "fit", experiment, Number.POSITIVE_INFINITY);
    try {
      await until("the first points on the server", async () => (await serverSteps(experiment, rk, "loss")).steps.length >= 50);
      await stack.mlflow.stop();
      const atStop = await page.evaluate(() => window.logged);
      // The page notices (a failed send) and goes on logging into IndexedDB.
      await until("the page to see the server gone", async () => page.evaluate(() => window.tracker.stats().lastError !== undefined));
      await until("the page to log on while the server is down", async () => (await page.evaluate(() => window.logged)) > atStop + 20);
    } finally {
      await stack.mlflow.start();
    }
    const total = await page.evaluate(() => {
      window.upTo = window.logged + 50;
      return window.upTo;
    });
    expect(await finish(page)).toBe(0);
    const got = await serverSteps(experiment, rk, "loss");
    expect(got.runs).toBe(1);
    expect(got.status).toBe("FINISHED");
    expect({ steps: got.steps, values: got.values }).toEqual(expected(total));
    await context.close();
  });

  it("two tabs log to two runs at once: each run gets its own steps, exactly once", async () => {
    const context = await stack.browser.newContext();
    const [a, b] = await Promise.all([stack.open(HARNESS, context), stack.open(HARNESS, context)]);
    if (a === undefined || b === undefined) throw new Error("two tabs expected");
    const experiment = "browser-tabs";
    const [rkA, rkB] = await Promise.all([startLogging(a, "tab-a", experiment, 300), startLogging(b, "tab-b", experiment, 300)]);
    expect(rkA).not.toBe(rkB);
    expect(await Promise.all([finish(a), finish(b)])).toEqual([0, 0]);
    for (const [rk, name] of [
      [rkA, "tab-a"],
      [rkB, "tab-b"],
    ] as const) {
      const got = await serverSteps(experiment, rk, "loss");
      expect(got.runs).toBe(1);
      expect(got.status).toBe("FINISHED");
      expect({ steps: got.steps, values: got.values }).toEqual(expected(300));
      const [run] = await runsByKey(stack.mlflow.url, experiment, rk);
      expect(run?.data.params).toEqual([{ key: "tab", value: name }]);
    }
    await context.close();
  });
});

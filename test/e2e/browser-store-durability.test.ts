/**
 * The browser build's run log in real headless Chromium against a real MLflow server that
 * allows the page's origin: one IndexedDB transaction per turn (group commit) with gapless
 * sequence numbers, records that survive a reload while the server is unreachable and arrive
 * exactly once from the next page load, and a full storage quota reported as a typed
 * StorageFullError with nothing dropped.
 *
 * Without Chromium the suite is skipped with a loud message, unless env CI is set: then it fails.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_ARGS, executablePath, haveChromium } from "../support/chromium.js";
import { reset } from "../support/fault-proxy.js";
import type { BrowserGlobals, IdbDatabase } from "../../src/browser/dom.js";
import { metricHistory, openSdkPage, requireChromium, runsByKey, startStoreRig, type StoreRig } from "../support/browser-store-page.js";

requireChromium("the browser store tests");

/** What the page sees of `window.mltrail` (the page runs the bundle of src/browser). */
declare const mltrail: typeof import("../../src/browser/index.js");

/** The page's globals this file touches (the package type-checks without the DOM library). */
type PageGlobals = BrowserGlobals & {
  readonly IDBObjectStore: {
    readonly prototype: { put: (this: { readonly name: string; readonly transaction: unknown }, value: unknown, key?: unknown) => unknown };
  };
  tracker: InstanceType<typeof mltrail.Tracker>;
  run: InstanceType<typeof mltrail.Run>;
  errors: string[];
};

let rig: StoreRig;

function openPage(context: BrowserContext): Promise<Page> {
  return openSdkPage(context, rig.pages.origin);
}

describe.skipIf(!haveChromium)("browser run log (IndexedDB)", () => {
  beforeAll(async () => {
    rig = await startStoreRig();
  });

  afterAll(async () => {
    await rig?.close();
  });

  it("commits everything logged in one turn in one IndexedDB transaction, with gapless sequence numbers", async () => {
    const context = await rig.browser.newContext();
    const page = await openPage(context);
    const result = await page.evaluate(async (uri) => {
      // Count the transactions that store records (an ack of the replicator also writes to the
      // record store, but only deletes).
      const g = globalThis as unknown as PageGlobals;
      const proto = g.IDBObjectStore.prototype;
      const original = proto.put;
      let writers = new Set<unknown>();
      proto.put = function (this: { readonly name: string; readonly transaction: unknown }, value: unknown, key?: unknown) {
        if (this.name === "records") writers.add(this.transaction);
        return key === undefined ? original.call(this, value) : original.call(this, value, key);
      };
      const tracker = new mltrail.Tracker({ trackingUri: uri, experiment: "browser-store-commit", replicationIntervalMs: 60_000 });
      const run = await tracker.startRun({ name: "one-turn" });
      await run.flush(); // the run's start records are committed before the turn under test
      writers = new Set();
      for (let step = 0; step < 500; step++) run.logMetric("loss", 1 / (step + 1), { step });
      run.logParams({ lr: 0.01, layers: 3 });
      run.setTags({ stage: "test" });
      await run.flush();
      const inOneTurn = writers.size;
      proto.put = original;
      // Read the stored records back directly.
      const request = g.indexedDB.open("mltrail", 1);
      const db = await new Promise<IdbDatabase>((resolve) => {
        request.onsuccess = () => resolve(request.result);
      });
      const read = db
        .transaction("records", "readonly")
        .objectStore("records")
        .getAll(g.IDBKeyRange.bound([run.key, 0], [run.key, Number.MAX_SAFE_INTEGER]));
      const rows = await new Promise<{ s: number }[]>((resolve) => {
        read.onsuccess = () => resolve(read.result as { s: number }[]);
      });
      db.close();
      const seqs = rows.map((r) => r.s);
      await tracker.close({ timeoutMs: 60_000 });
      return { inOneTurn, seqs, stats: tracker.stats(), key: run.key };
    }, rig.mlflow.url);
    expect(result.inOneTurn).toBe(1);
    // Gapless from the run's first record (its start tags) through the 503 of this turn.
    const first = result.seqs[0] ?? 0;
    expect(result.seqs).toEqual(Array.from({ length: result.seqs.length }, (_, i) => first + i));
    expect(result.seqs.length).toBeGreaterThanOrEqual(503);
    expect(result.stats.pending).toBe(0);
    const [run, ...others] = await runsByKey(rig.mlflow.url, "browser-store-commit", result.key);
    expect(others).toEqual([]);
    expect(run?.info.status).toBe("FINISHED");
    expect(await metricHistory(rig.mlflow.url, run?.info.run_id ?? "", "loss")).toHaveLength(500);
    await context.close();
  });

  it("keeps what a page logged while the server was unreachable across a reload; the next load continues the run and sends it exactly once", async () => {
    const context = await rig.browser.newContext();
    const page = await openPage(context);
    const experiment = "browser-store-reload";
    const stopFailing = rig.proxy.use(/\/api\//, reset);
    const first = await page.evaluate(
      async ({ uri, experiment }) => {
        const tracker = new mltrail.Tracker({ trackingUri: uri, experiment, requestTimeoutMs: 2000, retryMaxMs: 500 });
        const run = await tracker.startRun({ name: "fit", resume: "auto" });
        for (let step = 0; step < 300; step++) {
          run.logMetrics({ loss: 1 / (step + 1), acc: step / 300 }, { step });
          if (step % 50 === 49) await new Promise((r) => setTimeout(r, 0)); // several turns
        }
        run.logParams({ lr: 0.01 });
        await run.flush();
        return { key: run.key, remote: run.remoteId ?? null, pending: tracker.stats().pending };
      },
      { uri: rig.proxy.url, experiment },
    );
    expect(first.remote).toBeNull(); // the server never answered
    expect(first.pending).toBeGreaterThanOrEqual(601);
    await page.reload();
    await page.waitForFunction(() => typeof mltrail === "object");
    stopFailing();
    const second = await page.evaluate(
      async ({ uri, experiment }) => {
        const tracker = new mltrail.Tracker({ trackingUri: uri, experiment, requestTimeoutMs: 5000, retryMaxMs: 500 });
        const run = await tracker.startRun({ name: "fit", resume: "auto", params: { lr: 0.01 } });
        const from = (run.lastStep("loss") ?? -1) + 1;
        for (let step = from; step < 600; step++) run.logMetrics({ loss: 1 / (step + 1), acc: step / 300 }, { step });
        await run.end();
        const flushed = await tracker.flush({ timeoutMs: 120_000 });
        await tracker.close({ timeoutMs: 1000 });
        return { key: run.key, from, flushed };
      },
      { uri: rig.proxy.url, experiment },
    );
    expect(second.key).toBe(first.key);
    expect(second.from).toBe(300);
    expect(second.flushed.pending).toBe(0);
    const runs = await runsByKey(rig.mlflow.url, experiment, first.key);
    expect(runs).toHaveLength(1);
    const run = runs[0];
    expect(run?.info.status).toBe("FINISHED");
    expect(run?.data.params).toEqual([{ key: "lr", value: "0.01" }]);
    for (const key of ["loss", "acc"]) {
      const steps = (await metricHistory(rig.mlflow.url, run?.info.run_id ?? "", key)).map((p) => p.step).sort((a, b) => a - b);
      expect(steps).toEqual(Array.from({ length: 600 }, (_, i) => i));
    }
    await context.close();
  });

  it("reports a full storage quota as StorageFullError, throws it once the memory bound is reached, and stores everything once space is back", async () => {
    // Chromium applies a quota override to a profile on disk, not to an off-the-record context.
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-quota-"));
    const context = await chromium.launchPersistentContext(profile, { executablePath, args: [...CHROMIUM_ARGS] });
    const page = await openPage(context);
    const cdp = await context.newCDPSession(page);
    const experiment = "browser-store-quota";
    // Before the first write: Chromium keeps an origin's quota once its storage is in use.
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: rig.pages.origin, quotaSize: 64 * 1024 });
    await page.evaluate(
      async ({ uri, experiment }) => {
        const w = globalThis as unknown as PageGlobals;
        const tracker = new mltrail.Tracker({ trackingUri: uri, experiment, maxQueuedRecords: 200, replicationIntervalMs: 60_000 });
        w.errors = [];
        tracker.on("error", (e) => w.errors.push(`${e.name}: ${e.message}`));
        w.tracker = tracker;
        w.run = await tracker.startRun({ name: "quota" });
      },
      { uri: rig.mlflow.url, experiment },
    );
    const full = await page.evaluate(async () => {
      const w = globalThis as unknown as PageGlobals;
      // Random text: Chromium compresses IndexedDB values, so repeated characters would not fill a quota.
      const noise = (): string => Array.from(crypto.getRandomValues(new Uint8Array(3500)), (b) => b.toString(16).padStart(2, "0")).join("");
      let logged = 0;
      let thrown: string | undefined;
      for (let i = 0; i < 400 && thrown === undefined; i++) {
        try {
          w.run.setTag(`t${i}`, `${i}:${noise()}`);
          logged++;
        } catch (e) {
          thrown = `${(e as Error).name}: ${(e as Error).message}`;
        }
        await new Promise((r) => setTimeout(r, 5)); // one commit per tag
      }
      return { logged, thrown, errors: w.errors };
    });
    expect(full.errors.some((e) => e.startsWith("StorageFullError:") && e.includes("QuotaExceededError"))).toBe(true);
    expect(full.thrown).toMatch(/^StorageFullError: .*at most 200.*stored nothing/);
    expect(full.logged).toBeLessThan(400);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: rig.pages.origin });
    const done = await page.evaluate(async () => {
      const w = globalThis as unknown as PageGlobals;
      await w.tracker.flush({ timeoutMs: 120_000 }); // the queue is at its bound: store it before the end record
      await w.run.end();
      const flushed = await w.tracker.flush({ timeoutMs: 120_000 });
      return { flushed, key: w.run.key };
    });
    expect(done.flushed.pending).toBe(0);
    const [run] = await runsByKey(rig.mlflow.url, experiment, done.key);
    const tags = (run?.data.tags ?? []).filter((t) => /^t\d+$/.test(t.key));
    expect(tags).toHaveLength(full.logged);
    expect(tags.every((t) => t.value.startsWith(`${t.key.slice(1)}:`))).toBe(true);
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  });
});

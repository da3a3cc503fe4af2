/**
 * The model registry of mltrail/browser in real headless Chromium against a real MLflow 3.18
 * server that allows the page's origin only through `--cors-allowed-origins`:
 * - a release made in the page right after logging records the run's params and metrics
 *   (the tracker waits until the server has the run's records), follows the Node semver rules
 *   (identical content → same version, a bump → the next one), and Node's tracker reads the
 *   same release record back;
 * - bad arguments are ValidationErrors naming the field, the value and the rule;
 * - `loadModel("name@^1")` of the browser `mltrail/tfjs` loads, in the page, a TF.js model
 *   saved and released from Node, and predicts exactly what Node's model predicts.
 * Everything is checked on the server through MLflow's REST API.
 *
 * Needs `npx tsup` first (dist/browser/). Without Chromium the suite is skipped with a loud
 * message, unless env CI is set: then it fails.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker as NodeTracker } from "../../src/index.js";
import { saveModel } from "../../src/integrations/tfjs.js";
import { type BrowserStack, startBrowserStack } from "../support/browser-stack.js";
import { executablePath, haveChromium } from "../support/chromium.js";

const MISSING = `Chromium was not found at ${executablePath} (set CHROMIUM_PATH, or apt-get install chromium): the browser registry tests`;
if (!haveChromium && !process.env["CI"]) process.stderr.write(`\n${"!".repeat(78)}\nSKIPPED: ${MISSING} are skipped.\n${"!".repeat(78)}\n`);
if (!haveChromium && process.env["CI"]) throw new Error(`CI is set and ${MISSING} cannot run.`);

/** What the page sees of `window.mltrail` (the built mltrail/browser) and `window.mltrailTfjs`. */
declare const mltrail: typeof import("../../src/browser/index.js");
declare const mltrailTfjs: typeof import("../../src/integrations/tfjs-browser.js");
/** The page's TF.js (`?tf`). */
declare const pageTf: typeof import("@tensorflow/tfjs");

const HARNESS = "/test/fixtures/browser/harness.html";
const DIGEST_A = `sha256:${"a".repeat(64)}`;
const DIGEST_B = `sha256:${"b".repeat(64)}`;
let stack: BrowserStack;
let spool: string;

/** A model version as MLflow's REST API returns it, with its tags as a map. */
interface ServerVersion {
  readonly version: string;
  readonly run_id: string;
  readonly tags: Record<string, string>;
}

/** Every MLflow version of model `name`, oldest first, read through REST. */
async function serverVersions(name: string): Promise<ServerVersion[]> {
  const url = `${stack.mlflow.url}/api/2.0/mlflow/model-versions/search?filter=${encodeURIComponent(`name='${name}'`)}`;
  const body = (await (await fetch(url)).json()) as { model_versions?: { version: string; run_id: string; tags?: { key: string; value: string }[] }[] };
  return (body.model_versions ?? [])
    .map((v) => ({ version: v.version, run_id: v.run_id, tags: Object.fromEntries((v.tags ?? []).map((t) => [t.key, t.value])) }))
    .sort((a, b) => Number(a.version) - Number(b.version));
}

function nodeTracker(experiment: string): NodeTracker {
  return new NodeTracker({
    trackingUri: stack.mlflow.url,
    spoolDir: fs.mkdtempSync(path.join(spool, "node-")),
    experiment,
    captureContext: false,
    handleExit: false,
    replicationIntervalMs: 50,
    logLevel: "error",
  });
}

describe.skipIf(!haveChromium)("mltrail/browser model registry in headless Chromium", () => {
  beforeAll(async () => {
    stack = await startBrowserStack();
    spool = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-browser-registry-"));
    await tf.setBackend("cpu");
  });
  afterAll(async () => {
    await stack?.close();
    if (spool !== undefined) fs.rmSync(spool, { recursive: true, force: true });
  });

  it("a release made right after logging records the run's params and metrics, under Node's semver rules, and Node reads the same release", async () => {
    const page = await stack.open(HARNESS);
    const name = "browser-digits";
    const got = await page.evaluate(
      async ({ uri, name, a, b }) => {
        // A long replication interval: the records are still in IndexedDB when registerModel is called.
        const tracker = new mltrail.Tracker({ trackingUri: uri, experiment: "browser-registry", requestTimeoutMs: 5000, replicationIntervalMs: 600_000 });
        const run = await tracker.startRun({ name: "fit" });
        run.logParams({ lr: 0.01, units: 8 });
        run.logMetric("acc", 0.5, { step: 0 });
        run.logMetric("acc", 0.75, { step: 1 });
        const pendingBefore = tracker.stats().pending;
        const first = await tracker.registerModel(name, { runId: run.id, contentDigest: a, rationale: "trained in the page" });
        await run.end();
        const same = await tracker.registerModel(name, { runId: run.id, contentDigest: a });
        const next = await tracker.registerModel(name, { runId: run.id, contentDigest: b, bump: "minor", rationale: "new weights" });
        const resolved = await tracker.getModelVersion(`${name}@^1`);
        const exact = await tracker.getModelVersion(name, "1.0.0");
        await tracker.close({ timeoutMs: 30_000 });
        return { runId: run.id, pendingBefore, first, same: same.version, next: next.version, resolved: resolved.version, exact: exact.version };
      },
      { uri: stack.mlflow.url, name, a: DIGEST_A, b: DIGEST_B },
    );
    expect(got.pendingBefore).toBeGreaterThan(0);
    expect(got.first).toMatchObject({ name, version: "1.0.0", runId: got.runId, params: { lr: "0.01", units: "8" }, metrics: { acc: 0.75 } });
    expect(got.first.rationale).toBe("trained in the page");
    expect(got.same).toBe("1.0.0"); // identical content: no new version
    expect(got.next).toBe("1.1.0");
    expect(got.resolved).toBe("1.1.0");
    expect(got.exact).toBe("1.0.0");

    // On the server: two MLflow versions of the run, with mltrail's semver and release record.
    const versions = await serverVersions(name);
    expect(versions.map((v) => [v.run_id, v.tags["mltrail.version"]])).toEqual([
      [got.runId, "1.0.0"],
      [got.runId, "1.1.0"],
    ]);
    const release = JSON.parse(versions[0]?.tags["mltrail.release"] ?? "{}") as { params?: unknown; metrics?: unknown; contentDigest?: unknown };
    expect(release).toMatchObject({ params: { lr: "0.01", units: "8" }, metrics: { acc: 0.75 }, contentDigest: DIGEST_A });

    // Node's tracker reads the page's release as its own.
    const node = nodeTracker("browser-registry-node");
    try {
      const mv = await node.getModelVersion(`${name}@1.0.0`);
      expect(mv).toMatchObject({ version: "1.0.0", runId: got.runId, params: { lr: "0.01", units: "8" }, metrics: { acc: 0.75 }, contentDigest: DIGEST_A });
      expect((await node.getModelVersion(`${name}@latest`)).version).toBe("1.1.0");
    } finally {
      await node.close();
    }
    await page.context().close();
  });

  it("bad registry arguments in the page are ValidationErrors naming the field, the value and the rule", async () => {
    const page = await stack.open(HARNESS);
    const errors = await page.evaluate(
      async ({ uri }) => {
        const tracker = new mltrail.Tracker({ trackingUri: uri, experiment: "browser-registry-bad", requestTimeoutMs: 5000 });
        const run = await tracker.startRun({ name: "fit" });
        const attempts: [string, () => Promise<unknown>][] = [
          ["bump", () => tracker.registerModel("m", { runId: run.id, bump: "huge" as "major" })],
          ["digest", () => tracker.registerModel("m", { runId: run.id, contentDigest: "abc" })],
          ["version", () => tracker.registerModel("m", { runId: run.id, version: "v1.0.0" })],
          ["ref", () => tracker.getModelVersion("m", 42 as unknown as string)],
        ];
        const out: Record<string, { name: string; field: string; rule: string; message: string }> = {};
        for (const [what, call] of attempts) {
          try {
            await call();
            out[what] = { name: "no error", field: "", rule: "", message: "" };
          } catch (e) {
            const err = e as { name: string; field?: string; rule?: string; message: string };
            out[what] = {
              name: err instanceof mltrail.ValidationError ? "ValidationError" : err.name,
              field: err.field ?? "",
              rule: err.rule ?? "",
              message: err.message,
            };
          }
        }
        await run.end();
        await tracker.close({ timeoutMs: 30_000 });
        return out;
      },
      { uri: stack.mlflow.url },
    );
    expect(errors["bump"]).toMatchObject({ name: "ValidationError", field: "options.bump", rule: "must be major, minor or patch" });
    expect(errors["bump"]?.message).toContain('"huge"');
    expect(errors["digest"]).toMatchObject({ name: "ValidationError", field: "options.contentDigest" });
    expect(errors["digest"]?.rule).toContain("sha256 (64 hex digits)");
    expect(errors["version"]).toMatchObject({ name: "ValidationError" });
    expect(errors["version"]?.message).toContain("v1.0.0");
    expect(errors["ref"]).toMatchObject({ name: "ValidationError", field: "ref" });
    await page.context().close();
  });

  it("a release while the server cannot take the run's records is a StateError, and nothing is released", async () => {
    const page = await stack.open(HARNESS);
    const name = "browser-unacked";
    const runId = await page.evaluate(
      async ({ uri }) => {
        const w = globalThis as unknown as { tracker: InstanceType<typeof mltrail.Tracker>; run: InstanceType<typeof mltrail.Run> };
        w.tracker = new mltrail.Tracker({
          trackingUri: uri,
          experiment: "browser-registry-down",
          requestTimeoutMs: 2000,
          retryMaxMs: 500,
          closeTimeoutMs: 3000,
        });
        w.run = await w.tracker.startRun({ name: "fit" });
        return w.run.id;
      },
      { uri: stack.mlflow.url },
    );
    await stack.mlflow.stop();
    let got: { name: string; message: string; pending: number };
    try {
      got = await page.evaluate(
        async ({ name }) => {
          const w = globalThis as unknown as { tracker: InstanceType<typeof mltrail.Tracker>; run: InstanceType<typeof mltrail.Run> };
          w.run.logParams({ lr: 0.01 });
          try {
            await w.tracker.registerModel(name, { runId: w.run.id, contentDigest: `sha256:${"c".repeat(64)}` });
            return { name: "no error", message: "", pending: w.tracker.stats().pending };
          } catch (e) {
            const err = e as Error;
            return { name: err instanceof mltrail.StateError ? "StateError" : err.name, message: err.message, pending: w.tracker.stats().pending };
          }
        },
        { name },
      );
    } finally {
      await stack.mlflow.start();
    }
    expect(got.name).toBe("StateError");
    // How many depends on whether the run's start records were acknowledged before the stop.
    expect(got.message).toMatch(new RegExp(`run "${runId}" has [1-9]\\d* record\\(s\\) the server has not acknowledged`));
    expect(got.pending).toBeGreaterThan(0);
    // The param is still sent once the server is back; no version was created.
    const pending = await page.evaluate(async () => {
      const w = globalThis as unknown as { tracker: InstanceType<typeof mltrail.Tracker>; run: InstanceType<typeof mltrail.Run> };
      await w.run.end();
      return (await w.tracker.close({ timeoutMs: 120_000 })).pending;
    });
    expect(pending).toBe(0);
    expect(await serverVersions(name)).toEqual([]);
    const run = (await (await fetch(`${stack.mlflow.url}/api/2.0/mlflow/runs/get?run_id=${runId}`)).json()) as {
      run: { data: { params?: { key: string; value: string }[] } };
    };
    expect(run.run.data.params).toEqual([{ key: "lr", value: "0.01" }]);
    await page.context().close();
  });

  it("loadModel('name@^1') in the page loads a TF.js model released from Node and predicts what Node's model predicts", async () => {
    const name = "browser-load";
    const input = Array.from({ length: 12 }, (_, i) => Math.sin(i));
    const node = nodeTracker("browser-load-node");
    let expected: number[];
    try {
      const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4, activation: "relu" }), tf.layers.dense({ units: 1 })] });
      model.compile({ optimizer: "sgd", loss: "meanSquaredError" });
      expected = Array.from((model.predict(tf.tensor2d(input, [4, 3])) as tf.Tensor).dataSync());
      await node.withRun({ name: "fit" }, async (run) => {
        const saved = await saveModel(run, model, { artifactPath: "model" });
        await node.registerModel(name, { runId: run.id, ...saved, rationale: "released from Node" });
      });
      expect((await node.flush()).pending ?? 0).toBe(0);
    } finally {
      await node.close();
    }
    const page = await stack.open(`${HARNESS}?tf`);
    const got = await page.evaluate(
      async ({ uri, name, input }) => {
        const ptf = (globalThis as unknown as { tf: typeof pageTf }).tf;
        await ptf.setBackend("cpu");
        const tracker = new mltrail.Tracker({ trackingUri: uri, experiment: "browser-load", requestTimeoutMs: 10_000 });
        const mv = await tracker.getModelVersion(`${name}@^1`);
        const model = (await mltrailTfjs.loadModel(tracker, `${name}@^1`)) as unknown as import("@tensorflow/tfjs").LayersModel;
        const out = Array.from((model.predict(ptf.tensor2d(input, [4, 3])) as import("@tensorflow/tfjs").Tensor).dataSync());
        await tracker.close({ timeoutMs: 1000 });
        return { version: mv.version, source: mv.source, out };
      },
      { uri: stack.mlflow.url, name, input },
    );
    expect(got.version).toBe("1.0.0");
    expect(got.source).toMatch(/^runs:\/[0-9a-f]{32}\/model$/);
    expect(got.out).toEqual(expected);
    expect(stack.site.requests).toContain("/node_modules/@tensorflow/tfjs/dist/tf.fesm.min.js");
    await page.context().close();
  });
});

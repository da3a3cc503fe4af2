/**
 * Outcomes survive a crash like any other record: a child (running the built `dist/`) exposes
 * units and records outcomes, flushes, reports what it logged, and is SIGKILLed; a new tracker
 * analyzes the test and sees every flushed exposure and outcome.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { type BuiltAbSdk, distIndexUrl, toyAbStore } from "../fixtures/crash/ab-store.js";
import { Child } from "../fixtures/crash/harness.js";

const CHILD = `
const [distUrl, root] = process.argv.slice(1);
const sdk = await import(distUrl);
if (typeof sdk.createAbTest !== "function") throw new Error("dist/index.js does not export createAbTest: export src/ab from src/index.ts and rebuild");
const tracker = new sdk.Tracker({ trackingUri: root, captureContext: false });
const test = await sdk.createAbTest(tracker, { key: "crash-ab", variants: [{ model: "toy", ref: "1.0.0" }, { model: "toy", ref: "1.1.0" }] });
const exposures = [0, 0], conversions = [0, 0];
for (let i = 0; i < 2000; i++) {
  const { variantIndex } = test.assign("u" + i);
  exposures[variantIndex]++;
  if (i % (variantIndex === 1 ? 5 : 8) === 0) { test.recordOutcome("u" + i, "converted", 1); conversions[variantIndex]++; }
}
await test.flush();
console.log("flushed " + JSON.stringify({ runId: test.run.id, exposures, conversions }));
// Keep logging without flushing until killed: these may or may not survive.
setInterval(() => { for (let i = 0; i < 50; i++) test.assign("late-" + Math.random()); }, 1);
`;

let store: { root: string; cleanup(): void };
let sdk: BuiltAbSdk;

beforeAll(async () => {
  ({ store, sdk } = await toyAbStore("ab-crash"));
});

afterAll(() => store?.cleanup());

it("exposures and outcomes flushed before SIGKILL are all in the analysis", async () => {
  const child = new Child(process.execPath, ["--input-type=module", "-e", CHILD, distIndexUrl(), store.root], {});
  const line = await child.waitFor(/^flushed /, 60_000);
  await new Promise((resolve) => setTimeout(resolve, 100));
  child.kill("SIGKILL");
  expect((await child.exit()).signal).toBe("SIGKILL");
  const logged = JSON.parse(line.slice("flushed ".length)) as { runId: string; exposures: number[]; conversions: number[] };

  const tracker = new sdk.Tracker({ trackingUri: store.root, captureContext: false, handleExit: false });
  try {
    const run = await tracker.getRun(logged.runId);
    expect(run.info.status).toBe("KILLED");
    expect(run.info.crashed).toBe(true);
    const view = await sdk.openAbTest(tracker, "crash-ab");
    const analysis = await view.analyze({ metric: "converted", kind: "binary" });
    expect(analysis.runIds).toEqual([logged.runId]);
    for (const i of [0, 1]) {
      const row = analysis.variants[i];
      // Flushed records are all there; unflushed "late-" exposures may add a few more.
      expect(row?.exposures).toBeGreaterThanOrEqual(logged.exposures[i] ?? 0);
      expect(row?.conversions).toBe(logged.conversions[i]);
    }
    const history = await tracker.getMetricHistory(logged.runId, "ab.converted.v1");
    expect(history.map((m) => m.step)).toEqual(history.map((_, i) => i)); // gap-free prefix
  } finally {
    await tracker.close();
  }
});

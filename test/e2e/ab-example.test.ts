/**
 * The A/B example end to end: examples/ab-inference.ts is started on port 0 (loopback) in a
 * child process, examples/ab-load.ts drives it with a bounded load and prints the analysis,
 * and the store holds the test's record and its exposures.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openAbTest } from "../../src/ab/index.js";
import { Tracker } from "../../src/index.js";
import { Child, tempStore } from "../fixtures/crash/harness.js";

const run = promisify(execFile);
let store: { root: string; cleanup(): void };
let service: Child | undefined;

beforeAll(() => {
  store = tempStore("ab-example");
});

afterAll(async () => {
  if (service !== undefined && service.proc.exitCode === null) {
    service.kill("SIGKILL");
    await service.exit();
  }
  store?.cleanup();
});

it("serves two versions by assignment, records outcomes, and the load script prints the analysis", async () => {
  const env = { MLFLOW_TRACKING_URI: store.root, PORT: "0", AB_KEY: "e2e-ab" };
  service = new Child(process.execPath, ["--import", "tsx", "examples/ab-inference.ts"], env);
  const listening = await service.waitFor(/^listening http:\/\/127\.0\.0\.1:\d+$/, 60_000);
  const url = listening.slice("listening ".length);
  expect(service.lines.join("\n")).toMatch(/ab-toy 1\.0\.0, 1\.1\.0 released; test "e2e-ab"/);

  const { stdout } = await run(process.execPath, ["--import", "tsx", "examples/ab-load.ts", "--url", url, "--requests", "3000", "--concurrency", "8"], {
    env: { ...process.env, ...env },
  });
  expect(stdout).toMatch(/sent 3000 requests for 1500 users .* 0 failures/);
  expect(stdout).toMatch(/A\/B test e2e-ab {2}metric converted \(binary\)/);
  expect(stdout).toMatch(/^v0 \(A\) +ab-toy@1\.0\.0 +0\.500 +\d+/m);
  expect(stdout).toMatch(/^v1 +ab-toy@1\.1\.0 +0\.500 +\d+/m);
  expect(stdout).toMatch(/SRM: chi-square [\d.]+ \(df 1\), p = [\d.e-]+ {2}ok/);
  expect(stdout).toMatch(/decision: (ship B|keep collecting)/);

  service.kill("SIGTERM");
  expect((await service.exit(20_000)).code).toBe(0);

  const tracker = new Tracker({ trackingUri: store.root, captureContext: false, handleExit: false });
  try {
    const view = await openAbTest(tracker, "e2e-ab");
    expect(view.config.variants.map((v) => v.version)).toEqual(["1.0.0", "1.1.0"]);
    const analysis = await view.analyze({ metric: "converted", kind: "binary" });
    // 1500 distinct users, each exposed once, all within coverage 1.
    expect(analysis.variants.reduce((s, v) => s + v.exposures, 0)).toBe(1500);
    // SIGTERM: the SDK's exit hooks end the run (KILLED) with its log complete, not crashed.
    expect((await tracker.getRun(view.runIds[0] as string)).info.crashed).not.toBe(true);
  } finally {
    await tracker.close();
  }
});

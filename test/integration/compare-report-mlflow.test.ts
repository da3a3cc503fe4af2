/**
 * Comparison and the HTML report on the MLflow backend: the same public calls as on the
 * local store, answered by the server.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";
import { mlflowUri } from "../support/mlflow.js";
import { fakeDigest } from "../support/registry.js";

const spool = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-compare-mlflow-"));
const experiment = `compare-${Date.now()}`;
const tracker = new Tracker({ trackingUri: mlflowUri(), spoolDir: spool, experiment, captureContext: false, handleExit: false, replicationIntervalMs: 50 });

afterAll(async () => {
  await tracker.close({ timeoutMs: 10_000 });
  fs.rmSync(spool, { recursive: true, force: true });
});

it("compareRuns, compareModelVersions and report work against the server", async () => {
  const ids: string[] = [];
  for (const [lr, final] of [
    [0.1, 0.5],
    [0.01, 0.2],
  ] as const) {
    ids.push(
      await tracker.withRun({ params: { lr, optimizer: "adam" } }, async (run) => {
        for (let step = 0; step < 50; step++) run.logMetrics({ loss: final + (50 - step) / 100, acc: 1 - final / 2 }, { step });
        return run.id;
      }),
    );
  }
  const flushed = await tracker.flush({ timeoutMs: 30_000 });
  expect(flushed.pending).toBe(0);

  const cmp = await tracker.compareRuns(ids);
  expect(Object.keys(cmp.params.differing)).toEqual(["lr"]);
  expect(cmp.metrics["loss"]?.best?.runId).toBe(ids[1]);
  expect(cmp.metrics["acc"]?.best?.runId).toBe(ids[1]);
  expect(cmp.metrics["loss"]?.perRun[0]?.points).toBe(50);
  expect(cmp.metrics["loss"]?.perRun[1]?.min).toBeCloseTo(0.21, 10);

  const model = `compare-model-${Date.now()}`;
  await tracker.registerModel(model, { runId: ids[0] as string, contentDigest: fakeDigest("a"), rationale: "first" });
  await tracker.registerModel(model, { runId: ids[1] as string, contentDigest: fakeDigest("b"), rationale: "better" });
  const versions = await tracker.compareModelVersions(model, ["1.0.0", "1.1.0"]);
  expect(versions.versions.map((v) => v.version)).toEqual(["1.0.0", "1.1.0"]);

  const output = path.join(spool, "report.html");
  const result = await tracker.report({ runs: ids, output });
  expect(result.data.charts.map((c) => c.metric).sort()).toEqual(["acc", "loss"]);
  const html = fs.readFileSync(output, "utf8");
  expect(html).toContain("<html");
  expect(html).not.toMatch(/<script[^>]+src=/); // self-contained
}, 120_000);

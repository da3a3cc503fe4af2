/**
 * System metrics and console capture against the real MLflow server, read back by MLflow's own
 * Python client: the `system/` keys MLflow's "System metrics" tab lists, their history at steps
 * 0, 1, …, and the captured console as the run's `console/output.log` with secrets masked.
 */
import { afterEach, describe, expect, it } from "vitest";
import { uniqueName } from "../support/mlflow.js";
import { runMlflowPython } from "../support/mlflow-python.js";
import { newTracker, tempDir } from "../fixtures/replication/harness.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Seen {
  systemKeys: string[];
  steps: number[];
  console: string;
}

describe("system metrics and console capture on the MLflow server", () => {
  it("MLflow's Python client reads the system/ metrics by step and the masked console log", async () => {
    const spool = tempDir("system-console");
    const t = newTracker(spool.dir, uniqueName("system-console"), { systemMetrics: { intervalMs: 100 } });
    cleanups.push(spool.cleanup, async () => void (await t.close({ timeoutMs: 5000 })));
    const run = await t.startRun({ name: "sys", captureConsole: true });
    process.stdout.write("training with --password hunter2\n");
    while ((await t.getMetricHistory(run.id, "system/cpu_utilization_percentage")).length < 3) await new Promise((r) => setTimeout(r, 25));
    await run.end();
    expect(await t.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });
    const local = (await t.getMetricHistory(run.id, "system/cpu_utilization_percentage")).map((m) => m.step);

    const seen = await runMlflowPython<Seen>(`
import json, tempfile
from mlflow import MlflowClient
c = MlflowClient()
run_id = ${JSON.stringify(run.id)}
r = c.get_run(run_id)
steps = [m.step for m in c.get_metric_history(run_id, "system/cpu_utilization_percentage")]
with tempfile.TemporaryDirectory() as d:
    text = open(c.download_artifacts(run_id, "console/output.log", d)).read()
print(json.dumps({"systemKeys": sorted(k for k in r.data.metrics if k.startswith("system/")), "steps": sorted(steps), "console": text}))
`);
    expect(seen.systemKeys).toEqual(
      expect.arrayContaining(["system/cpu_utilization_percentage", "system/system_memory_usage_megabytes", "system/process_memory_rss_megabytes"]),
    );
    expect(seen.steps).toEqual(local);
    expect(seen.steps.slice(0, 3)).toEqual([0, 1, 2]);
    expect(seen.console).toContain("training with --password ***\n");
    expect(seen.console).not.toContain("hunter2");
  });
});

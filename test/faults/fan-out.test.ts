/**
 * Fan-out: one tracker replicating its local run log to an MLflow server that is down (every
 * request through the fault proxy gets a 503), a TensorBoard folder and a DVCLive folder. The
 * file targets receive everything while the server is down (its backoff holds nothing of theirs
 * up); each target has its own state and counts in `stats().targets`; once the server heals it
 * receives everything too, exactly once.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "../../src/tracker.js";
import { startFaultProxy, status, type FaultProxy } from "../support/fault-proxy.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";
import { experimentIdOf, metricHistory, searchAllRuns, tempDir, testOptions, toRecord, waitFor } from "./helpers.js";

let proxy: FaultProxy;
let work: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  proxy = await startFaultProxy(mlflowUri());
  work = await tempDir("fan-out");
});
afterAll(async () => {
  await proxy?.close();
  await work?.cleanup();
});

describe("fan-out to three targets, one of them down", () => {
  it("completes the file targets while the server is down, then the server once it heals", { timeout: 180_000 }, async () => {
    const experiment = uniqueName("fan-out");
    const store = path.join(work.dir, "store");
    const tb = path.join(work.dir, "tb");
    const dvc = path.join(work.dir, "dvclive");
    const down = proxy.use(/./, status(503));
    const tracker = new Tracker(
      testOptions(store, experiment, store, { targets: [proxy.url, `tensorboard:${tb}`, `dvc:${dvc}`], retryBaseMs: 20, retryMaxMs: 200 }),
    );
    const run = await tracker.startRun({ name: "fanned λ", params: { lr: 0.01 } });
    for (let step = 0; step < 2000; step++) run.logMetric("loss", 1 / (step + 1), { step, timestamp: 1_700_000_000_000 + step });
    run.logMetric("loss", Number.NaN, { step: 2000, timestamp: 1_700_000_002_000 });
    await run.end();

    const targets = () => tracker.stats().targets ?? {};
    const key = (prefix: string) => Object.keys(targets()).find((k) => k.startsWith(prefix)) as string;
    expect(Object.keys(targets()).sort()).toEqual([key("dvc:"), key("http"), key("tensorboard:")].sort());
    expect(key("tensorboard:")).toBe(`tensorboard:${tb}`);
    // The file targets finish while every request to the server fails.
    await waitFor(() => targets()[key("tensorboard:")]?.pending === 0 && targets()[key("dvc:")]?.pending === 0, 60_000, "file targets done");
    const server = targets()[key("http")];
    expect(server?.pending).toBeGreaterThan(0);
    expect(server?.acked).toBe(0);
    expect(["DEGRADED", "DOWN"]).toContain(server?.state);
    expect(targets()[key("tensorboard:")]).toMatchObject({ state: "UP", rejected: 0 });
    expect(targets()[key("dvc:")]?.acked).toBeGreaterThanOrEqual(2001);

    const runDir = path.join(dvc, experiment, "fanned λ");
    const tsv = fs
      .readFileSync(path.join(runDir, "plots", "metrics", "loss.tsv"), "utf8")
      .trim()
      .split("\n");
    expect(tsv).toHaveLength(2002);
    expect(tsv.at(-1)).toBe("1700000002000\t2000\tnan");
    expect(JSON.parse(fs.readFileSync(path.join(runDir, "metrics.json"), "utf8"))).toEqual({ loss: "nan", step: 2000 });
    expect(fs.readFileSync(path.join(runDir, "params.yaml"), "utf8")).toBe("lr: 0.01\n");
    const events = fs.readdirSync(path.join(tb, experiment, "fanned λ")).filter((f) => f.includes(".tfevents."));
    expect(events).toHaveLength(1);

    // The server heals: it gets the run, every point once.
    down();
    await waitFor(() => targets()[key("http")]?.pending === 0, 120_000, "server target done");
    expect(targets()[key("http")]?.state).toBe("UP");
    const runs = await searchAllRuns(await experimentIdOf(experiment));
    expect(runs).toHaveLength(1);
    const remote = runs[0];
    expect(remote?.info.status).toBe("FINISHED");
    expect(toRecord(remote?.data.params)).toEqual({ lr: "0.01" });
    const history = await metricHistory(remote?.info.run_id as string, "loss");
    expect(history).toHaveLength(2001);
    // The local store answered reads all along, and the file targets were not written again.
    expect((await tracker.getMetricHistory(run.id, "loss")).length).toBe(2001);
    expect(
      fs
        .readFileSync(path.join(runDir, "plots", "metrics", "loss.tsv"), "utf8")
        .trim()
        .split("\n"),
    ).toHaveLength(2002);
    await tracker.close();
  });
});

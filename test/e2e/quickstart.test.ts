/**
 * The quickstart, run as a user would (`npm run quickstart`), logs to the default store and
 * reads its runs back.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { Tracker } from "../../src/index.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

it("npm run quickstart logs two finished runs, releases 1.0.0 and 1.1.0, and prints a summary", async () => {
  const store = await fs.mkdtemp(path.join(os.tmpdir(), "mltrail-quickstart-"));
  try {
    const { stdout } = await run("npm", ["run", "--silent", "quickstart"], { cwd: root, env: { ...process.env, MLFLOW_TRACKING_URI: store } });
    expect(stdout).toMatch(/Logged 2 runs to the local store/);
    expect(stdout).toMatch(/Best run by loss: /);
    const tracker = new Tracker({ trackingUri: store, experiment: "quickstart", captureContext: false, handleExit: false });
    const runs = await tracker.searchRuns({ filter: "tags.example = 'quickstart'", orderBy: ["metrics.loss ASC"] });
    expect(runs).toHaveLength(2);
    for (const r of runs) {
      expect(r.info.status).toBe("FINISHED");
      expect(stdout).toContain(r.info.name);
      expect(await tracker.getMetricHistory(r.info.runId, "batch_loss")).toHaveLength(500);
    }
    expect(stdout).toContain(`Best run by loss: ${runs[0]?.info.name}`);
    expect(stdout).toMatch(/Released quickstart-churn 1\.0\.0 \(champion\) and 1\.1\.0 \(weights changed/);
    expect((await tracker.getModelVersion("quickstart-churn@champion")).version).toBe("1.0.0");
    expect((await tracker.getModelVersion("quickstart-churn@^1")).version).toBe("1.1.0");
    expect((await tracker.modelHistory("quickstart-churn")).map((e) => e.action)).toEqual(["release", "alias", "release"]);
    // TF.js is a dev dependency here, so the quickstart also trains and releases a tiny TF.js model.
    expect(stdout).toMatch(/TF\.js: trained 5 epochs with the callback, released quickstart-tfjs 1\.0\.0/);
    const tfjsModel = await tracker.getModelVersion("quickstart-tfjs@1.0.0");
    expect(tfjsModel.contentDigest).toMatch(/^sha256:/);
    expect((await tracker.listArtifacts(tfjsModel.runId ?? "", "model")).map((e) => e.path)).toEqual(expect.arrayContaining(["model/model.json"]));
    await tracker.close();
  } finally {
    await fs.rm(store, { recursive: true, force: true });
  }
}, 120_000);

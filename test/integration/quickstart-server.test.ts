/**
 * The quickstart, run as a user would with MLFLOW_TRACKING_URI pointing at the real MLflow
 * server, twice: each invocation reads back its own runs exactly as it logged them, right
 * after logging them (no `RUNNING lr=? loss=undefined (0 points)`).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { mlflowUri } from "../support/mlflow.js";
import { ensureDist, projectRoot, tempDir } from "../fixtures/replication/harness.js";

const exec = promisify(execFile);
const spool = tempDir("quickstart-server");

beforeAll(async () => {
  await ensureDist();
}, 200_000);
afterAll(() => spool.cleanup());

async function quickstart(): Promise<string> {
  const tsx = path.join(projectRoot, "node_modules", ".bin", "tsx");
  const env = { ...process.env, MLFLOW_TRACKING_URI: mlflowUri(), MLTRAIL_SPOOL_DIR: spool.dir, MLTRAIL_LOG_LEVEL: "warn" };
  const { stdout } = await exec(tsx, ["examples/quickstart.ts"], { cwd: projectRoot, env, timeout: 240_000 });
  return stdout;
}

it("`npm run quickstart` against a server, twice: every run reads back FINISHED with its params, metrics and 500 points", { timeout: 600_000 }, async () => {
  for (let invocation = 0; invocation < 2; invocation++) {
    const out = await quickstart();
    expect(out).toContain(`Logged 2 runs to the tracking server ${mlflowUri()}`);
    const lines = out.split("\n").filter((l) => / lr=/.test(l));
    expect(lines, out).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/ FINISHED +lr=0\.0[13] loss=0\.\d{4} acc=0\.\d{4} \(500 batch_loss points\)$/);
    // Two trainings have different metrics, so the second release is a new version.
    expect(out).toMatch(/Released quickstart-churn \d+\.\d+\.\d+ .*and \d+\.\d+\.\d+ \(weights changed/);
  }
});

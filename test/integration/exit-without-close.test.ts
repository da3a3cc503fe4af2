/**
 * A script that returns without tracker.close() still tells the server how its runs ended:
 * when the event loop empties, the tracker ends open runs and sends what is unacknowledged
 * (bounded by exitFlushTimeoutMs). The replication interval is set to a minute so only the
 * exit path can have sent the records.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mlflowUri } from "../support/mlflow.js";
import { ensureDist, replicationFixturesDir, serverHistory, serverRun, tempDir } from "../fixtures/replication/harness.js";

const run = promisify(execFile);
const spool = tempDir("mltrail-no-close-");
const experiment = `no-close-${Date.now()}`;

beforeAll(async () => {
  await ensureDist();
}, 120_000);
afterAll(() => spool.cleanup());

describe("a script that never calls close()", () => {
  for (const mode of ["ended", "open"] as const) {
    it(`${mode === "ended" ? "ended its run" : "left its run open"}: the server has every record and the run FINISHED`, async () => {
      const { stdout } = await run(
        process.execPath,
        [path.join(replicationFixturesDir, "no-close.mjs"), mlflowUri(), path.join(spool.dir, mode), experiment, mode],
        { timeout: 60_000 },
      );
      const runId = stdout.trim();
      const remote = await serverRun(runId);
      expect(remote.info.status).toBe("FINISHED");
      expect(remote.info.end_time).toBeGreaterThan(0);
      expect((await serverHistory(runId, "m")).map((m) => m.value)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    }, 90_000);
  }
});

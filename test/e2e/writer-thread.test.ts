/**
 * The built package's writer thread (dist/writer-thread.js) runs: a child process running the
 * built `dist/` logs in a steady loop, and once the thread took over, its own thread makes no
 * write system call; every point reads back as logged. (The unit tests start the thread from
 * its TypeScript source.)
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { Tracker } from "../../src/index.js";

const run = promisify(execFile);
const dist = pathToFileURL(path.resolve(import.meta.dirname, "../../dist/index.js")).href;

const CHILD = `
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { Tracker } from ${JSON.stringify(dist)};
const tracker = new Tracker({ trackingUri: process.argv[1], experiment: "loop", durability: "interval", captureContext: false, handleExit: false, logLevel: "error" });
const run = await tracker.startRun({ name: "steady" });
const turn = () => new Promise(setImmediate);
const log = async (from, to) => {
  for (let step = from; step < to; step++) {
    run.logMetrics({ loss: 1 / (step + 3), "größe": step * 0.5 }, { step });
    await turn();
  }
};
await log(0, 100); // 100 group commits: the thread takes over
const original = fs.writeSync;
let writes = 0;
fs.writeSync = (...args) => { writes++; return original(...args); };
syncBuiltinESMExports();
await log(100, 400);
fs.writeSync = original;
syncBuiltinESMExports();
await run.end();
await tracker.close();
console.log(JSON.stringify({ writes, runId: run.id }));
`;

it("the built writer thread takes a steady loop's writes, and every point reads back", async () => {
  const store = await fs.mkdtemp(path.join(os.tmpdir(), "mltrail-writer-thread-"));
  try {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", CHILD, store]);
    const { writes, runId } = JSON.parse(stdout.trim()) as { writes: number; runId: string };
    expect(writes).toBe(0);
    const tracker = new Tracker({ trackingUri: store, experiment: "loop", captureContext: false, handleExit: false });
    const loss = await tracker.getMetricHistory(runId, "loss");
    expect(loss.map((p) => [p.step, p.value])).toEqual(Array.from({ length: 400 }, (_, step) => [step, 1 / (step + 3)]));
    const size = await tracker.getMetricHistory(runId, "größe");
    expect(size.map((p) => p.value)).toEqual(Array.from({ length: 400 }, (_, step) => step * 0.5));
    expect((await tracker.getRun(runId)).info.status).toBe("FINISHED");
    await tracker.close();
  } finally {
    await fs.rm(store, { recursive: true, force: true });
  }
});

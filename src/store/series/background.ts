/**
 * Builds a long run's point files while it is written, so that its first history read does
 * not fold the whole journal: at each segment rotation and at the run's end the writer calls
 * {@link buildSeriesSoon}, which runs the build (series-worker.ts) in a worker thread, never
 * on the thread that logs. One build per run at a time (a call meanwhile runs one more after
 * it); the worker does not keep the process alive and is stopped at exit (crash-safe: see
 * series-index.ts). Without the built worker file (running from the TypeScript sources) it
 * does nothing and readers build the files as before.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { seriesDir } from "./manifest.js";
import { SERIES_SUPPORTED } from "./series-index.js";

/** File name of the built worker, next to the bundle (or one folder up, for dist/cli). */
const WORKER_FILE = "series-worker.js";
const running = new Map<string, { again: boolean }>();
let located: string | null | undefined;

/** The built worker script, or null when there is none (sources, or a bundle without it). */
function workerScript(): string | null {
  if (located !== undefined) return located;
  // ESM: import.meta.url. The CJS build (esbuild) empties `import.meta`, and there `__filename` is defined.
  const url: unknown = import.meta.url;
  const here = path.dirname(typeof url === "string" ? fileURLToPath(url) : __filename);
  located = [path.join(here, WORKER_FILE), path.join(here, "..", WORKER_FILE)].find((f) => fs.existsSync(f)) ?? null;
  return located;
}

function start(script: string, runDir: string, journal: string): void {
  const state = { again: false };
  running.set(runDir, state);
  let worker: Worker;
  try {
    worker = new Worker(script, { workerData: { dir: seriesDir(runDir), journal }, stdout: true, stderr: true });
  } catch {
    running.delete(runDir);
    return;
  }
  worker.unref();
  worker.on("error", () => undefined);
  worker.on("exit", () => {
    running.delete(runDir);
    if (state.again) start(script, runDir, journal);
  });
}

/**
 * Brings the point files of the run in `runDir` up to date with its journal in a worker
 * thread, soon. Never throws; returns at once.
 */
export function buildSeriesSoon(runDir: string, journal: string): void {
  const script = workerScript();
  if (script === null || !SERIES_SUPPORTED) return;
  const busy = running.get(runDir);
  if (busy !== undefined) busy.again = true;
  else start(script, runDir, journal);
}

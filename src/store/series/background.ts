/**
 * Builds a long run's point files while it is written, so that its first history read does
 * not fold the whole journal: at each segment rotation and at the run's end the writer calls
 * {@link buildSeriesSoon}, which runs the build (series-worker.ts) in a worker thread, never
 * on the thread that logs. One build per run at a time (a call meanwhile runs one more after
 * it); the worker does not keep the process alive and is stopped at exit (crash-safe: see
 * series-index.ts). `tracker.close()` waits for the builds of its store
 * ({@link seriesBuildsSettled}), so nothing of mltrail writes into a store once it is closed.
 * Without the built worker file (running from the TypeScript sources) it does nothing and
 * readers build the files as before.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { builtWorkerScript } from "../../log/worker-script.js";
import { seriesDir } from "./manifest.js";
import { SERIES_SUPPORTED } from "./series-index.js";

/** File name of the built worker, next to the bundle (or one folder up, for dist/cli). */
const WORKER_FILE = "series-worker.js";
/** A run's build: its worker, whether to run one more after it, and its end (the worker's exit). */
interface Build {
  again: boolean;
  readonly worker: Worker;
  readonly ended: Promise<void>;
}
const running = new Map<string, Build>();

function start(script: string, runDir: string, journal: string): void {
  let worker: Worker;
  try {
    worker = new Worker(script, { workerData: { dir: seriesDir(runDir), journal }, stdout: true, stderr: true });
  } catch {
    return;
  }
  worker.unref();
  worker.on("error", () => undefined);
  const state: Build = { again: false, worker, ended: new Promise((resolve) => worker.once("exit", () => resolve())) };
  running.set(runDir, state);
  worker.once("exit", () => {
    running.delete(runDir);
    if (state.again) start(script, runDir, journal);
  });
}

/** The builds running for runs under `root`. */
function buildsUnder(root: string): Build[] {
  const builds: Build[] = [];
  for (const [runDir, build] of running) {
    const rel = path.relative(root, runDir);
    if (rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel)) builds.push(build);
  }
  return builds;
}

/**
 * Resolves once no point-file build runs for a run under the store `root` (those started
 * meanwhile included). After `timeoutMs` the builds still running are stopped instead, which
 * is as safe as an exit during a build: readers build what is missing.
 * @example `await seriesBuildsSettled(store.layout.root, 30_000)`
 */
export async function seriesBuildsSettled(root: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<true>((resolve) => {
    timer = setTimeout(() => resolve(true), Math.max(0, timeoutMs));
  });
  try {
    for (let builds = buildsUnder(root); builds.length > 0; builds = buildsUnder(root)) {
      if (await Promise.race([Promise.all(builds.map((b) => b.ended)).then(() => false), late])) {
        const stopping = buildsUnder(root);
        for (const build of stopping) build.again = false;
        await Promise.all(stopping.map((b) => b.worker.terminate()));
        return;
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Brings the point files of the run in `runDir` up to date with its journal in a worker
 * thread, soon. Never throws; returns at once.
 */
export function buildSeriesSoon(runDir: string, journal: string): void {
  const script = builtWorkerScript(WORKER_FILE);
  if (script === null || !SERIES_SUPPORTED) return;
  const busy = running.get(runDir);
  if (busy !== undefined) busy.again = true;
  else start(script, runDir, journal);
}

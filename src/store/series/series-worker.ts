/**
 * Worker thread entry (built as `dist/series-worker.js`): brings one run's point files up to
 * date with its journal (series-index.ts `updateSeries`), then exits. Started by
 * background.ts off the writer's main thread; a busy lock (a reader builds them), an error or
 * being stopped at process exit all leave a store that answers the same (the files are
 * derived data, replaced atomically).
 */
import { workerData } from "node:worker_threads";
import { updateSeries } from "./series-index.js";

const { dir, journal } = workerData as { dir: string; journal: string };
try {
  await updateSeries(dir, journal);
} catch {
  // Busy, or the run folder went away: a reader builds them on its first history read.
}

/**
 * `mltrail sync --to tensorboard:<folder>`: exports the runs of a local run log as TensorBoard
 * event files.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { exportToTensorBoard, Tracker } from "../index.js";
import { progress } from "./progress.js";

/** The URI scheme that selects the TensorBoard export. */
export const TENSORBOARD_SCHEME = "tensorboard:";

/** Exports the run log `dir` (default MLTRAIL_SPOOL_DIR, else ./mltrail) to the folder in `to`. */
export async function syncToTensorBoard(to: string, opts: { dir?: string; run?: string; json?: boolean }): Promise<void> {
  const outDir = to.slice(TENSORBOARD_SCHEME.length).replace(/^\/\/(?=\.|\/)/, "");
  if (outDir === "") throw new Error(`--to ${to}: give a folder after "tensorboard:", e.g. tensorboard:./tb`);
  const dir = path.resolve(opts.dir ?? (process.env["MLTRAIL_SPOOL_DIR"] || "./mltrail"));
  if (!fs.existsSync(dir))
    throw new Error(`no local run log to export: ${dir} does not exist; give the folder runs were logged to with --dir (or MLTRAIL_SPOOL_DIR)`);
  const tracker = new Tracker({ trackingUri: dir, handleExit: false, captureContext: false, drainOnStart: false });
  const shown = opts.json === true ? undefined : progress("tensorboard", "runs");
  try {
    const result = await exportToTensorBoard(tracker, {
      outDir,
      ...(opts.run === undefined ? {} : { runIds: [opts.run] }),
      onProgress: ({ runs, runsDone, points }) => shown?.update(runsDone, runs, `${points} points`),
    });
    shown?.stop();
    if (opts.json === true) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stdout.write(`exported ${result.runs.length} run(s), ${result.points} points, to ${outDir} (view with: tensorboard --logdir ${outDir})\n`);
    }
  } finally {
    shown?.stop();
    await tracker.close();
  }
}

/**
 * `mltrail sync --to tensorboard:<folder>` / `--to dvc:<folder>`: exports the runs of a local
 * run log as TensorBoard event files or DVCLive folders.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { exportToDvc, exportToTensorBoard, Tracker } from "../index.js";
import { progress } from "./progress.js";

/** The file targets `--to` accepts, by URI scheme. */
const TARGETS = {
  "tensorboard:": {
    name: "tensorboard",
    example: "tensorboard:./tb",
    run: (tracker: Tracker, outDir: string, runIds: readonly string[] | undefined, onProgress: Progress) =>
      exportToTensorBoard(tracker, { outDir, ...(runIds === undefined ? {} : { runIds }), onProgress }),
    done: (outDir: string) => `view with: tensorboard --logdir ${outDir}`,
  },
  "dvc:": {
    name: "dvc",
    example: "dvc:./dvclive",
    run: (tracker: Tracker, outDir: string, runIds: readonly string[] | undefined, onProgress: Progress) =>
      exportToDvc(tracker, { outDir, ...(runIds === undefined ? {} : { runIds }), onProgress }),
    done: () => `then, in a git repository with DVC: dvc metrics show; dvc plots show; dvc exp save (one run, --run)`,
  },
} as const;

type Progress = (p: { runs: number; runsDone: number; points: number }) => void;

/** The export scheme `to` names (`tensorboard:` or `dvc:`), if any. */
export function exportScheme(to: string | undefined): keyof typeof TARGETS | undefined {
  return Object.keys(TARGETS).find((s) => to?.startsWith(s)) as keyof typeof TARGETS | undefined;
}

/**
 * Exports the run log `dir` (default MLTRAIL_SPOOL_DIR, else ./mltrail) to the folder in `to`.
 * With `--run`, the DVC export writes that run straight into the folder (DVCLive's own layout).
 */
export async function syncToFiles(to: string, opts: { dir?: string; run?: string; json?: boolean }): Promise<void> {
  const scheme = exportScheme(to);
  if (scheme === undefined) throw new Error(`--to ${to}: not a file target`);
  const target = TARGETS[scheme];
  const outDir = to.slice(scheme.length).replace(/^\/\/(?=\.|\/)/, "");
  if (outDir === "") throw new Error(`--to ${to}: give a folder after "${scheme}", e.g. ${target.example}`);
  const dir = path.resolve(opts.dir ?? (process.env["MLTRAIL_SPOOL_DIR"] || "./mltrail"));
  if (!fs.existsSync(dir))
    throw new Error(`no local run log to export: ${dir} does not exist; give the folder runs were logged to with --dir (or MLTRAIL_SPOOL_DIR)`);
  const tracker = new Tracker({ trackingUri: dir, handleExit: false, captureContext: false, drainOnStart: false });
  const shown = opts.json === true ? undefined : progress(target.name, "runs");
  try {
    const result = await target.run(tracker, outDir, opts.run === undefined ? undefined : [opts.run], ({ runs, runsDone, points }) =>
      shown?.update(runsDone, runs, `${points} points`),
    );
    shown?.stop();
    if (opts.json === true) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stdout.write(`exported ${result.runs.length} run(s), ${result.points} points, to ${outDir} (${target.done(outDir)})\n`);
    }
  } finally {
    shown?.stop();
    await tracker.close();
  }
}

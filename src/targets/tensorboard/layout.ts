/**
 * Where an export puts each run (`<outDir>/<experiment>/<runName or runId>/`) and how a re-export
 * replaces the previous file of the same run instead of adding a second copy of every point.
 *
 * @packageDocumentation
 */
import * as fs from "node:fs";
import * as path from "node:path";

export { folderName } from "../runs.js";

/** The file in each run folder naming the run and the event file mltrail wrote there. */
export const MARKER = ".mltrail-tensorboard.json";

/** What `MARKER` holds. */
export interface ExportMarker {
  /** The run exported into this folder. */
  readonly runId: string;
  /** Base name of the event file written by the last export. */
  readonly file: string;
}

/** Reads a run folder's marker; undefined when absent or not ours. */
export function readMarker(dir: string): ExportMarker | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MARKER), "utf8")) as Partial<ExportMarker>;
    return typeof m.runId === "string" && typeof m.file === "string" ? { runId: m.runId, file: m.file } : undefined;
  } catch {
    return undefined;
  }
}

/** Records `file` as the run's export and removes the file an earlier export wrote, if any. */
export function replacePrevious(dir: string, runId: string, file: string): void {
  const previous = readMarker(dir);
  const tmp = path.join(dir, `${MARKER}.tmp`);
  fs.writeFileSync(tmp, `${JSON.stringify({ runId, file: path.basename(file) } satisfies ExportMarker)}\n`);
  fs.renameSync(tmp, path.join(dir, MARKER));
  if (previous !== undefined && previous.runId === runId && previous.file !== path.basename(file) && /^events\.out\.tfevents\./.test(previous.file)) {
    fs.rmSync(path.join(dir, previous.file), { force: true });
  }
}

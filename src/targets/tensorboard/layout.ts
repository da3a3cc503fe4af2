/**
 * Where an export puts each run (`<outDir>/<experiment>/<runName or runId>/`) and how a re-export
 * replaces the previous file of the same run instead of adding a second copy of every point.
 *
 * @packageDocumentation
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The file in each run folder naming the run and the event file mltrail wrote there. */
export const MARKER = ".mltrail-tensorboard.json";

/** What `MARKER` holds. */
export interface ExportMarker {
  /** The run exported into this folder. */
  readonly runId: string;
  /** Base name of the event file written by the last export. */
  readonly file: string;
}

/**
 * One path segment from a user name: path separators, characters Windows forbids and control
 * characters become `_`; `""`, `.` and `..` become `_`; at most 120 characters.
 * @example `folderName("cv/fold 1")` → `"cv_fold 1"`
 */
export function folderName(name: string): string {
  const s = name.replace(/[/\\:*?"<>|\u0000-\u001f\u007f]/g, "_").slice(0, 120);
  return s === "" || s === "." || s === ".." ? "_" : s;
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

/**
 * The folder for a run: `<experimentDir>/<runName>`, unless another run already owns that name
 * (in this export, or in an earlier one per its marker); then `<runName>-<runId>`.
 */
export function runFolder(experimentDir: string, runName: string, runId: string, taken: Set<string>): string {
  const base = folderName(runName === "" ? runId : runName);
  let name = base;
  const owner = readMarker(path.join(experimentDir, name))?.runId;
  if (taken.has(name) || (owner !== undefined && owner !== runId)) name = folderName(`${base}-${runId}`);
  taken.add(name);
  return path.join(experimentDir, name);
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

/**
 * What every file target shares: the read API an export needs, the choice of runs to export,
 * and where each run goes (`<outDir>/<experiment>/<runName or runId>/`, with a marker file in
 * the folder naming the run so a re-export replaces it and another run never overwrites it).
 *
 * @packageDocumentation
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ValidationError } from "../errors.js";
import type { Experiment, RunRecord } from "../model/types.js";
import type { RunReader } from "../tracker-api.js";

/** Largest run search a tracker answers in one call. */
const SEARCH_LIMIT = 50_000;

/**
 * What an export reads: a `Tracker` satisfies it.
 * @example `const source: ExportSource = tracker;`
 */
export interface ExportSource extends Pick<RunReader, "getRun" | "getMetricHistories" | "searchRuns"> {
  /** See `Tracker.listExperiments`. */
  listExperiments(): Promise<Experiment[]>;
}

/** Checks an export's `outDir` option. */
export function checkOutDir(outDir: unknown): string {
  if (typeof outDir !== "string" || outDir === "") throw new ValidationError("options.outDir", outDir, "must be a non-empty folder path");
  return outDir;
}

/**
 * The runs an export writes: `runIds` when given (filtered by `experiment` when both are),
 * else every run of the wanted experiments (all when `experiment` is undefined), oldest first.
 */
export async function selectRuns(
  source: ExportSource,
  experiments: readonly Experiment[],
  experiment: string | readonly string[] | undefined,
  runIds: readonly string[] | undefined,
): Promise<RunRecord[]> {
  const wanted = experiment === undefined ? undefined : typeof experiment === "string" ? [experiment] : [...experiment];
  if (runIds !== undefined) {
    const runs = await Promise.all(runIds.map((id) => source.getRun(id)));
    if (wanted === undefined) return runs;
    const ids = new Set(experiments.filter((e) => wanted.includes(e.name)).map((e) => e.experimentId));
    return runs.filter((r) => ids.has(r.info.experimentId));
  }
  const names = wanted ?? experiments.map((e) => e.name);
  if (names.length === 0) return [];
  const runs = await source.searchRuns({ experiment: names, orderBy: ["attributes.start_time ASC"], maxResults: SEARCH_LIMIT });
  if (runs.length === SEARCH_LIMIT) {
    throw new ValidationError("options.experiment", names, `matches ${SEARCH_LIMIT} runs or more; export fewer at a time with runIds`);
  }
  return runs;
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

/** The run id in a folder's marker file `markerName`; undefined when absent or not ours. */
export function markerRunId(dir: string, markerName: string): string | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, markerName), "utf8")) as { runId?: unknown };
    return typeof m.runId === "string" ? m.runId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The folder for a run: `<experimentDir>/<runName>`, unless another run already owns that name
 * (in this export, or in an earlier one per its marker `markerName`); then `<runName>-<runId>`.
 */
export function runFolder(experimentDir: string, runName: string, runId: string, taken: Set<string>, markerName: string): string {
  const base = folderName(runName === "" ? runId : runName);
  let name = base;
  const owner = markerRunId(path.join(experimentDir, name), markerName);
  if (taken.has(name) || (owner !== undefined && owner !== runId)) name = folderName(`${base}-${runId}`);
  taken.add(name);
  return path.join(experimentDir, name);
}

/**
 * Folder of each run in an export, `<outDir>/<experiment name>/<run folder>`, names kept unique.
 * @example `const place = runPlacer(outDir, experiments, MARKER); const dir = place(run);`
 */
export function runPlacer(outDir: string, experiments: readonly Experiment[], markerName: string): (run: RunRecord) => string {
  const byId = new Map(experiments.map((e) => [e.experimentId, e.name]));
  const taken = new Map<string, Set<string>>();
  return (run) => {
    const experimentDir = path.join(outDir, folderName(byId.get(run.info.experimentId) ?? run.info.experimentId));
    const names = taken.get(experimentDir) ?? new Set<string>();
    taken.set(experimentDir, names);
    return runFolder(experimentDir, run.info.name, run.info.runId, names, markerName);
  };
}

/**
 * `exportToTensorBoard`: writes existing runs as TensorBoard event files, one folder per run,
 * reading them through the public read API only (so any tracker, local or server-backed, works).
 *
 * @packageDocumentation
 */
import * as path from "node:path";
import { ValidationError } from "../../errors.js";
import type { Experiment, Metric, RunRecord, RunStatus } from "../../model/types.js";
import type { RunReader } from "../../tracker-api.js";
import { EventFileWriter } from "./event-file.js";
import { runFolder, folderName, replacePrevious } from "./layout.js";
import { encodeTag, sessionEndEvent, sessionStartEvent, textEvent, type HParamValue, type SessionStatus } from "./proto.js";

/** Largest run search a tracker answers in one call. */
const SEARCH_LIMIT = 50_000;

/**
 * What `exportToTensorBoard` reads: a `Tracker` satisfies it.
 * @example `const source: TensorBoardSource = tracker;`
 */
export interface TensorBoardSource extends Pick<RunReader, "getRun" | "getMetricHistories" | "searchRuns"> {
  /** See `Tracker.listExperiments`. */
  listExperiments(): Promise<Experiment[]>;
}

/**
 * Progress of an export, reported after each run.
 * @example `{ runs: 3, runsDone: 1, points: 1200, runId: "…" }`
 */
export interface TensorBoardExportProgress {
  /** Runs to export. */
  readonly runs: number;
  /** Runs written so far. */
  readonly runsDone: number;
  /** Metric points written so far. */
  readonly points: number;
  /** The run just written. */
  readonly runId: string;
}

/**
 * Options of `exportToTensorBoard`.
 * @example `{ outDir: "./tb", experiment: "churn" }`
 */
export interface TensorBoardExportOptions {
  /** The TensorBoard log directory (`tensorboard --logdir <outDir>`). Created if missing. */
  readonly outDir: string;
  /** Only runs of these experiments. @default every experiment */
  readonly experiment?: string | readonly string[];
  /** Only these runs (local or server ids); combined with `experiment` when both are given. @default every run */
  readonly runIds?: readonly string[];
  /** Write the HParams plugin's session summaries (params, status). @default true */
  readonly hparams?: boolean;
  /** Write each tag as a text summary `tags/<key>`. @default true */
  readonly tags?: boolean;
  /** Called after each run. @default none */
  readonly onProgress?: (progress: TensorBoardExportProgress) => void;
}

/**
 * One exported run.
 * @example `{ runId: "…", dir: "tb/churn/baseline", file: "tb/churn/baseline/events.out.tfevents.…", points: 100, bytes: 5120 }`
 */
export interface TensorBoardRunExport {
  /** The run. */
  readonly runId: string;
  /** Its folder (a TensorBoard "run"). */
  readonly dir: string;
  /** The event file written. */
  readonly file: string;
  /** Metric points written. */
  readonly points: number;
  /** Size of the event file. */
  readonly bytes: number;
}

/**
 * What `exportToTensorBoard` wrote.
 * @example `{ outDir: "tb", runs: [...], points: 1200, bytes: 61440 }`
 */
export interface TensorBoardExportResult {
  /** The log directory. */
  readonly outDir: string;
  /** One entry per run. */
  readonly runs: readonly TensorBoardRunExport[];
  /** Metric points written in all. */
  readonly points: number;
  /** Bytes of event files written in all. */
  readonly bytes: number;
}

/**
 * Writes runs as TensorBoard event files under `<outDir>/<experiment>/<runName or runId>/`:
 * every metric point as a scalar (`simple_value`, a float32), params and status for the HParams
 * tab, tags as text. Running it again replaces each run's previous export.
 *
 * @example
 * ```ts
 * const tracker = new Tracker();
 * const { runs, points } = await exportToTensorBoard(tracker, { outDir: "./tb" });
 * // then: tensorboard --logdir ./tb
 * ```
 */
export async function exportToTensorBoard(source: TensorBoardSource, options: TensorBoardExportOptions): Promise<TensorBoardExportResult> {
  if (typeof options?.outDir !== "string" || options.outDir === "") {
    throw new ValidationError("options.outDir", options?.outDir, "must be a non-empty folder path");
  }
  const experiments = await source.listExperiments();
  const byId = new Map(experiments.map((e) => [e.experimentId, e.name]));
  const wanted = options.experiment === undefined ? undefined : typeof options.experiment === "string" ? [options.experiment] : [...options.experiment];
  const runs = await selectRuns(source, experiments, wanted, options.runIds);
  const taken = new Map<string, Set<string>>();
  const out: TensorBoardRunExport[] = [];
  let points = 0;
  let bytes = 0;
  for (const run of runs) {
    const experimentDir = path.join(options.outDir, folderName(byId.get(run.info.experimentId) ?? run.info.experimentId));
    const names = taken.get(experimentDir) ?? new Set<string>();
    taken.set(experimentDir, names);
    const dir = runFolder(experimentDir, run.info.name, run.info.runId, names);
    const histories = await source.getMetricHistories(run.info.runId);
    const written = writeRun(dir, run, histories, options);
    out.push(written);
    points += written.points;
    bytes += written.bytes;
    options.onProgress?.({ runs: runs.length, runsDone: out.length, points, runId: run.info.runId });
  }
  return { outDir: options.outDir, runs: out, points, bytes };
}

async function selectRuns(
  source: TensorBoardSource,
  experiments: readonly Experiment[],
  wanted: readonly string[] | undefined,
  runIds: readonly string[] | undefined,
): Promise<RunRecord[]> {
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

/** HParams session status of a run status. */
function sessionStatus(status: RunStatus): SessionStatus {
  if (status === "FINISHED") return 1;
  if (status === "FAILED" || status === "KILLED") return 2;
  return 3;
}

/** A param as an hparam: a string that is exactly a number's shortest form becomes that number. */
function hparamValue(value: string): HParamValue {
  const n = Number(value);
  return value.trim() !== "" && Number.isFinite(n) && String(n) === value ? n : value;
}

function writeRun(
  dir: string,
  run: RunRecord,
  histories: Readonly<Record<string, readonly Metric[]>>,
  options: TensorBoardExportOptions,
): TensorBoardRunExport {
  const { info, data } = run;
  const startSecs = info.startTime / 1000;
  const writer = EventFileWriter.open(dir, Date.now());
  let points = 0;
  try {
    if (options.hparams !== false) {
      const hparams: Record<string, HParamValue> = {};
      for (const [k, v] of Object.entries(data.params)) hparams[k] = hparamValue(v);
      writer.record(sessionStartEvent(startSecs, hparams, info.runId, startSecs));
    }
    if (options.tags !== false) {
      for (const [k, v] of Object.entries(data.tags)) writer.record(textEvent(startSecs, 0, `tags/${k}`, v));
    }
    for (const [key, history] of Object.entries(histories)) {
      const tag = encodeTag(key);
      // TensorBoard's reader drops points whose step goes back ("orphaned" data), so each
      // metric is written in step order; points of one step keep their logged order.
      const ordered = isSortedByStep(history) ? history : [...history].sort((a, b) => a.step - b.step);
      for (const m of ordered) writer.scalar(tag, m.timestamp / 1000, m.step, m.value);
      points += history.length;
    }
    if (options.hparams !== false && info.endTime !== undefined) {
      const endSecs = info.endTime / 1000;
      writer.record(sessionEndEvent(endSecs, sessionStatus(info.status), endSecs));
    }
    const file = writer.close();
    replacePrevious(dir, info.runId, file);
    return { runId: info.runId, dir, file, points, bytes: writer.bytes };
  } catch (error) {
    writer.abort();
    throw error;
  }
}

function isSortedByStep(history: readonly Metric[]): boolean {
  for (let i = 1; i < history.length; i++) if ((history[i] as Metric).step < (history[i - 1] as Metric).step) return false;
  return true;
}

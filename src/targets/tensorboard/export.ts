/**
 * `exportToTensorBoard`: writes existing runs as TensorBoard event files, one folder per run,
 * reading them through the public read API only (so any tracker, local or server-backed, works).
 *
 * @packageDocumentation
 */
import type { Metric, RunRecord, RunStatus } from "../../model/types.js";
import { checkOutDir, type ExportSource, runPlacer, selectRuns } from "../runs.js";
import { EventFileWriter } from "./event-file.js";
import { MARKER, replacePrevious } from "./layout.js";
import { encodeTag, sessionEndEvent, sessionStartEvent, textEvent, type HParamValue, type SessionStatus } from "./proto.js";

/**
 * What `exportToTensorBoard` reads: a `Tracker` satisfies it.
 * @example `const source: TensorBoardSource = tracker;`
 */
export interface TensorBoardSource extends ExportSource {}

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
  checkOutDir(options?.outDir);
  const experiments = await source.listExperiments();
  const runs = await selectRuns(source, experiments, options.experiment, options.runIds);
  const place = runPlacer(options.outDir, experiments, MARKER);
  const out: TensorBoardRunExport[] = [];
  let points = 0;
  let bytes = 0;
  for (const run of runs) {
    const dir = place(run);
    const histories = await source.getMetricHistories(run.info.runId);
    const written = writeRun(dir, run, histories, options);
    out.push(written);
    points += written.points;
    bytes += written.bytes;
    options.onProgress?.({ runs: runs.length, runsDone: out.length, points, runId: run.info.runId });
  }
  return { outDir: options.outDir, runs: out, points, bytes };
}

/** HParams session status of a run status. */
export function sessionStatus(status: RunStatus): SessionStatus {
  if (status === "FINISHED") return 1;
  if (status === "FAILED" || status === "KILLED") return 2;
  return 3;
}

/** A param as an hparam: a string that is exactly a number's shortest form becomes that number. */
export function hparamValue(value: string): HParamValue {
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

/**
 * `exportToDvc`: writes existing runs as DVCLive folders, so `dvc metrics show/diff`,
 * `dvc params diff`, `dvc plots show/diff` and `dvc exp show` read them. Reads through the public
 * read API only (any tracker, local or server-backed, works).
 *
 * @packageDocumentation
 */
import { ValidationError } from "../../errors.js";
import { checkOutDir, type ExportSource, runPlacer, selectRuns } from "../runs.js";
import { DVC_MARKER, DvcRunDir } from "./run-dir.js";

/**
 * Progress of an export, reported after each run.
 * @example `{ runs: 3, runsDone: 1, points: 1200, runId: "…" }`
 */
export interface DvcExportProgress {
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
 * Options of `exportToDvc`.
 * @example `{ outDir: "./dvclive", runIds: [runId] }`
 */
export interface DvcExportOptions {
  /**
   * Where to write. With `flat`, the DVCLive folder itself (what `Live("dvclive")` writes);
   * otherwise one DVCLive folder per run under `<outDir>/<experiment>/<runName or runId>/`.
   * Created if missing; best inside a git repository where `dvc init` ran.
   */
  readonly outDir: string;
  /** Only runs of these experiments. @default every experiment */
  readonly experiment?: string | readonly string[];
  /** Only these runs (local or server ids); combined with `experiment` when both are given. @default every run */
  readonly runIds?: readonly string[];
  /**
   * Write the one selected run straight into `outDir`, DVCLive's own layout: the way to record a
   * run as a DVC experiment (`dvc exp save`) or a commit that `dvc metrics diff` compares with
   * the next. The selection must be exactly one run.
   * @default true when `runIds` names exactly one run, else false
   */
  readonly flat?: boolean;
  /** Called after each run. @default none */
  readonly onProgress?: (progress: DvcExportProgress) => void;
}

/**
 * One exported run.
 * @example `{ runId: "…", dir: "dvclive/churn/baseline", points: 100, bytes: 2480 }`
 */
export interface DvcRunExport {
  /** The run. */
  readonly runId: string;
  /** Its DVCLive folder. */
  readonly dir: string;
  /** Metric points written. */
  readonly points: number;
  /** Bytes of TSV plots written. */
  readonly bytes: number;
}

/**
 * What `exportToDvc` wrote.
 * @example `{ outDir: "dvclive", runs: [...], points: 1200, bytes: 30720 }`
 */
export interface DvcExportResult {
  /** The folder given. */
  readonly outDir: string;
  /** One entry per run. */
  readonly runs: readonly DvcRunExport[];
  /** Metric points written in all. */
  readonly points: number;
  /** Bytes of TSV plots written in all. */
  readonly bytes: number;
}

/**
 * Writes runs as DVCLive folders: `metrics.json` (each metric's latest value, nested by `/`),
 * `plots/metrics/<key>.tsv` (every point: `timestamp`, `step`, value, in logged order),
 * `params.yaml`, and a `dvc.yaml` in the folder declaring them. Running it again replaces each
 * run's previous export; a folder holding DVCLive files mltrail did not write is refused.
 *
 * @example
 * ```ts
 * const tracker = new Tracker();
 * await exportToDvc(tracker, { outDir: "./dvclive", runIds: [runId] });
 * // then: dvc metrics show; dvc plots show; git add dvclive && dvc exp save
 * ```
 */
export async function exportToDvc(source: ExportSource, options: DvcExportOptions): Promise<DvcExportResult> {
  const outDir = checkOutDir(options?.outDir);
  const experiments = await source.listExperiments();
  const runs = await selectRuns(source, experiments, options.experiment, options.runIds);
  const flat = options.flat ?? options.runIds?.length === 1;
  if (flat && runs.length !== 1) {
    throw new ValidationError("options.flat", flat, `writes exactly one run into outDir, but the selection has ${runs.length}; pick one with runIds`);
  }
  const place = flat ? () => outDir : runPlacer(outDir, experiments, DVC_MARKER);
  const out: DvcRunExport[] = [];
  let points = 0;
  let bytes = 0;
  for (const run of runs) {
    const histories = await source.getMetricHistories(run.info.runId);
    const dir = DvcRunDir.create(place(run), run.info.runId);
    let n = 0;
    for (const [key, history] of Object.entries(histories)) {
      dir.appendPoints(key, history);
      n += history.length;
    }
    dir.writeSummary(run.data.metrics, run.data.params);
    out.push({ runId: run.info.runId, dir: dir.dir, points: n, bytes: dir.bytes });
    points += n;
    bytes += dir.bytes;
    options.onProgress?.({ runs: runs.length, runsDone: out.length, points, runId: run.info.runId });
  }
  return { outDir, runs: out, points, bytes };
}

/**
 * One DVCLive folder holding one run: `metrics.json`, `params.yaml`, `plots/metrics/<key>.tsv`,
 * `dvc.yaml`, and `.mltrail-dvc.json` naming the run. Written whole by the export, or appended
 * to point by point by a live target; the small files are replaced atomically (temp + rename).
 *
 * @packageDocumentation
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ValidationError } from "../../errors.js";
import type { Metric } from "../../model/types.js";
import { markerRunId } from "../runs.js";
import { dvcYamlText, formatValue, metricFile, paramsText, summaryOf, summaryText, tsvHeader } from "./format.js";

/** The file in each DVCLive folder mltrail wrote, naming its run. */
export const DVC_MARKER = ".mltrail-dvc.json";

/** The files of a DVCLive folder an export replaces. */
const OWNED = ["metrics.json", "params.yaml", "dvc.yaml", path.join("plots", "metrics")];

/** Rows buffered before a write to a TSV file. */
const CHUNK_ROWS = 16_384;

/** Writes `text` to `file` through a temp file and a rename, so a reader never sees half of it. */
function replaceFile(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** The TSV rows of `points`, in their order. */
function* rows(points: readonly Metric[]): Generator<string> {
  let chunk = "";
  let n = 0;
  for (const m of points) {
    chunk += `${m.timestamp}\t${m.step}\t${formatValue(m.value)}\n`;
    if (++n === CHUNK_ROWS) {
      yield chunk;
      chunk = "";
      n = 0;
    }
  }
  if (chunk !== "") yield chunk;
}

/**
 * A DVCLive folder for one run.
 * @example
 * ```ts
 * const dir = DvcRunDir.create("dvclive", runId);
 * dir.appendPoints("loss", history);
 * dir.writeSummary(run.data.metrics, run.data.params);
 * ```
 */
export class DvcRunDir {
  /** Bytes written to TSV files so far. */
  bytes = 0;
  /** Highest step written so far. */
  maxStep: number | undefined;
  private readonly plotsDir: string;

  private constructor(
    /** The folder. */
    readonly dir: string,
    /** The run it holds. */
    readonly runId: string,
  ) {
    this.plotsDir = path.join(dir, "plots", "metrics");
  }

  /**
   * Starts the folder afresh for `runId`: removes what an earlier export (of any run) wrote.
   * Refuses a folder holding DVCLive files that mltrail did not write (they are not replaced).
   */
  static create(dir: string, runId: string): DvcRunDir {
    const owner = markerRunId(dir, DVC_MARKER);
    if (owner === undefined) {
      const foreign = OWNED.filter((f) => fs.existsSync(path.join(dir, f)));
      if (foreign.length > 0) {
        throw new ValidationError(
          "options.outDir",
          dir,
          `already holds ${foreign.join(", ")} that mltrail did not write; export to another folder or remove them`,
        );
      }
    }
    for (const f of OWNED) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    replaceFile(path.join(dir, DVC_MARKER), `${JSON.stringify({ runId })}\n`);
    return new DvcRunDir(dir, runId);
  }

  /** Continues the folder of `runId` written by a live target (its files are kept). */
  static resume(dir: string, runId: string, maxStep: number | undefined): DvcRunDir {
    const d = new DvcRunDir(dir, runId);
    d.maxStep = maxStep;
    return d;
  }

  /** Appends `points` of metric `key` to its TSV file (created with its header when new). */
  appendPoints(key: string, points: readonly Metric[]): void {
    if (points.length === 0) return;
    const file = path.join(this.plotsDir, metricFile(key));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, "a");
    try {
      if (fs.fstatSync(fd).size === 0) this.bytes += fs.writeSync(fd, tsvHeader(key));
      for (const chunk of rows(points)) this.bytes += fs.writeSync(fd, chunk);
    } finally {
      fs.closeSync(fd);
    }
    for (const m of points) if (this.maxStep === undefined || m.step > this.maxStep) this.maxStep = m.step;
  }

  /**
   * Writes `metrics.json` (the latest value of each metric), `params.yaml` and `dvc.yaml`
   * declaring what the folder holds.
   */
  writeSummary(latest: Readonly<Record<string, number>>, params: Readonly<Record<string, string>>): void {
    const hasParams = Object.keys(params).length > 0;
    const hasMetrics = Object.keys(latest).length > 0;
    if (hasParams) replaceFile(path.join(this.dir, "params.yaml"), paramsText(params));
    if (hasMetrics) replaceFile(path.join(this.dir, "metrics.json"), summaryText(summaryOf(latest, this.maxStep)));
    const hasPlots = fs.existsSync(this.plotsDir);
    replaceFile(path.join(this.dir, "dvc.yaml"), dvcYamlText({ params: hasParams, metrics: hasMetrics, plots: hasPlots }));
  }
}

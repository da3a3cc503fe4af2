/**
 * The HTML report: `writeReport` (read a tracker, write one self-contained file) and its parts.
 *
 * @packageDocumentation
 */
import { mkdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { collectReportData, type ReportData, type ReportSource, type ReportTracker } from "./data.js";
import { renderReport } from "./render.js";

/**
 * Options of {@link Tracker.report | tracker.report} (and of `mltrail report`): what to report on,
 * and where to write it.
 * @example `{ experiment: "churn", output: "report.html" }`
 */
export interface WriteReportOptions extends ReportSource {
  /** Path of the HTML file to write (folders are created). */
  readonly output: string;
}

/**
 * What {@link Tracker.report | tracker.report} wrote.
 * @example `const { path, bytes } = await tracker.report({ experiment: "churn", output: "r.html" });`
 */
export interface WriteReportResult {
  /** Absolute path of the file. */
  readonly path: string;
  /** Size in bytes. */
  readonly bytes: number;
  /** The data shown. */
  readonly data: ReportData;
}

/**
 * Writes a self-contained HTML report (charts of every metric over steps with the runs
 * overlaid, a summary table, the params diff and, for a model, the release timeline and
 * lineage) for an experiment, a list of runs or a model. Works with both backends: it uses the
 * tracker's public read API only.
 * @example
 * ```ts
 * await writeReport(tracker, { experiment: "churn", output: "report.html" });
 * await writeReport(tracker, { runs: [a.id, b.id], output: "ab.html", title: "lr sweep" });
 * await writeReport(tracker, { model: "churn-clf", output: "releases.html" });
 * ```
 */
export async function writeReport(tracker: ReportTracker, options: WriteReportOptions): Promise<WriteReportResult> {
  const data = await collectReportData(tracker, options);
  const html = renderReport(data);
  const file = path.resolve(options.output);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, html, "utf8");
  return { path: file, bytes: Buffer.byteLength(html), data };
}

export { renderReport } from "./render.js";
export { collectReportData, toSeries } from "./data.js";
export type { ReportData, ReportSource, ReportTracker, ChartData, ChartSeries } from "./data.js";
export { lttb, lttbIndices } from "./lttb.js";
export type { Series } from "./lttb.js";
export { loadChartAssets } from "./assets.js";
export type { ChartAssets } from "./assets.js";

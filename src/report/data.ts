/**
 * Gathers what a report shows from a tracker (public API only): the runs compared, their
 * metric curves downsampled with LTTB, and for a model its versions and registry history.
 *
 * @packageDocumentation
 */
import type { Metric, RunRecord } from "../model/types.js";
import type { AuditEntry } from "../registry/store.js";
import type { ArtifactReader, ModelReader } from "../tracker-api.js";
import type { CompareReleaseExplanationsOptions } from "../compare/release-explanations.js";
import { collectExplanations, type ReportExplanations } from "./explanations.js";
import { compareModelVersions, type ModelComparison } from "../compare/models.js";
import { buildRunComparison, metricKeys, readDatasets, readHistories, readRuns, type CompareSource, type RunComparison } from "../compare/runs.js";
import { directionOf, knownDirection, type Direction } from "../compare/direction.js";
import { lttb } from "./lttb.js";
import { defined } from "../internal/defined.js";

/**
 * What to report on: an experiment, runs by id, or a model; plus presentation options.
 * @example `{ experiment: "churn", output: "report.html" }`
 */
export interface ReportSource {
  /** Every run of this experiment (the first `maxRuns`, newest first). */
  readonly experiment?: string;
  /** These runs, by id. */
  readonly runs?: readonly string[];
  /** Every version of this model (or `versions`) and their source runs. */
  readonly model?: string;
  /** Versions of `model` to include (exact, range or alias). @default every live version */
  readonly versions?: readonly string[];
  /** Metrics to chart and compare. @default every metric of the runs */
  readonly metrics?: readonly string[];
  /** Direction per metric. @default by name (loss/error minimised, the rest maximised) */
  readonly direction?: Readonly<Record<string, Direction>>;
  /** Most runs of an experiment to include. @default 50 */
  readonly maxRuns?: number;
  /** Title of the page. @default derived from the source, e.g. `Experiment "churn"` */
  readonly title?: string;
  /** Points kept per curve; longer histories are downsampled with LTTB. @default 2000 */
  readonly maxPointsPerSeries?: number;
  /** For a model: which explanation the releases are compared by, and the thresholds of `tracker.compareExplanations`. @default the explanation most releases carry */
  readonly explanation?: CompareReleaseExplanationsOptions;
}

/**
 * One curve of a chart, already downsampled.
 * @example `{ runId: "…", label: "baseline", x: [0, 1], y: [0.9, 0.7], points: 200000 }`
 */
export interface ChartSeries {
  /** Run id. */
  readonly runId: string;
  /** Legend label. */
  readonly label: string;
  /** Steps. */
  readonly x: readonly number[];
  /** Values (finite only). */
  readonly y: readonly number[];
  /** Points in the full history. */
  readonly points: number;
}

/**
 * One chart: a metric over steps, one curve per run.
 * @example `{ metric: "loss", direction: "min", series: [...] }`
 */
export interface ChartData {
  /** Metric key. */
  readonly metric: string;
  /** Which way is better. */
  readonly direction: Direction;
  /** True when the direction was given or the metric's name implies it; otherwise the report shows no arrow and marks no best run. */
  readonly directionKnown?: boolean;
  /** One curve per run having the metric. */
  readonly series: readonly ChartSeries[];
}

/**
 * Everything a report shows (`data` of what `tracker.report` returns). Plain data: it can be
 * built by hand or saved as JSON.
 * @example `const { data } = await tracker.report({ experiment: "churn", output: "r.html" }); data.charts.length`
 */
export interface ReportData {
  /** Page title. */
  readonly title: string;
  /** What the report covers, e.g. `experiment "churn"`. */
  readonly subject: string;
  /** Generation time, ms since the epoch. */
  readonly generatedAt: number;
  /** The runs compared. */
  readonly comparison: RunComparison;
  /** Per-run labels aligned with `comparison.runs` (run name, or `v1.2.0 · name` for models). */
  readonly labels: readonly string[];
  /** One chart per metric. */
  readonly charts: readonly ChartData[];
  /** The model section, for model reports. */
  readonly model?: {
    /** The model's versions compared: semver, aliases, rationale, params and metrics. */
    readonly comparison: ModelComparison;
    /** Every registry change of the model (releases, alias moves, deprecations, …), as `tracker.modelHistory` returns it. */
    readonly history: readonly AuditEntry[];
    /** The feature importances the releases carry (`logExplanation` of `mltrail/explain`), when any does. */
    readonly explanations?: ReportExplanations;
  };
}

/** The tracker API a report reads. @example `collectReportData(tracker, { runs: [a, b] })` */
export type ReportTracker = CompareSource & ModelReader & ArtifactReader;

/**
 * Orders runs so each child follows its parent (when both are reported), its label prefixed
 * with `↳ `.
 * @example `groupByParent(records, labels).labels // ["sweep", "↳ lr=0.1", …]`
 */
export function groupByParent(records: readonly RunRecord[], labels: readonly string[]): { records: RunRecord[]; labels: string[] } {
  const ids = new Set(records.map((r) => r.info.runId));
  const kids = new Map<string, number[]>();
  records.forEach((r, i) => {
    const p = r.info.parentRunId;
    if (p !== undefined && ids.has(p)) kids.set(p, [...(kids.get(p) ?? []), i]);
  });
  const out: { records: RunRecord[]; labels: string[] } = { records: [], labels: [] };
  const seen = new Set<number>();
  const visit = (i: number, depth: number): void => {
    if (seen.has(i)) return;
    seen.add(i);
    const r = records[i] as RunRecord;
    out.records.push(r);
    out.labels.push(`${"↳ ".repeat(depth)}${labels[i] ?? r.info.name}`);
    for (const k of kids.get(r.info.runId) ?? []) visit(k, depth + 1);
  };
  records.forEach((r, i) => {
    const p = r.info.parentRunId;
    if (p === undefined || !ids.has(p)) visit(i, 0);
  });
  for (let i = 0; i < records.length; i++) visit(i, 0);
  return out;
}

/** Sorts a history by step (stable), drops non-finite values, downsamples. */
export function toSeries(runId: string, label: string, history: readonly Metric[], maxPoints: number): ChartSeries {
  let sorted = true;
  for (let i = 1; i < history.length && sorted; i++) sorted = (history[i - 1] as Metric).step <= (history[i] as Metric).step;
  const ordered = sorted ? history : [...history].sort((a, b) => a.step - b.step);
  const x: number[] = [];
  const y: number[] = [];
  for (const p of ordered) {
    if (Number.isFinite(p.value)) {
      x.push(p.step);
      y.push(p.value);
    }
  }
  const down = lttb({ x, y }, maxPoints);
  return { runId, label, x: down.x, y: down.y, points: history.length };
}

async function modelRuns(
  tracker: ReportTracker,
  source: ReportSource & { model: string },
): Promise<{ model: NonNullable<ReportData["model"]>; records: RunRecord[]; labels: string[] }> {
  const comparison = await compareModelVersions(tracker, source.model, source.versions ?? [], {
    allParams: true,
    ...(source.metrics ? { metrics: source.metrics } : {}),
    ...(source.direction ? { direction: source.direction } : {}),
  });
  const history = await tracker.modelHistory(source.model);
  const shown = new Set(comparison.versions.map((v) => v.version));
  const releases = (await tracker.listModelVersions(source.model)).filter((v) => shown.has(v.version));
  const explanations = await collectExplanations(tracker, releases, source.explanation);
  const records: RunRecord[] = [];
  const labels: string[] = [];
  for (const v of comparison.versions) {
    if (v.runId === null || records.some((r) => r.info.runId === v.runId)) continue;
    try {
      const run = await tracker.getRun(v.runId);
      records.push(run);
      labels.push(`v${v.version} · ${run.info.name}`);
    } catch {
      // the source run is gone: the version still shows in the timeline and lineage
    }
  }
  return { model: { comparison, history, ...defined({ explanations }) }, records, labels };
}

/**
 * Reads the report's data. With none of `experiment`, `runs`, `model`, reports on the
 * tracker's experiment.
 * @example `const data = await collectReportData(tracker, { runs: [a.id, b.id] });`
 */
export async function collectReportData(tracker: ReportTracker, source: ReportSource, now: () => number = Date.now): Promise<ReportData> {
  const given = [source.experiment, source.runs, source.model].filter((s) => s !== undefined).length;
  if (given > 1) throw new TypeError("report: give only one of experiment, runs, model");
  let records: RunRecord[];
  let labels: string[];
  let subject: string;
  let model: ReportData["model"];
  if (source.model !== undefined) {
    const m = await modelRuns(tracker, { ...source, model: source.model });
    ({ records, labels, model } = m);
    subject = `model "${source.model}"`;
  } else {
    const maxResults = source.maxRuns ?? 50;
    records = await readRuns(tracker, source.runs ?? { ...defined({ experiment: source.experiment }), maxResults });
    labels = records.map((r) => r.info.name);
    subject =
      source.runs !== undefined ? `${records.length} runs` : source.experiment !== undefined ? `experiment "${source.experiment}"` : "the default experiment";
  }
  ({ records, labels } = groupByParent(records, labels));
  const keys = metricKeys(records, source.metrics);
  const [histories, datasets] = await Promise.all([readHistories(tracker, records, keys), readDatasets(tracker, records)]);
  const options = { allParams: true, ...(source.metrics ? { metrics: source.metrics } : {}), ...(source.direction ? { direction: source.direction } : {}) };
  const comparison = buildRunComparison(records, histories, datasets, options);
  const maxPoints = source.maxPointsPerSeries ?? 2000;
  const charts: ChartData[] = keys.map((metric) => ({
    metric,
    direction: directionOf(metric, source.direction),
    directionKnown: knownDirection(metric, source.direction) !== undefined,
    series: records.flatMap((r, i) => {
      const h = histories.get(r.info.runId)?.get(metric);
      return h === undefined || h.length === 0 ? [] : [toSeries(r.info.runId, labels[i] ?? r.info.name, h, maxPoints)];
    }),
  }));
  return {
    title: source.title ?? `mltrail report: ${subject}`,
    subject,
    generatedAt: now(),
    comparison,
    labels,
    charts,
    ...defined({ model }),
  };
}

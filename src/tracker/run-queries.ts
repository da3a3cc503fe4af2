/**
 * The tracker's reads of runs and experiments: argument checks, then the records logged so
 * far handed to the OS (so the reads see them), then the core's queries.
 */
import type { DatasetInfo } from "../artifacts/run-artifacts.js";
import { checkViewType } from "../lifecycle.js";
import type { Experiment, Metric, RunRecord, RunViewType, SearchRunsOptions, SearchRunsPageRequest } from "../model/types.js";
import { pageOffset, type RunsPage } from "../store/paging.js";
import { checkMaxResults } from "../store/filter.js";
import { checkOptionalString, checkOptions } from "../model/args.js";
import { checkRunId, checkString } from "../model/validate.js";
import { ValidationError } from "../errors.js";
import { checkHistoryOptions, type MetricHistoryOptions } from "../store/series/history-options.js";
import { checkSearchOptions } from "./checks.js";
import type { TrackerSession } from "./session.js";

/** See `Tracker.getRun`. */
export async function getRun(session: TrackerSession, runId: string): Promise<RunRecord> {
  checkRunId("runId", runId);
  session.runs.commitOpen(runId);
  return (await session.core()).queries.getRun(runId);
}

/** A run's facts for a release: complete (from the local log when it holds the run), never a partial server view. */
export async function runFacts(session: TrackerSession, runId: string): Promise<RunRecord> {
  checkRunId("runId", runId);
  session.runs.commitOpen(runId);
  return (await session.core()).queries.runFacts(runId);
}

/** See `Tracker.getMetricHistory` and `Tracker.getSampledMetricHistory`. */
export async function metricHistory(
  session: TrackerSession,
  runId: string,
  key: string,
  options: MetricHistoryOptions | undefined,
  sampled: boolean,
): Promise<Metric[]> {
  checkRunId("runId", runId);
  if (typeof key !== "string") throw new ValidationError("metric key", key, "must be a string");
  const { range, maxResults } = checkHistoryOptions(options, sampled);
  session.runs.commitOpen(runId);
  return (await session.core()).queries.getMetricHistory(runId, key, options === undefined && !sampled ? undefined : { range, maxResults, sampled });
}

/** See `Tracker.getMetricHistories`. */
export async function metricHistories(session: TrackerSession, runId: string, keys?: readonly string[]): Promise<Record<string, Metric[]>> {
  checkRunId("runId", runId);
  if (keys !== undefined && (!Array.isArray(keys) || keys.some((k) => typeof k !== "string")))
    throw new ValidationError("keys", keys, "must be an array of metric keys");
  session.runs.commitOpen(runId);
  return (await session.core()).queries.getMetricHistories(runId, keys);
}

/** See `Tracker.searchRuns`. */
export async function searchRuns(session: TrackerSession, options: SearchRunsOptions): Promise<RunRecord[]> {
  checkSearchOptions(options);
  session.runs.commitOpen();
  const names =
    options.experiment === undefined ? [session.options.experiment] : typeof options.experiment === "string" ? [options.experiment] : options.experiment;
  const view = checkViewType("searchRuns options.runViewType", options.runViewType);
  return (await session.core()).queries.searchRuns(names, { filter: options.filter, orderBy: options.orderBy, maxResults: options.maxResults }, view);
}

/** See `Tracker.searchRunsPage`. */
export async function searchRunsPage(session: TrackerSession, options: SearchRunsPageRequest): Promise<RunsPage> {
  checkSearchOptions(options);
  checkOptionalString("searchRunsPage options.pageToken", options.pageToken);
  // Checked before any experiment is looked up, so a bad token fails the same everywhere.
  pageOffset(options.pageToken);
  checkMaxResults(options.maxResults);
  session.runs.commitOpen();
  const names =
    options.experiment === undefined ? [session.options.experiment] : typeof options.experiment === "string" ? [options.experiment] : options.experiment;
  const view = checkViewType("searchRunsPage options.runViewType", options.runViewType);
  const { filter, orderBy, maxResults, pageToken } = options;
  return (await session.core()).queries.searchRunsPage(names, { filter, orderBy, maxResults, pageToken }, view);
}

/** See `Tracker.getRunDatasets`. */
export async function runDatasets(session: TrackerSession, runId: string): Promise<DatasetInfo[]> {
  checkRunId("runId", runId);
  session.runs.commitOpen(runId);
  return (await session.core()).queries.runDatasets(runId);
}

/** See `Tracker.listExperiments`. */
export async function listExperiments(session: TrackerSession, options: { readonly viewType?: RunViewType }): Promise<Experiment[]> {
  const view = checkViewType("listExperiments options.viewType", checkOptions<{ viewType?: unknown }>("options", options).viewType);
  return (await session.core()).queries.listExperiments(view);
}

/** See `Tracker.getExperimentByName`. */
export async function experimentByName(session: TrackerSession, name: string): Promise<Experiment | undefined> {
  checkString("name", name);
  return (await session.core()).queries.getExperimentByName(name);
}

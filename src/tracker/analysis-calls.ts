/**
 * The tracker's comparison, report and A/B calls: argument checks, then `compare/`, the
 * lazily loaded `report/` and `ab/`, which read through the tracker's narrow API
 * (tracker-api.ts); the tracker passes itself.
 */
import { createAbTest, type AbTest } from "../ab/test.js";
import type { AbTestOptions } from "../ab/types.js";
import {
  compareModelVersions as compareVersions,
  compareReleaseExplanations,
  compareRuns as compareRunRecords,
  type CompareReleaseExplanationsOptions,
  type CompareRunsOptions,
  type ModelComparison,
  type ReleaseExplanationDiff,
  type RunComparison,
} from "../compare/index.js";
import type { SearchRunsOptions } from "../model/types.js";
import { checkOptionalString, checkOptions, checkRequiredOptions, checkStringList, checkStringsIn } from "../model/args.js";
import { checkString } from "../model/validate.js";
import type { ReportTracker, WriteReportOptions, WriteReportResult } from "../report/index.js";
import { checkSearchOptions } from "./checks.js";

/** See `Tracker.compareRuns`. */
export async function compareRuns(
  tracker: Parameters<typeof compareRunRecords>[0],
  runs: readonly string[] | SearchRunsOptions,
  options?: CompareRunsOptions,
): Promise<RunComparison> {
  if (Array.isArray(runs)) checkStringList("runs", runs);
  else checkSearchOptions(checkRequiredOptions("runs", runs));
  checkOptions("options", options);
  return compareRunRecords(tracker, runs, options);
}

/** See `Tracker.compareModelVersions`. */
export async function compareModelVersions(
  tracker: Parameters<typeof compareVersions>[0],
  name: string,
  refs: readonly string[],
  options?: CompareRunsOptions,
): Promise<ModelComparison> {
  checkString("name", name);
  checkStringList("refs", refs);
  checkOptions("options", options);
  return compareVersions(tracker, name, refs, options);
}

/** See `Tracker.compareExplanations`. */
export async function compareExplanations(
  tracker: Parameters<typeof compareReleaseExplanations>[0],
  a: string,
  b: string,
  options?: CompareReleaseExplanationsOptions,
): Promise<ReleaseExplanationDiff> {
  checkString("a", a);
  checkString("b", b);
  checkOptionalString("options.name", checkOptions<CompareReleaseExplanationsOptions>("options", options).name);
  return compareReleaseExplanations(tracker, a, b, options);
}

/** See `Tracker.report`: the report code is loaded on first use. */
export async function report(tracker: ReportTracker, options: WriteReportOptions): Promise<WriteReportResult> {
  checkString("report options.output", checkStringsIn("report options", checkRequiredOptions<WriteReportOptions>("report options", options)).output);
  const { writeReport } = await import("../report/index.js");
  return writeReport(tracker, options);
}

/** See `Tracker.abTest`. */
export async function abTest(tracker: Parameters<typeof createAbTest>[0], options: AbTestOptions): Promise<AbTest> {
  checkStringsIn("abTest options", checkRequiredOptions("abTest options", options));
  return createAbTest(tracker, options);
}

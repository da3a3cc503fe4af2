/**
 * Comparison of runs and model versions: pure logic over the public Tracker API.
 *
 * @packageDocumentation
 */
export { compareRuns, buildRunComparison, GIT_COMMIT_TAG } from "./runs.js";
export type { CompareRunsOptions, CompareSource, ComparedRun, BestEntry, MetricComparison, ParamsComparison, RunComparison, Histories } from "./runs.js";
export { compareModelVersions } from "./models.js";
export type { ComparedVersion, ModelComparison, ModelCompareSource } from "./models.js";
export { defaultDirection, directionOf } from "./direction.js";
export type { Direction } from "./direction.js";
export type { MetricSummary, BestBy } from "./summary.js";
export { compareImportances } from "./explanations.js";
export type { CompareExplanationsOptions, ExplanationDiff, ExplanationFlag, FeatureChange } from "./explanations.js";
export { compareReleaseExplanations, explainedRelease } from "./release-explanations.js";
export type { CompareReleaseExplanationsOptions, ExplainedRelease, ExplanationReleaseSource, ReleaseExplanationDiff } from "./release-explanations.js";

/**
 * `mltrail/ab`: everything of A/B testing, for users who need more than the package root
 * offers: GrowthBook-compatible hashing and bucketing (`hash`, `getBucketRanges`,
 * `chooseVariation`, …), the statistics (`abStats`) and `analyzeData` over raw counts. The
 * A/B API a service uses (`createAbTest`, `openAbTest`, `AbTest`, `formatAnalysis`) is
 * re-exported from the package root, so both entries share one set of classes.
 *
 * @example
 * ```ts
 * import { createAbTest, hash } from "mltrail/ab";
 * ```
 *
 * @packageDocumentation
 */
export { createAbTest, openAbTest, AbTest, AB_KEY_TAG, AB_DEFAULT_EXPERIMENT, formatAnalysis } from "../index.js";
export type {
  AbTestView,
  AbTracker,
  AbReader,
  AbTestOptions,
  AbVariantSpec,
  AbVariant,
  AbTestConfig,
  AbUnit,
  Assignment,
  AnalyzeOptions,
  AbAnalysis,
  AbVariantResult,
  AbComparison,
  AbDecision,
} from "../index.js";
export { analyzeData, exposureKey, outcomeKey, outcomeMetrics, SRM_THRESHOLD } from "./analyze.js";
export { hash, hashV1, hashV2, fnv1a32, getBucketRanges, chooseVariation, inRange, getEqualWeights } from "./hash.js";
export type { HashVersion, VariationRange } from "./hash.js";
export * as abStats from "./stats.js";

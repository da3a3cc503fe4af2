/**
 * A/B tests of model versions: GrowthBook-compatible assignment, exposure and outcome logging,
 * sequential analysis.
 *
 * @packageDocumentation
 */
export { createAbTest, openAbTest, AbTest, AB_KEY_TAG, AB_DEFAULT_EXPERIMENT } from "./test.js";
export type { AbTestView } from "./test.js";
export { formatAnalysis } from "./format.js";
export { analyzeData, exposureKey, outcomeKey, SRM_THRESHOLD } from "./analyze.js";
export { hash, hashV1, hashV2, fnv1a32, getBucketRanges, chooseVariation, inRange, getEqualWeights } from "./hash.js";
export type { HashVersion, VariationRange } from "./hash.js";
export * as abStats from "./stats.js";
export type {
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
} from "./types.js";

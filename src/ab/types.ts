/**
 * Public types of A/B tests of model versions.
 *
 * @packageDocumentation
 */
import type { ModelVersion } from "../models.js";
import type { HashVersion, VariationRange } from "./hash.js";

/**
 * One arm of an A/B test: a model and a version reference (exact, range, alias or `latest`),
 * resolved once when the test is created.
 * @example `{ model: "churn", ref: "champion", weight: 0.9 }`
 */
export interface AbVariantSpec {
  /** Registered model name. */
  readonly model: string;
  /** Version reference resolved by `tracker.getModelVersion(model, ref)`. @default "latest" */
  readonly ref?: string;
  /** Share of the covered traffic; weights must sum to 1 (± 0.01). @default equal shares */
  readonly weight?: number;
}

/**
 * Options of `createAbTest` / `tracker.abTest`.
 * @example `{ key: "churn-1.1", variants: [{ model: "churn", ref: "1.0.0" }, { model: "churn", ref: "1.1.0" }] }`
 */
export interface AbTestOptions {
  /** Test key: letters, digits, `_`, `.`, `-` (1–100 characters). Also GrowthBook's experiment key. */
  readonly key: string;
  /** Two or more variants; the first is the control ("A"). */
  readonly variants: readonly AbVariantSpec[];
  /** Attribute of an object unit holding its id (`assign({ userId: "u1" })`). @default "id" */
  readonly hashAttribute?: string;
  /** Hash seed. @default the key (as GrowthBook) */
  readonly seed?: string;
  /** Share of units in the test, in [0, 1]; the rest get the control, unlogged. @default 1 */
  readonly coverage?: number;
  /** GrowthBook hash version. @default 2 (unbiased; GrowthBook's SDK default is 1 for old experiments) */
  readonly hashVersion?: HashVersion;
  /** Experiment holding the test's runs. @default "ab-tests" */
  readonly experiment?: string;
  /** Units remembered per process to log each exposure once (least recently used are forgotten). @default 100000 */
  readonly exposureCacheSize?: number;
}

/**
 * A variant as frozen in the test's record.
 * @example `{ model: "churn", ref: "champion", version: "1.0.0", weight: 0.5, range: [0, 0.5] }`
 */
export interface AbVariant {
  /** Model name. */
  readonly model: string;
  /** The reference as given. */
  readonly ref: string;
  /** The version it resolved to when the test started. */
  readonly version: string;
  /** Share of the covered traffic. */
  readonly weight: number;
  /** GrowthBook bucket range `[start, end)`. */
  readonly range: VariationRange;
}

/**
 * Everything that decides assignment, frozen in the test's record (run params `ab.*`).
 * @example `test.config.variants[1].version // "1.1.0"`
 */
export interface AbTestConfig {
  /** Test key. */
  readonly key: string;
  /** Hash seed. */
  readonly seed: string;
  /** Hash version. */
  readonly hashVersion: HashVersion;
  /** Attribute of object units. */
  readonly hashAttribute: string;
  /** Share of units in the test. */
  readonly coverage: number;
  /** Variants, control first. */
  readonly variants: readonly AbVariant[];
  /** Experiment of the test's runs. */
  readonly experiment: string;
}

/**
 * A unit to assign: its id, or an object whose `hashAttribute` holds it.
 * @example `"user-42"` or `{ id: "user-42", country: "FR" }`
 */
export type AbUnit = string | { readonly [attribute: string]: unknown };

/**
 * Result of `assign`. Units outside the coverage (or with an empty id) get
 * `{ variantIndex: -1, inExperiment: false }` and the control's model version, as GrowthBook
 * serves them the baseline; they are not logged as exposures.
 * @example `const { variantIndex, modelVersion } = test.assign("user-42");`
 */
export interface Assignment {
  /** Index in `variants`, or -1 outside the test. */
  readonly variantIndex: number;
  /** The model version to serve (the control's when outside the test). */
  readonly modelVersion: ModelVersion;
  /** True when the unit is in the test. */
  readonly inExperiment: boolean;
}

/**
 * Options of `analyze`.
 * @example `{ metric: "converted", kind: "binary", alpha: 0.05 }`
 */
export interface AnalyzeOptions {
  /** Outcome metric as given to `recordOutcome`. */
  readonly metric: string;
  /** `binary`: conversions per exposed unit; `continuous`: mean of the outcome values. @default "binary" when every value is 0 or 1, else "continuous" */
  readonly kind?: "binary" | "continuous";
  /** Significance level (split evenly over the treatments). @default 0.05 */
  readonly alpha?: number;
  /** True when a larger outcome is better. @default true */
  readonly higherIsBetter?: boolean;
  /** mSPRT mixing standard deviation τ, in units of the outcome's pooled standard deviation. @default 0.1 */
  readonly tau?: number;
  /** Fewest observations per variant before a decision other than "keep collecting". @default 100 */
  readonly minSamples?: number;
}

/**
 * A treatment compared with the control.
 * @example `row.comparison?.sequentialPValue`
 */
export interface AbComparison {
  /** Treatment − control (rates or means). */
  readonly diff: number;
  /** Fixed-horizon (1 − alpha) confidence interval of `diff`. */
  readonly ci: readonly [number, number];
  /** Relative lift `diff / control mean`. */
  readonly lift: number;
  /** Delta-method (1 − alpha) confidence interval of `lift`. */
  readonly liftCi: readonly [number, number];
  /** z (binary) or Welch t (continuous). */
  readonly statistic: number;
  /** Welch degrees of freedom; Infinity for the z-test. */
  readonly df: number;
  /** Fixed-horizon two-sided p-value: valid for one look at a planned sample size only. */
  readonly pValue: number;
  /** Always-valid mSPRT p-value: safe to look at any time. */
  readonly sequentialPValue: number;
  /** Always-valid (1 − alpha) confidence sequence of `diff`. */
  readonly sequentialCi: readonly [number, number];
}

/**
 * One row of the analysis.
 * @example `analysis.variants[1].mean`
 */
export interface AbVariantResult {
  /** Index in `variants` (0 = control). */
  readonly index: number;
  /** Model name. */
  readonly model: string;
  /** Frozen version. */
  readonly version: string;
  /** Configured weight. */
  readonly weight: number;
  /** Units exposed (deduplicated per process). */
  readonly exposures: number;
  /** Observations: exposures (binary) or outcome values (continuous). */
  readonly n: number;
  /** Conversions (binary), else undefined. */
  readonly conversions: number | undefined;
  /** Conversion rate or mean outcome. */
  readonly mean: number;
  /** Sample standard deviation. */
  readonly sd: number;
  /** Versus the control; undefined for the control. */
  readonly comparison: AbComparison | undefined;
}

/** What to do. @example `"ship B"` */
export type AbDecision = "ship B" | "keep A" | "keep collecting" | "SRM — investigate";

/**
 * Result of `analyze`.
 * @example `const { decision, reason } = await test.analyze({ metric: "converted" });`
 */
export interface AbAnalysis {
  /** Test key. */
  readonly key: string;
  /** Outcome metric. */
  readonly metric: string;
  /** The kind used. */
  readonly kind: "binary" | "continuous";
  /** Significance level. */
  readonly alpha: number;
  /** mSPRT mixing variance τ² actually used (outcome units squared). */
  readonly tau2: number;
  /** Per variant, control first. */
  readonly variants: readonly AbVariantResult[];
  /** Sample-ratio-mismatch chi-square test of the exposures against the weights. */
  readonly srm: {
    /** Pearson chi-square statistic of the exposure counts against the weights. */
    readonly chiSquare: number;
    /** Degrees of freedom: number of variants − 1. */
    readonly df: number;
    /** p-value of the test (1 when there are no exposures yet). */
    readonly pValue: number;
    /** `true` when `pValue` is below `SRM_THRESHOLD` (0.001): the split is broken, do not trust the results. */
    readonly mismatch: boolean;
  };
  /** Decision. */
  readonly decision: AbDecision;
  /** Why, in one sentence. */
  readonly reason: string;
  /** Index of the winning variant for "ship B". */
  readonly winner: number | undefined;
  /** Runs read (one per serving process). */
  readonly runIds: readonly string[];
}

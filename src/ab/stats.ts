/**
 * Pure statistics for A/B analysis: the two-proportion z-test, Welch's t-test, a
 * sample-ratio-mismatch chi-square test and the mixture sequential probability ratio test
 * (mSPRT, Johari, Pekelis & Walsh, "Always valid inference", 2017/2022) with a normal mixing
 * distribution. The distributions they use (normal, Student t, chi-square) are in
 * distributions.ts and re-exported here, so `abStats` offers both. Values are checked against
 * scipy in test/unit/ab-stats.test.ts.
 *
 * @packageDocumentation
 */

import { betaInc, chiSquareSf, normalQuantile, normalSf, studentTQuantile, welchDf } from "./distributions.js";

export {
  betaInc,
  chiSquareSf,
  gammaQ,
  lnGamma,
  normalCdf,
  normalPdf,
  normalQuantile,
  normalSf,
  studentTCdf,
  studentTPdf,
  studentTQuantile,
  welchDf,
} from "./distributions.js";

/**
 * Result of a two-sample comparison (treatment − control).
 * @example `const { diff, ci, pValue } = abStats.twoProportionZTest(100, 1000, 130, 1000);`
 */
export interface Comparison {
  /** Difference of means (or of conversion rates), treatment − control. */
  readonly diff: number;
  /** Standard error of `diff` (unpooled). */
  readonly se: number;
  /** Test statistic: z (binary) or t (continuous). */
  readonly statistic: number;
  /** Degrees of freedom (Infinity for the z-test). */
  readonly df: number;
  /** Two-sided fixed-horizon p-value. Valid only when looked at once, at a planned sample size. */
  readonly pValue: number;
  /** Confidence interval of `diff` at level 1 − alpha. */
  readonly ci: readonly [number, number];
}

/**
 * Two-proportion z-test (pooled variance for the statistic, unpooled for the interval).
 * @example `twoProportionZTest(100, 1000, 130, 1000).pValue // ≈ 0.0329`
 */
export function twoProportionZTest(x0: number, n0: number, x1: number, n1: number, alpha = 0.05): Comparison {
  const p0 = x0 / n0;
  const p1 = x1 / n1;
  const pooled = (x0 + x1) / (n0 + n1);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1));
  const se = Math.sqrt((p0 * (1 - p0)) / n0 + (p1 * (1 - p1)) / n1);
  const diff = p1 - p0;
  const z = sePooled > 0 ? diff / sePooled : 0;
  const q = normalQuantile(1 - alpha / 2);
  return { diff, se, statistic: z, df: Infinity, pValue: 2 * normalSf(Math.abs(z)), ci: [diff - q * se, diff + q * se] };
}

/** Sample summary: size, mean and unbiased variance. @example `{ n: 10, mean: 2.5, variance: 1.2 }` */
export interface Summary {
  /** Number of observations. */
  readonly n: number;
  /** Mean. */
  readonly mean: number;
  /** Unbiased sample variance (n − 1 denominator); 0 for n < 2. */
  readonly variance: number;
}

/** Mean and variance in one pass (Welford). @example `summarize([1, 2, 3]) // { n: 3, mean: 2, variance: 1 }` */
export function summarize(values: Iterable<number>): Summary {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (const v of values) {
    n++;
    const d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
  return { n, mean: n === 0 ? NaN : mean, variance: n < 2 ? 0 : m2 / (n - 1) };
}

/**
 * Welch's unequal-variance t-test on two summaries.
 * @example `welchTTest({ n: 50, mean: 10, variance: 4 }, { n: 60, mean: 11, variance: 9 }).pValue`
 */
export function welchTTest(control: Summary, treatment: Summary, alpha = 0.05): Comparison {
  const a = control.variance / control.n;
  const b = treatment.variance / treatment.n;
  const se = Math.sqrt(a + b);
  const diff = treatment.mean - control.mean;
  const df = welchDf(control.variance, control.n, treatment.variance, treatment.n);
  const t = se > 0 ? diff / se : 0;
  const pValue = se > 0 ? betaInc(df / (df + t * t), df / 2, 0.5) : 1;
  const q = Number.isFinite(df) && df > 0 ? studentTQuantile(1 - alpha / 2, df) : normalQuantile(1 - alpha / 2);
  return { diff, se, statistic: t, df, pValue, ci: [diff - q * se, diff + q * se] };
}

/**
 * Sample-ratio-mismatch test: Pearson chi-square goodness of fit of the observed counts to the
 * expected shares (normalized), `k − 1` degrees of freedom.
 * @example `srmTest([5000, 5300], [0.5, 0.5]).pValue // ≈ 0.0031`
 */
export function srmTest(
  observed: readonly number[],
  weights: readonly number[],
): {
  /** Pearson chi-square statistic, Σ (observed − expected)² / expected. */
  readonly chiSquare: number;
  /** Degrees of freedom: `observed.length − 1`. */
  readonly df: number;
  /** Upper-tail p-value of `chiSquare`; 1 when the total is 0 or there are fewer than 2 counts. */
  readonly pValue: number;
} {
  const total = observed.reduce((s, x) => s + x, 0);
  const wsum = weights.reduce((s, x) => s + x, 0);
  let chi = 0;
  for (let i = 0; i < observed.length; i++) {
    const expected = (total * (weights[i] ?? 0)) / wsum;
    if (expected > 0) chi += ((observed[i] ?? 0) - expected) ** 2 / expected;
  }
  const df = observed.length - 1;
  return { chiSquare: chi, df, pValue: total === 0 || df < 1 ? 1 : chiSquareSf(chi, df) };
}

/**
 * ln of the mSPRT mixture likelihood ratio for an estimate `diff` of the effect θ with variance
 * `variance`, testing θ = 0 against the mixture θ ~ N(0, τ²):
 * Λ = √(V / (V + τ²)) · exp(diff² τ² / (2 V (V + τ²))).
 * With V = 2σ²/n this is eq. (11) of Johari et al. By Ville's inequality
 * P(∃ n: Λₙ ≥ 1/α | θ = 0) ≤ α, so `min(1, 1/Λ)` is an always-valid p-value.
 * @example `msprtLogLR(0.03, 0.0002, 0.0004)`
 */
export function msprtLogLR(diff: number, variance: number, tau2: number): number {
  if (!(variance > 0) || !(tau2 > 0)) return 0;
  return 0.5 * Math.log(variance / (variance + tau2)) + (diff * diff * tau2) / (2 * variance * (variance + tau2));
}

/**
 * Always-valid p-value `min(1, 1/Λ)` of the mSPRT (see {@link msprtLogLR}).
 * @example `msprtPValue(0.03, 0.0002, 0.0004) // < 0.05`
 */
export function msprtPValue(diff: number, variance: number, tau2: number): number {
  return Math.min(1, Math.exp(-msprtLogLR(diff, variance, tau2)));
}

/**
 * Always-valid (1 − alpha) confidence interval of the mSPRT: the θ₀ with Λ(diff − θ₀) < 1/α,
 * i.e. diff ± √( (V (V + τ²) / τ²) · (2 ln(1/α) + ln((V + τ²) / V)) ).
 * @example `msprtInterval(0.03, 0.0002, 0.0004, 0.05)`
 */
export function msprtInterval(diff: number, variance: number, tau2: number, alpha: number): readonly [number, number] {
  if (!(variance > 0) || !(tau2 > 0)) return [-Infinity, Infinity];
  const half = Math.sqrt(((variance * (variance + tau2)) / tau2) * (2 * Math.log(1 / alpha) + Math.log((variance + tau2) / variance)));
  return [diff - half, diff + half];
}

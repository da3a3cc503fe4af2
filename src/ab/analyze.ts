/**
 * Reads an A/B test's exposures and outcomes back through the public query API and turns them
 * into per-variant results, comparisons, an SRM check and a decision.
 *
 * Metric layout on each of the test's runs (one run per serving process):
 * - `ab.exposures.v<i>`: one point of value 1 per unit first exposed to variant i in that
 *   process; `n_i` = number of points. Steps count 0, 1, 2, … per key so no two points are
 *   equal (an MLflow server drops exact duplicates).
 * - `ab.<metric>.v<i>`: one point per `recordOutcome`, the value as given.
 *
 * @packageDocumentation
 */
import type { RunReader } from "../tracker-api.js";
import { msprtInterval, msprtPValue, normalQuantile, srmTest, summarize, twoProportionZTest, welchTTest, type Comparison, type Summary } from "./stats.js";
import type { AbAnalysis, AbComparison, AbDecision, AbTestConfig, AbVariantResult, AnalyzeOptions } from "./types.js";

/** SRM threshold: a chi-square p-value below it flags a broken split. @example `SRM_THRESHOLD // 0.001` */
export const SRM_THRESHOLD = 0.001;

/** Metric key of exposures of variant `i`. @example `exposureKey(1) // "ab.exposures.v1"` */
export function exposureKey(i: number): string {
  return `ab.exposures.v${i}`;
}

/** Metric key of outcome `metric` of variant `i`. @example `outcomeKey("converted", 0) // "ab.converted.v0"` */
export function outcomeKey(metric: string, i: number): string {
  return `ab.${metric}.v${i}`;
}

/**
 * The outcome metrics of an A/B test, from the metric keys of its runs: `ab.<metric>.v<i>`
 * other than the exposures, in the order first seen.
 * @example `outcomeMetrics(["ab.exposures.v0", "ab.converted.v0", "ab.converted.v1"]) // ["converted"]`
 */
export function outcomeMetrics(keys: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const k of keys) {
    const m = /^ab\.(.+)\.v\d+$/.exec(k);
    if (m?.[1] !== undefined && m[1] !== "exposures") out.add(m[1]);
  }
  return [...out];
}

/**
 * Raw data of one variant summed over runs.
 * @inline
 * @internal
 */
export interface VariantData {
  /** Number of exposures (units shown the variant) over all runs. */
  exposures: number;
  /** Every outcome value logged for the variant over all runs (0/1 for a binary metric). */
  values: number[];
}

/** Reads every run's exposures and outcomes. @internal */
export async function readData(
  tracker: Pick<RunReader, "getMetricHistory">,
  runIds: readonly string[],
  config: AbTestConfig,
  metric: string,
): Promise<VariantData[]> {
  const data = config.variants.map((): VariantData => ({ exposures: 0, values: [] }));
  await Promise.all(
    runIds.flatMap((runId) =>
      data.map(async (d, i) => {
        const [exp, out] = await Promise.all([tracker.getMetricHistory(runId, exposureKey(i)), tracker.getMetricHistory(runId, outcomeKey(metric, i))]);
        d.exposures += exp.length;
        for (const m of out) d.values.push(m.value);
      }),
    ),
  );
  return data;
}

function fmtPct(x: number): string {
  return `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)}%`;
}

function fmtP(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

function liftInterval(c: Comparison, control: Summary, treatment: Summary, alpha: number): { lift: number; liftCi: readonly [number, number] } {
  const m0 = control.mean;
  const m1 = treatment.mean;
  const lift = m0 === 0 ? NaN : c.diff / m0;
  // Delta method for m1/m0 − 1: Var ≈ v1/m0² + m1² v0/m0⁴, with v_i the variance of the mean.
  const v0 = control.variance / control.n;
  const v1 = treatment.variance / treatment.n;
  const se = Math.sqrt(v1 / (m0 * m0) + (m1 * m1 * v0) / m0 ** 4);
  const q = normalQuantile(1 - alpha / 2);
  return { lift, liftCi: [lift - q * se, lift + q * se] };
}

/**
 * Computes the analysis from raw per-variant data (pure; exported for tests).
 * @example `analyzeData(config, [{ exposures: 1000, values: [...] }, …], { metric: "converted" }, [runId])`
 */
export function analyzeData(config: AbTestConfig, data: readonly VariantData[], options: AnalyzeOptions, runIds: readonly string[]): AbAnalysis {
  const alpha = options.alpha ?? 0.05;
  const tau = options.tau ?? 0.1;
  const minSamples = options.minSamples ?? 100;
  const higher = options.higherIsBetter ?? true;
  const allValues = data.flatMap((d) => d.values);
  const kind = options.kind ?? (allValues.every((v) => v === 0 || v === 1) ? "binary" : "continuous");
  // Binary: a unit converts when it has a non-zero outcome; at most one per exposed unit.
  const conv = data.map((d) => Math.min(d.exposures, d.values.filter((v) => v !== 0).length));
  const summaries: Summary[] = data.map((d, i) => {
    if (kind === "continuous") return summarize(d.values);
    const n = d.exposures;
    const p = n === 0 ? NaN : (conv[i] ?? 0) / n;
    return { n, mean: p, variance: n === 0 ? 0 : p * (1 - p) };
  });
  const control = summaries[0] as Summary;
  const treatments = Math.max(1, config.variants.length - 1);
  const alphaEach = alpha / treatments;
  // Pooled standard deviation of the outcome, to put τ in outcome units.
  const totalN = summaries.reduce((sum, x) => sum + x.n, 0);
  const rate = totalN === 0 ? 0 : conv.reduce((sum, x) => sum + x, 0) / totalN;
  const pooledVar = kind === "binary" ? rate * (1 - rate) : summarize(allValues).variance;
  const tau2 = tau * tau * pooledVar;

  const variants: AbVariantResult[] = config.variants.map((v, i) => {
    const s = summaries[i] as Summary;
    const d = data[i] as VariantData;
    let comparison: AbComparison | undefined;
    if (i > 0 && s.n > 1 && control.n > 1) {
      const c = kind === "binary" ? twoProportionZTest(conv[0] ?? 0, control.n, conv[i] ?? 0, s.n, alpha) : welchTTest(control, s, alpha);
      const variance = c.se * c.se;
      comparison = {
        diff: c.diff,
        ci: c.ci,
        ...liftInterval(c, control, s, alpha),
        statistic: c.statistic,
        df: c.df,
        pValue: c.pValue,
        sequentialPValue: msprtPValue(c.diff, variance, tau2),
        sequentialCi: msprtInterval(c.diff, variance, tau2, alphaEach),
      };
    }
    return {
      index: i,
      model: v.model,
      version: v.version,
      weight: v.weight,
      exposures: d.exposures,
      n: s.n,
      conversions: kind === "binary" ? conv[i] : undefined,
      mean: s.mean,
      sd: Math.sqrt(s.variance),
      comparison,
    };
  });

  const srmRaw = srmTest(
    data.map((d) => d.exposures),
    config.variants.map((v) => v.weight),
  );
  const srm = { ...srmRaw, mismatch: srmRaw.pValue < SRM_THRESHOLD };
  const verdict = decide(variants, { srm, alphaEach, minSamples, higher });
  return { key: config.key, metric: options.metric, kind, alpha, tau2, variants, srm, ...verdict, runIds };
}

function decide(
  rows: readonly AbVariantResult[],
  o: { srm: AbAnalysis["srm"]; alphaEach: number; minSamples: number; higher: boolean },
): { decision: AbDecision; reason: string; winner: number | undefined } {
  const label = (r: AbVariantResult): string => `v${r.index} (${r.model}@${r.version})`;
  if (o.srm.mismatch) {
    const counts = rows.map((r) => r.exposures).join(" / ");
    return {
      decision: "SRM — investigate",
      reason: `exposures ${counts} do not match the weights (chi-square ${o.srm.chiSquare.toFixed(1)}, p = ${fmtP(o.srm.pValue)} < ${SRM_THRESHOLD}): assignment or logging is broken, results are not trustworthy`,
      winner: undefined,
    };
  }
  const small = rows.find((r) => r.n < o.minSamples);
  if (small !== undefined) {
    return { decision: "keep collecting", reason: `${label(small)} has ${small.n} observations, fewer than minSamples = ${o.minSamples}`, winner: undefined };
  }
  const better = (r: AbVariantResult): boolean => (r.comparison?.diff ?? 0) * (o.higher ? 1 : -1) > 0;
  const significant = rows.filter((r) => r.comparison !== undefined && r.comparison.sequentialPValue < o.alphaEach);
  const winners = significant.filter(better).sort((a, b) => (o.higher ? b.mean - a.mean : a.mean - b.mean));
  const best = winners[0];
  if (best !== undefined && best.comparison !== undefined) {
    return {
      decision: "ship B",
      reason: `${label(best)} beats the control: lift ${fmtPct(best.comparison.lift)}, always-valid p = ${fmtP(best.comparison.sequentialPValue)} < ${fmtP(o.alphaEach)}`,
      winner: best.index,
    };
  }
  const treatments = rows.slice(1);
  if (treatments.length > 0 && treatments.every((r) => significant.includes(r) && !better(r))) {
    const worst = treatments.map((r) => r.comparison?.sequentialPValue ?? 1).reduce((a, b) => Math.max(a, b), 0);
    return {
      decision: "keep A",
      reason: `every treatment is worse than the control (always-valid p ≤ ${fmtP(worst)} < ${fmtP(o.alphaEach)})`,
      winner: undefined,
    };
  }
  const ps = treatments.map((r) => `${label(r)} p = ${fmtP(r.comparison?.sequentialPValue ?? 1)}`).join(", ");
  return { decision: "keep collecting", reason: `no significant difference yet at alpha ${fmtP(o.alphaEach)} (always-valid: ${ps})`, winner: undefined };
}

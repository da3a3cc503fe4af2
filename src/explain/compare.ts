/**
 * Compares the global feature importances of two explanations (two releases of a model):
 * per-feature change in importance, share and rank, flags, and a one-line verdict.
 */
import { ValidationError } from "../index.js";
import { type Explanation, type ExplanationSource, type StoredExplanation, globalImportance, loadExplanation } from "./log.js";
import { defined } from "../internal/defined.js";

/**
 * Options of {@link compareExplanations}.
 *
 * @example
 * ```ts
 * const options: CompareExplanationsOptions = { rankThreshold: 3, shareThreshold: 0.15 };
 * ```
 */
export interface CompareExplanationsOptions {
  /** Flag a feature whose rank moved by at least this many places. @default 2 */
  readonly rankThreshold?: number;
  /** Flag a feature whose share of the total importance changed by at least this much (0.1 = 10 percentage points). @default 0.1 */
  readonly shareThreshold?: number;
  /** Labels of the two sides in the verdict. @default "A" and "B" */
  readonly labels?: readonly [string, string];
}

/** Why a feature was flagged. */
export type ExplanationFlag = "rank" | "share" | "added" | "removed";

/**
 * One feature's change between two explanations.
 *
 * @example
 * ```ts
 * const c: FeatureChange = diff.features[0];
 * `${c.feature}: rank ${c.rankA} → ${c.rankB}, share ${(c.shareA * 100).toFixed(0)}% → ${(c.shareB * 100).toFixed(0)}%`;
 * ```
 */
export interface FeatureChange {
  /** The feature name. */
  readonly feature: string;
  /** Global importance in A and B (0 where the feature is absent). */
  readonly importanceA: number;
  /** See `importanceA`. */
  readonly importanceB: number;
  /** Share of the total importance (|importance| / Σ |importance|), in [0, 1]. */
  readonly shareA: number;
  /** See `shareA`. */
  readonly shareB: number;
  /** shareB − shareA. */
  readonly shareChange: number;
  /** Rank by |importance| (1 = most important), ties broken by name; `null` where absent. */
  readonly rankA: number | null;
  /** See `rankA`. */
  readonly rankB: number | null;
  /** rankA − rankB: positive when the feature moved up in B; 0 when absent on a side. */
  readonly rankChange: number;
  /** Why it is flagged; empty when it is not. */
  readonly flags: readonly ExplanationFlag[];
}

/**
 * The comparison of two explanations.
 *
 * @example
 * ```ts
 * const diff: ExplanationDiff = compareExplanations(v1, v2);
 * if (diff.flagged.length > 0) throw new Error(diff.verdict);
 * ```
 */
export interface ExplanationDiff {
  /** Every feature of either side, by rank in B (then A). */
  readonly features: readonly FeatureChange[];
  /** The flagged features, largest share change first. */
  readonly flagged: readonly FeatureChange[];
  /** One line saying what changed. */
  readonly verdict: string;
}

function ranks(importance: Readonly<Record<string, number>>): Map<string, number> {
  const order = Object.keys(importance).sort((x, y) => Math.abs(importance[y] ?? 0) - Math.abs(importance[x] ?? 0) || (x < y ? -1 : x > y ? 1 : 0));
  return new Map(order.map((f, i) => [f, i + 1]));
}

function shares(importance: Readonly<Record<string, number>>): (f: string) => number {
  const total = Object.values(importance).reduce((s, v) => s + Math.abs(v), 0);
  return (f) => (total === 0 ? 0 : Math.abs(importance[f] ?? 0) / total);
}

const pct = (v: number): string => `${(v * 100).toFixed(0)}%`;

function describe(c: FeatureChange): string {
  if (c.flags.includes("added")) return `${c.feature} is new (rank ${c.rankB}, ${pct(c.shareB)})`;
  if (c.flags.includes("removed")) return `${c.feature} is gone (was rank ${c.rankA}, ${pct(c.shareA)})`;
  return `${c.feature} rank ${c.rankA}→${c.rankB}, share ${pct(c.shareA)}→${pct(c.shareB)}`;
}

/**
 * Compares two explanations' global importances (Kernel SHAP: mean |SHAP|; permutation: mean
 * score drop). Shares make explanations of different scales comparable. A feature is flagged
 * when its rank moved by ≥ `rankThreshold`, its share changed by ≥ `shareThreshold`, or it
 * exists on one side only.
 *
 * @param a - The reference (e.g. the release in production).
 * @param b - The candidate.
 * @example
 * ```ts
 * const diff = compareExplanations(shapV1, shapV2, { labels: ["1.2.0", "1.3.0"] });
 * diff.verdict; // "1 of 6 features changed from 1.2.0 to 1.3.0: leak rank 6→1, share 2%→71%"
 * ```
 */
export function compareExplanations(
  a: Explanation | StoredExplanation,
  b: Explanation | StoredExplanation,
  options: CompareExplanationsOptions = {},
): ExplanationDiff {
  for (const [field, e] of [
    ["a", a],
    ["b", b],
  ] as const) {
    if (e === null || typeof e !== "object" || !Array.isArray(e.featureNames))
      throw new ValidationError(field, e, "must be an explanation (kernelShap / permutationImportance result or loadExplanation)");
  }
  const rankThreshold = options.rankThreshold ?? 2;
  if (!Number.isInteger(rankThreshold) || rankThreshold < 1) throw new ValidationError("options.rankThreshold", rankThreshold, "must be an integer >= 1");
  const shareThreshold = options.shareThreshold ?? 0.1;
  if (typeof shareThreshold !== "number" || !(shareThreshold > 0 && shareThreshold <= 1))
    throw new ValidationError("options.shareThreshold", shareThreshold, "must be a number in (0, 1]");
  const [labelA, labelB] = options.labels ?? ["A", "B"];
  const ia = globalImportance(a);
  const ib = globalImportance(b);
  const [ra, rb] = [ranks(ia), ranks(ib)];
  const [sa, sb] = [shares(ia), shares(ib)];
  const all = [...new Set([...Object.keys(ib), ...Object.keys(ia)])];
  const features = all.map((feature): FeatureChange => {
    const rankA = ra.get(feature) ?? null;
    const rankB = rb.get(feature) ?? null;
    const shareChange = sb(feature) - sa(feature);
    const rankChange = rankA !== null && rankB !== null ? rankA - rankB : 0;
    const flags: ExplanationFlag[] = [];
    if (rankA === null) flags.push("added");
    if (rankB === null) flags.push("removed");
    if (Math.abs(rankChange) >= rankThreshold) flags.push("rank");
    if (Math.abs(shareChange) >= shareThreshold - 1e-12) flags.push("share");
    return {
      feature,
      importanceA: ia[feature] ?? 0,
      importanceB: ib[feature] ?? 0,
      shareA: sa(feature),
      shareB: sb(feature),
      shareChange,
      rankA,
      rankB,
      rankChange,
      flags,
    };
  });
  features.sort((x, y) => (x.rankB ?? Number.POSITIVE_INFINITY) - (y.rankB ?? Number.POSITIVE_INFINITY) || (x.rankA ?? 0) - (y.rankA ?? 0));
  const flagged = features.filter((c) => c.flags.length > 0).sort((x, y) => Math.abs(y.shareChange) - Math.abs(x.shareChange));
  const span = `from ${labelA} to ${labelB}`;
  let verdict: string;
  if (flagged.length === 0) {
    const biggest = [...features].sort((x, y) => Math.abs(y.shareChange) - Math.abs(x.shareChange))[0];
    verdict = `No feature's importance moved ${span}${biggest === undefined ? "" : `: largest share change ${biggest.feature} ${pct(biggest.shareA)}→${pct(biggest.shareB)}`}`;
  } else {
    const shown = flagged.slice(0, 3).map(describe).join("; ");
    verdict = `${flagged.length} of ${features.length} features changed ${span}: ${shown}${flagged.length > 3 ? "; …" : ""}`;
  }
  return { features, flagged, verdict };
}

/**
 * Compares the explanations stored with two releases (or runs), e.g. `"churn@1.2.0"` and
 * `"churn@1.3.0"`, read with {@link loadExplanation}; the refs label the verdict.
 *
 * @example
 * ```ts
 * const diff = await compareReleaseExplanations(tracker, "churn@1.2.0", "churn@1.3.0", { name: "shap" });
 * console.log(diff.verdict);
 * ```
 */
export async function compareReleaseExplanations(
  source: ExplanationSource,
  a: string | { readonly runId: string },
  b: string | { readonly runId: string },
  options: CompareExplanationsOptions & { readonly name?: string } = {},
): Promise<ExplanationDiff> {
  const load = { ...defined({ name: options.name }) };
  const label = (r: typeof a): string => (typeof r === "string" ? r : r.runId);
  const [ea, eb] = await Promise.all([loadExplanation(source, a, load), loadExplanation(source, b, load)]);
  return compareExplanations(ea, eb, { labels: [label(a), label(b)], ...options });
}

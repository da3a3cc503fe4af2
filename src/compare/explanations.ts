/**
 * The comparison of two sets of global feature importances (two explanations, typically of two
 * releases of a model): per-feature change in importance, share and rank, flags, and a
 * one-line verdict. Pure: `tracker.compareExplanations` feeds it the importances in the release
 * records, and `mltrail/explain` re-exports it for explanations in memory.
 *
 * @packageDocumentation
 */
import { ValidationError } from "../errors.js";

/**
 * Options of {@link compareImportances} (and of `tracker.compareExplanations`).
 *
 * @example
 * ```ts
 * const options: CompareExplanationsOptions = { rankMoved: 3, shareChanged: 0.15 };
 * ```
 */
export interface CompareExplanationsOptions {
  /** Flag a feature whose rank moved by at least this many places. @default 2 */
  readonly rankMoved?: number;
  /** Flag a feature whose share of the total importance changed by at least this much (0.1 = 10 percentage points). @default 0.1 */
  readonly shareChanged?: number;
  /** Labels of the two sides in the verdict. @default "A" and "B" */
  readonly labels?: readonly [string, string];
}

/** Why a feature was flagged: its rank moved, its share changed, or it exists on one side only. */
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
 * const diff: ExplanationDiff = compareImportances(v1, v2);
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

type Importances = Readonly<Record<string, number>>;

function ranks(importance: Importances): Map<string, number> {
  const order = Object.keys(importance).sort((x, y) => Math.abs(importance[y] ?? 0) - Math.abs(importance[x] ?? 0) || (x < y ? -1 : x > y ? 1 : 0));
  return new Map(order.map((f, i) => [f, i + 1]));
}

function shares(importance: Importances): (f: string) => number {
  const total = Object.values(importance).reduce((s, v) => s + Math.abs(v), 0);
  return (f) => (total === 0 || !Object.hasOwn(importance, f) ? 0 : Math.abs(importance[f] ?? 0) / total);
}

const pct = (v: number): string => `${(v * 100).toFixed(0)}%`;

function describe(c: FeatureChange): string {
  if (c.flags.includes("added")) return `${c.feature} is new (rank ${c.rankB}, ${pct(c.shareB)})`;
  if (c.flags.includes("removed")) return `${c.feature} is gone (was rank ${c.rankA}, ${pct(c.shareA)})`;
  return `${c.feature} rank ${c.rankA}→${c.rankB}, share ${pct(c.shareA)}→${pct(c.shareB)}`;
}

function checkImportances(field: string, value: unknown): Importances {
  if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === "number" && Number.isFinite(v)))
    throw new ValidationError(field, value, "must be an object of finite numbers, one per feature");
  return value as Importances;
}

/** The thresholds of {@link CompareExplanationsOptions}, checked. */
function thresholds(options: CompareExplanationsOptions): { rankMoved: number; shareChanged: number } {
  const rankMoved = options.rankMoved ?? 2;
  if (!Number.isInteger(rankMoved) || rankMoved < 1) throw new ValidationError("options.rankMoved", rankMoved, "must be an integer >= 1");
  const shareChanged = options.shareChanged ?? 0.1;
  if (typeof shareChanged !== "number" || !(shareChanged > 0 && shareChanged <= 1))
    throw new ValidationError("options.shareChanged", shareChanged, "must be a number in (0, 1]");
  return { rankMoved, shareChanged };
}

/**
 * Compares two sets of global importances, one number per feature (mean |SHAP|, a mean score
 * drop, …). Shares of the total make explanations of different scales comparable. A feature
 * is flagged when its rank moved by ≥ `rankMoved`, its share changed by ≥ `shareChanged`, or
 * it exists on one side only.
 *
 * @param a - The reference (e.g. the release in production).
 * @param b - The candidate.
 * @throws ValidationError for importances that are not finite numbers or bad thresholds.
 * @example
 * ```ts
 * const diff = compareImportances({ income: 0.4, age: 0.1, leak: 0 }, { income: 0.1, age: 0.05, leak: 0.9 }, { labels: ["1.2.0", "1.3.0"] });
 * diff.verdict; // "2 of 3 features changed from 1.2.0 to 1.3.0: leak rank 3→1, share 0%→86%; income rank 1→2, share 80%→10%"
 * ```
 */
export function compareImportances(a: Importances, b: Importances, options: CompareExplanationsOptions = {}): ExplanationDiff {
  const ia = checkImportances("a", a);
  const ib = checkImportances("b", b);
  const { rankMoved, shareChanged } = thresholds(options);
  const [labelA, labelB] = options.labels ?? ["A", "B"];
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
    if (Math.abs(rankChange) >= rankMoved) flags.push("rank");
    if (Math.abs(shareChange) >= shareChanged - 1e-12) flags.push("share");
    const importanceA = Object.hasOwn(ia, feature) ? (ia[feature] ?? 0) : 0;
    const importanceB = Object.hasOwn(ib, feature) ? (ib[feature] ?? 0) : 0;
    return { feature, importanceA, importanceB, shareA: sa(feature), shareB: sb(feature), shareChange, rankA, rankB, rankChange, flags };
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

/**
 * Compares two explanations in memory or stored with runs: their global importances go
 * through the SDK's `compareImportances`, the same comparison `tracker.compareExplanations`
 * makes between releases.
 */
import { type CompareExplanationsOptions, type ExplanationDiff, ValidationError, compareImportances } from "../index.js";
import { type Explanation, type ExplanationSource, type StoredExplanation, globalImportance, loadExplanation } from "./log.js";
import { defined } from "../internal/defined.js";

/**
 * Compares two explanations' global importances (Kernel SHAP: mean |SHAP|; permutation: mean
 * score drop) with `compareImportances`: a feature is flagged when its rank moved by ≥
 * `rankMoved`, its share of the total changed by ≥ `shareChanged`, or it exists on one side only.
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
  return compareImportances(globalImportance(a), globalImportance(b), options);
}

/**
 * Compares the explanations stored with two runs (`{ runId }`) or releases (any ref
 * `getModelVersion` takes), read from their artifacts with {@link loadExplanation}; the refs
 * label the verdict. For releases, `tracker.compareExplanations` reads the release records.
 *
 * @example
 * ```ts
 * const diff = await compareReleaseExplanations(tracker, { runId: baseline }, { runId: candidate }, { name: "shap" });
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
  const { name: _n, ...rest } = options;
  return compareExplanations(ea, eb, { labels: [label(a), label(b)], ...rest });
}

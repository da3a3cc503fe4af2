/**
 * The explanations a release picks up from its run: `logExplanation` (of `mltrail/explain`)
 * records each one as the run tag `mltrail.explanation/<name>` (JSON: method, artifact path,
 * digest and, when they fit in a tag, the global importances), and `registerModel` copies
 * them into the release record.
 *
 * @packageDocumentation
 */
import { parseReleaseExplanation } from "./records.js";
import type { ReleaseExplanation } from "./store.js";

/**
 * The prefix of the run tags that announce an explanation: `mltrail.explanation/<name>`.
 * @example `run.data.tags[`${EXPLANATION_TAG_PREFIX}shap`]`
 */
export const EXPLANATION_TAG_PREFIX = "mltrail.explanation/";

/**
 * The explanations a run's tags announce, by name. A tag that is not valid JSON of the
 * expected shape is skipped: a damaged tag never blocks a release.
 * @example `explanationsOfRun(run.data.tags) // [{ name: "shap", method: "kernel-shap", artifactPath: "explanations/shap.json", digest: "sha256:…", globalImportance: {…} }]`
 */
export function explanationsOfRun(tags: Readonly<Record<string, string>>): ReleaseExplanation[] {
  const out: ReleaseExplanation[] = [];
  for (const [key, value] of Object.entries(tags)) {
    if (!key.startsWith(EXPLANATION_TAG_PREFIX)) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(value);
    } catch {
      continue;
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) continue;
    const entry = parseReleaseExplanation({ ...raw, name: key.slice(EXPLANATION_TAG_PREFIX.length) });
    if (entry !== undefined) out.push(entry);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The report's explanation section: the global feature importances of every release that
 * carries the same explanation, drawn as bars side by side per version, with the features the
 * comparison of consecutive releases flags highlighted (a leak, a broken pipeline).
 *
 * @packageDocumentation
 */
import { type CompareReleaseExplanationsOptions, type ExplainedRelease, type ExplanationFlag, compareImportances, explainedRelease } from "../compare/index.js";
import type { ModelVersion } from "../models.js";
import type { ArtifactReader } from "../tracker-api.js";
import { PALETTE } from "./client.js";
import { esc, num } from "./html.js";

/**
 * The explanations of a model report: one per release that carries it, oldest first, and the
 * comparison of each release with the one before.
 * @example `data.model?.explanations?.steps.map((s) => s.verdict)`
 */
export interface ReportExplanations {
  /** The explanation's name (the one most releases carry, unless chosen). */
  readonly name: string;
  /** The releases that carry it, in the report's order. */
  readonly versions: readonly ExplainedRelease[];
  /** Each release against the one before it. */
  readonly steps: readonly {
    /** The earlier release. */
    readonly from: string;
    /** The later release. */
    readonly to: string;
    /** One line saying what changed. */
    readonly verdict: string;
    /** The flagged features with their flags. */
    readonly flagged: Readonly<Record<string, readonly ExplanationFlag[]>>;
  }[];
}

/** The explanation name most of `versions` carry (ties by name). */
function mostCarried(versions: readonly ModelVersion[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of versions) for (const e of v.explanations ?? []) counts.set(e.name, (counts.get(e.name) ?? 0) + 1);
  return [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))[0]?.[0];
}

/**
 * Reads the explanations of `versions` for a report; `undefined` when no release carries one.
 * A release whose explanation cannot be read is left out of the section, never fails the report.
 * @example `await collectExplanations(tracker, versions, {})`
 */
export async function collectExplanations(
  tracker: ArtifactReader,
  versions: readonly ModelVersion[],
  options: CompareReleaseExplanationsOptions = {},
): Promise<ReportExplanations | undefined> {
  const name = options.name ?? mostCarried(versions);
  if (name === undefined) return undefined;
  const carrying = versions.filter((v) => (v.explanations ?? []).some((e) => e.name === name));
  const read = await Promise.all(carrying.map((v) => explainedRelease(tracker, v, name).catch(() => undefined)));
  const explained = read.filter((e): e is ExplainedRelease => e !== undefined);
  if (explained.length === 0) return undefined;
  const { name: _n, ...thresholds } = options;
  const steps = explained.slice(1).map((to, i) => {
    const from = explained[i] as ExplainedRelease;
    const diff = compareImportances(from.globalImportance, to.globalImportance, { ...thresholds, labels: [from.version, to.version] });
    return { from: from.version, to: to.version, verdict: diff.verdict, flagged: Object.fromEntries(diff.flagged.map((c) => [c.feature, c.flags])) };
  });
  return { name, versions: explained, steps };
}

function sharesOf(importance: Readonly<Record<string, number>>): Map<string, number> {
  const total = Object.values(importance).reduce((s, v) => s + Math.abs(v), 0);
  return new Map(Object.entries(importance).map(([f, v]) => [f, total === 0 ? 0 : Math.abs(v) / total]));
}

/**
 * The section: the verdict of each step, then one row per feature (by share in the latest
 * release) with one bar per release; flagged features are highlighted and badged.
 * @example `explanationsSection(data.model.explanations)`
 */
export function explanationsSection(x: ReportExplanations): string {
  const shares = x.versions.map((v) => sharesOf(v.globalImportance));
  const latest = shares[shares.length - 1] ?? new Map<string, number>();
  const features = [...new Set(shares.flatMap((s) => [...s.keys()]))].sort((a, b) => (latest.get(b) ?? -1) - (latest.get(a) ?? -1) || (a < b ? -1 : 1));
  const max = Math.max(1e-12, ...shares.flatMap((s) => [...s.values()]));
  const flagsOf = (f: string): ExplanationFlag[] => [...new Set(x.steps.flatMap((s) => (Object.hasOwn(s.flagged, f) ? (s.flagged[f] ?? []) : [])))];
  const color = (i: number): string => PALETTE[i % PALETTE.length] ?? "#888";
  const head = x.versions.map((v, i) => `<th><span class="swatch" style="background:${color(i)}"></span>${esc(v.version)}</th>`).join("");
  const rows = features.map((f) => {
    const flags = flagsOf(f);
    const cells = x.versions.map((v, i) => {
      const share = shares[i]?.get(f);
      if (share === undefined) return `<td class="xcell"><span class="muted">–</span></td>`;
      const width = ((share / max) * 100).toFixed(2);
      return `<td class="xcell" data-version="${esc(v.version)}" data-share="${share}" title="${esc(`${v.version}: ${(share * 100).toFixed(1)}% (importance ${num(v.globalImportance[f] ?? 0)})`)}"><div class="xbar"><span style="width:${width}%;background:${color(i)}"></span></div><span class="xval">${(share * 100).toFixed(1)}%</span></td>`;
    });
    const badges = flags.map((g) => `<span class="badge warn">${esc(g)}</span>`).join("");
    return `<tr class="${flags.length > 0 ? "flagged" : ""}" data-feature="${esc(f)}"><th scope="row">${esc(f)} ${badges}</th>${cells.join("")}</tr>`;
  });
  const verdicts =
    x.steps.length === 0
      ? `<p class="muted">One release carries explanation "${esc(x.name)}": nothing to compare.</p>`
      : `<ul class="verdicts">${x.steps.map((s) => `<li class="${Object.keys(s.flagged).length > 0 ? "changed" : ""}">${esc(s.verdict)}</li>`).join("")}</ul>`;
  const methods = [...new Set(x.versions.map((v) => v.method))].join(", ");
  return `<p class="muted">Explanation "${esc(x.name)}" (${esc(methods)}): each feature's share of the total importance, per release.</p>${verdicts}<div class="scroll"><table class="explain"><thead><tr><th>Feature</th>${head}</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

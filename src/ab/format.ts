/**
 * Plain-text rendering of an A/B analysis (used by `mltrail ab show` and the example service).
 *
 * @packageDocumentation
 */
import { table } from "../internal/table.js";
import type { AbAnalysis } from "./types.js";

const num = (x: number | undefined, digits = 4): string => (x === undefined || Number.isNaN(x) ? "-" : x.toFixed(digits));

/**
 * A signed percentage with two decimals; `-` for a missing or non-finite value (also `null`, as NaN travels in JSON).
 * @example `pct(0.0123) // "+1.23%"`
 */
export const pct = (x: number | null | undefined): string =>
  x === undefined || x === null || !Number.isFinite(x) ? "-" : `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)}%`;

/**
 * A p-value: 4 decimals, exponent notation below 1e-4; `-` when missing.
 * @example `pval(0.00001) // "1.0e-5"`
 */
export const pval = (p: number | null | undefined): string => (p === undefined || p === null ? "-" : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

/**
 * Renders an analysis as text: a header, one row per variant, the SRM check and the decision.
 * @example `process.stdout.write(formatAnalysis(await test.analyze({ metric: "converted" })))`
 */
export function formatAnalysis(a: AbAnalysis): string {
  const rows = a.variants.map((v) => {
    const c = v.comparison;
    return [
      `v${v.index}${v.index === 0 ? " (A)" : ""}`,
      `${v.model}@${v.version}`,
      v.weight.toFixed(3),
      String(v.exposures),
      String(v.n),
      a.kind === "binary" ? `${pct(v.mean).replace("+", "")}` : num(v.mean),
      pct(c?.lift),
      c === undefined ? "-" : `[${pct(c.liftCi[0])}, ${pct(c.liftCi[1])}]`,
      pval(c?.pValue),
      pval(c?.sequentialPValue),
    ];
  });
  const header = [
    "variant",
    "model",
    "weight",
    "exposed",
    "n",
    a.kind === "binary" ? "conv" : "mean",
    "lift",
    `${Math.round((1 - a.alpha) * 100)}% CI`,
    "p",
    "p (always-valid)",
  ];
  return [
    `A/B test ${a.key}  metric ${a.metric} (${a.kind})  alpha ${a.alpha}  runs ${a.runIds.length}`,
    "",
    table(header, rows),
    "",
    `SRM: chi-square ${a.srm.chiSquare.toFixed(2)} (df ${a.srm.df}), p = ${pval(a.srm.pValue)}${a.srm.mismatch ? "  MISMATCH" : "  ok"}`,
    `decision: ${a.decision}`,
    `reason: ${a.reason}`,
    "",
  ].join("\n");
}

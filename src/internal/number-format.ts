/** The one way a metric value is shown to people, in CLI tables and in the HTML report and dashboard. */

/**
 * A metric value for display: integers as they are, else 5 significant digits, with an
 * exponent for very large or very small values; `none` when there is no value.
 * @example `formatMetric(0.123456, "-") // "0.12346"`
 */
export function formatMetric(value: number | null | undefined, none: string): string {
  if (value === null || value === undefined) return none;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e9) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-4)) return value.toExponential(3);
  return String(Number(value.toPrecision(5)));
}

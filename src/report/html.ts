/**
 * Escaping and formatting for the HTML report. Everything from a run (names, params, tags)
 * is user data: it goes through {@link esc} or {@link jsonForScript}.
 *
 * @packageDocumentation
 */
import { formatMetric } from "../internal/number-format.js";

const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * Escapes text for HTML content and quoted attribute values.
 * @example `esc('<b title="x">') // "&lt;b title=&quot;x&quot;&gt;"`
 */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/**
 * JSON safe to embed in a `<script>` element: `<`, `>`, `&`, U+2028 and U+2029 are escaped.
 * @example `<script type="application/json">${jsonForScript(data)}</script>`
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Code safe inside a `<script>` element (no early `</script`).
 * @example `<script>${scriptSafe(js)}</script>`
 */
export function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

/**
 * CSS safe inside a `<style>` element.
 * @example `<style>${styleSafe(css)}</style>`
 */
export function styleSafe(css: string): string {
  return css.replace(/<\/(style)/gi, "<\\/$1");
}

/**
 * A metric value for display: 5 significant digits, exponent for very large/small; `–` for none.
 * @example `num(0.123456) // "0.12346"`
 */
export function num(value: number | null | undefined): string {
  return formatMetric(value, "–");
}

/**
 * A time as `YYYY-MM-DD HH:MM UTC`; `–` for none.
 * @example `when(0) // "1970-01-01 00:00 UTC"`
 */
export function when(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? "–" : `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * A duration in ms as `1h 02m`, `3m 04s` or `5.0s`; `–` for none.
 * @example `duration(65_000) // "1m 05s"`
 */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return "–";
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

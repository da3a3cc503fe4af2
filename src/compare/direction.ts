/**
 * Which way is better for a metric: the default by its name, overridable per key.
 *
 * @packageDocumentation
 */
import { ownValue } from "../internal/keyed.js";

/**
 * Whether smaller (`"min"`) or larger (`"max"`) values of a metric are better.
 * @example `{ loss: "min", acc: "max" }`
 */
export type Direction = "min" | "max";

const MINIMISE = /loss|error|mae|mse|rmse|perplexity/i;
const MAXIMISE = /acc|auc|f1|precision|recall|r2|map|ndcg/i;

/**
 * The default direction of a metric, by its name (case-insensitive substring match):
 * names containing `loss`, `error`, `mae`, `mse`, `rmse` or `perplexity` are minimised; names
 * containing `acc`, `auc`, `f1`, `precision`, `recall`, `r2`, `map` or `ndcg` are maximised;
 * any other name is maximised too (pass an explicit direction for such metrics, e.g. latency).
 * Minimising names win when both match (`val_acc_loss` is minimised).
 * @example `defaultDirection("val_loss") // "min"`
 * @default `"max"` for names matching neither list
 */
export function defaultDirection(key: string): Direction {
  if (MINIMISE.test(key)) return "min";
  if (MAXIMISE.test(key)) return "max";
  return "max";
}

/**
 * The direction for `key` when one is known: the explicit one, else the one its name implies
 * (the lists of {@link defaultDirection}); `undefined` for any other name, where a page shows
 * no arrow and marks no best run rather than guess.
 * @example `knownDirection("lr_schedule", undefined) // undefined`
 */
export function knownDirection(key: string, explicit: Readonly<Record<string, Direction>> | undefined): Direction | undefined {
  const given = ownValue(explicit, key);
  if (given !== undefined) return given;
  if (MINIMISE.test(key)) return "min";
  if (MAXIMISE.test(key)) return "max";
  return undefined;
}

/**
 * The direction for `key`: the explicit one when given, else {@link defaultDirection}.
 * @example `directionOf("latency_ms", { latency_ms: "min" }) // "min"`
 */
export function directionOf(key: string, explicit: Readonly<Record<string, Direction>> | undefined): Direction {
  return ownValue(explicit, key) ?? defaultDirection(key);
}

/**
 * True when `a` is strictly better than `b` in `direction`. NaN is never better; any number
 * is better than NaN.
 * @example `isBetter(0.1, 0.2, "min") // true`
 */
export function isBetter(a: number, b: number, direction: Direction): boolean {
  if (Number.isNaN(a)) return false;
  if (Number.isNaN(b)) return true;
  return direction === "min" ? a < b : a > b;
}

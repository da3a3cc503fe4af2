/**
 * Argument checks of the tracker's public calls that are not one call to a validator: each
 * throws a ValidationError naming the field, the value and the rule.
 */
import { ValidationError } from "../errors.js";
import { checkOptionalString, checkOptions, checkStringList } from "../model/args.js";
import { checkString } from "../model/validate.js";
import type { FlushOptions, TrackerEvents } from "../tracker-types.js";

/** A `timeoutMs` option: a finite number ≥ 0, or the default. */
export function timeoutOf(options: FlushOptions | undefined, fallback: number): number {
  const value = checkOptions<FlushOptions>("options", options).timeoutMs;
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    throw new ValidationError("timeoutMs", value, "must be a finite number of milliseconds ≥ 0");
  return value;
}

const EVENTS: readonly string[] = ["error", "rejected", "state"];

/** An event name `tracker.on`/`off` knows. */
export function checkEvent<E extends keyof TrackerEvents>(event: E): E {
  if (typeof event === "string" && EVENTS.includes(event)) return event;
  throw new ValidationError("event", event, `must be one of ${EVENTS.join(", ")}`);
}

/** String arguments of registry calls: each `[field, value]` must be a string (`undefined`/`null` skip optional ones). */
export function checkModelArgs(required: readonly [string, unknown][], optional: readonly [string, unknown][] = []): void {
  for (const [field, value] of required) checkString(field, value);
  for (const [field, value] of optional) if (value !== undefined && value !== null) checkString(field, value);
}

/** The options of `searchRuns` (and of `compareRuns` given a search). */
export function checkSearchOptions(options: unknown): void {
  const o = checkOptions<Record<string, unknown>>("searchRuns options", options);
  if (o["experiment"] !== undefined && typeof o["experiment"] !== "string") checkStringList("searchRuns options.experiment", o["experiment"]);
  if (typeof o["experiment"] === "string") checkString("searchRuns options.experiment", o["experiment"]);
  checkOptionalString("searchRuns options.filter", o["filter"]);
  if (o["orderBy"] !== undefined) checkStringList("searchRuns options.orderBy", o["orderBy"]);
}

/** The options of `gc`. */
export function checkGcOptions(options: unknown): void {
  const o = checkOptions<{ olderThanMs?: unknown; runIds?: unknown }>("options", options);
  if (o.olderThanMs !== undefined && (typeof o.olderThanMs !== "number" || !(o.olderThanMs >= 0)))
    throw new ValidationError("options.olderThanMs", o.olderThanMs, "must be a number of milliseconds ≥ 0");
  if (o.runIds !== undefined) checkStringList("options.runIds", o.runIds);
}

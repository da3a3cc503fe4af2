/**
 * Validation for the logging hot path: plain code, no zod, no allocation on the happy
 * path beyond a cache lookup. Each check throws a {@link ValidationError} naming the field,
 * the value and the rule.
 *
 * @packageDocumentation
 */
import { ValidationError } from "../errors.js";
import { keyProblem, MLFLOW_LIMITS } from "./limits.js";

/** A key as quoted in a field name: shortened so messages stay readable. */
export function keyLabel(key: string): string {
  return JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
}

/** Keys already validated, mapped to their JSON encoding. Bounded so it cannot grow without limit. */
const keyCache = new Map<string, string>();
const KEY_CACHE_MAX = 50_000;

/**
 * Checks a metric, param or tag key and returns its JSON encoding (cached).
 *
 * @param kind what the key names, used in the error: `"metric"`, `"param"` or `"tag"`.
 * @example `const json = checkKey("metric", "loss"); // "\"loss\""`
 */
export function checkKey(kind: string, key: unknown): string {
  if (typeof key === "string") {
    const cached = keyCache.get(key);
    if (cached !== undefined) return cached;
    const problem = keyProblem(key);
    if (problem === undefined) {
      const json = JSON.stringify(key);
      if (keyCache.size < KEY_CACHE_MAX) keyCache.set(key, json);
      return json;
    }
    throw new ValidationError(`${kind} key`, key, problem);
  }
  throw new ValidationError(`${kind} key`, key, "must be a string");
}

/**
 * Checks a metric value: any JS number, including NaN and ±Infinity.
 * @example `checkMetricValue("loss", 0.3)`
 */
export function checkMetricValue(key: string, value: unknown): number {
  if (typeof value === "number") return value;
  throw new ValidationError(`metric ${keyLabel(key)} value`, value, "must be a number (NaN and ±Infinity are allowed)");
}

/**
 * Checks a step: a safe integer.
 * @example `checkStep("loss", 10)`
 */
export function checkStep(key: string, step: unknown): number {
  if (typeof step === "number" && Number.isSafeInteger(step)) return step;
  throw new ValidationError(`metric ${keyLabel(key)} step`, step, "must be an integer");
}

/**
 * Checks a timestamp: a non-negative safe integer of milliseconds since the epoch.
 * @example `checkTimestamp("loss", Date.now())`
 */
export function checkTimestamp(key: string, timestamp: unknown): number {
  if (typeof timestamp === "number" && Number.isSafeInteger(timestamp) && timestamp >= 0) return timestamp;
  throw new ValidationError(`metric ${keyLabel(key)} timestamp`, timestamp, "must be a non-negative integer of milliseconds since the epoch");
}

/** `String.prototype.isWellFormed` (Node ≥ 20; not yet in the ES2022 lib types). */
type WellFormedCheck = (this: string) => boolean;
const isWellFormed = (String.prototype as unknown as { isWellFormed: WellFormedCheck }).isWellFormed;

/** The rule a string value broke by being ill-formed UTF-16. */
export const ILL_FORMED_RULE = "must be well-formed Unicode: a lone surrogate (e.g. \\ud800) cannot be encoded as UTF-8, so servers drop or corrupt it";

/**
 * Whether a string is well-formed UTF-16 (no lone surrogate), so it encodes to UTF-8 unchanged.
 * @example `isWellFormedText("a😀") // true; isWellFormedText("a\ud800") // false`
 */
export function isWellFormedText(text: string): boolean {
  return isWellFormed.call(text);
}

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Why a value string cannot be stored or sent as is, or `undefined`: it is ill-formed UTF-16
 * (a lone surrogate) or holds a NUL character (which PostgreSQL-backed servers refuse). Other
 * control characters (newlines, tabs) are fine in values.
 *
 * @example `textProblem("a\ud800b") // "must be well-formed Unicode: …"`
 */
export function textProblem(text: string): string | undefined {
  if (!isWellFormed.call(text)) return ILL_FORMED_RULE;
  if (NUL.test(text)) return "must not contain NUL characters (\\u0000)";
  return undefined;
}

/**
 * Why a name (experiment, run, model, dataset, alias, option value naming something) cannot be
 * used, or `undefined`: ill-formed UTF-16, or a control character (U+0000–U+001F,
 * U+007F–U+009F: NUL, newline, tab, escape, …).
 *
 * @example `nameProblem("bad\nname") // "must not contain control characters …"`
 */
export function nameProblem(text: string): string | undefined {
  if (!isWellFormed.call(text)) return ILL_FORMED_RULE;
  if (CONTROL.test(text)) return "must not contain control characters (U+0000–U+001F, U+007F–U+009F such as NUL, newline or tab)";
  return undefined;
}

/**
 * Checks a string argument of a public method: a string that is well-formed Unicode without
 * NUL characters. Returns it unchanged.
 * @example `checkString("reason", "leaks labels")`
 */
export function checkString(field: string, value: unknown): string {
  if (typeof value !== "string") throw new ValidationError(field, value, "must be a string");
  const problem = textProblem(value);
  if (problem !== undefined) throw new ValidationError(field, value, problem);
  return value;
}

function stringValue(field: string, value: unknown, maxLength: number): string {
  let text: string;
  if (typeof value === "string") {
    text = value;
    const problem = textProblem(text);
    if (problem !== undefined) throw new ValidationError(field, text, problem);
  } else if (typeof value === "number" || typeof value === "boolean") text = String(value);
  else throw new ValidationError(field, value, "must be a string, number or boolean");
  if (text.length > maxLength) {
    throw new ValidationError(field, text, `must be at most ${maxLength} characters (has ${text.length})`);
  }
  return text;
}

/**
 * Checks a param value and returns it as the stored string.
 * @example `checkParamValue("lr", 0.001) // "0.001"`
 */
export function checkParamValue(key: string, value: unknown, maxLength: number = MLFLOW_LIMITS.paramValueLength): string {
  return stringValue(`param ${keyLabel(key)} value`, value, maxLength);
}

/**
 * Checks a tag value and returns it as the stored string.
 * @example `checkTagValue("team", "growth") // "growth"`
 */
export function checkTagValue(key: string, value: unknown, maxLength: number = MLFLOW_LIMITS.tagValueLength, field = `tag ${keyLabel(key)} value`): string {
  return stringValue(field, value, maxLength);
}

/**
 * Checks a plain object of key → value (for `logParams`, `logMetrics`, `setTags`).
 * @example `checkRecord("params", { lr: 1 })`
 */
export function checkRecord(field: string, value: unknown): Readonly<Record<string, unknown>> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return value as Record<string, unknown>;
  }
  throw new ValidationError(field, value, "must be a plain object of key → value");
}

/**
 * Checks the options argument of a metric call: undefined or a plain object.
 * @example `checkMetricOptions({ step: 1 })`
 */
export function checkMetricOptions(options: unknown): void {
  if (options !== null && typeof options === "object" && !Array.isArray(options)) return;
  throw new ValidationError("metric options", options, "must be a plain object such as { step, timestamp }");
}

/**
 * Checks an experiment or run name: a non-blank string of at most `maxLength` characters,
 * well-formed Unicode without control characters.
 * @example `checkName("experiment name", "churn", 256)`
 */
export function checkName(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== "string") throw new ValidationError(field, value, "must be a string");
  if (value.trim().length === 0) throw new ValidationError(field, value, "must not be empty or blank");
  if (value.length > maxLength) {
    throw new ValidationError(field, value, `must be at most ${maxLength} characters (has ${value.length})`);
  }
  const problem = nameProblem(value);
  if (problem !== undefined) throw new ValidationError(field, value, problem);
  return value;
}

/**
 * Checks a run id as given by a user (local or server id).
 * @example `checkRunId("runId", "0190a1b2c3d4…")`
 */
export function checkRunId(field: string, value: unknown): string {
  if (typeof value === "string" && /^[a-zA-Z0-9][\w-]{0,255}$/.test(value)) return value;
  throw new ValidationError(field, value, "must be a run id: letters, digits, '_' and '-', starting with a letter or digit");
}

/**
 * Argument checks for the public methods of Tracker and Run, made at the boundary so a wrong
 * type (a number where a string is expected, `null` options, a missing callback) is a
 * {@link ValidationError} naming the argument, never a `TypeError` from deep inside.
 *
 * @packageDocumentation
 */
import { ValidationError } from "../errors.js";
import type { EndStatus } from "./types.js";
import { checkString, textProblem } from "./validate.js";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks an options argument: `undefined` (→ `{}`) or a plain object.
 * @example `const opts = checkOptions<FlushOptions>("flush options", options);`
 */
export function checkOptions<T extends object>(field: string, value: unknown): T {
  if (value === undefined) return {} as T;
  if (isPlainObject(value)) return value as T;
  throw new ValidationError(field, value, "must be an object of options (or left out)");
}

const END_STATUSES: readonly string[] = ["FINISHED", "FAILED", "KILLED"];

/**
 * Checks the options of `run.end`: `undefined` or `{ status }` with a terminal status.
 * @default status `"FINISHED"`
 * @example `const status = checkEndStatus(options); // "FINISHED" when left out`
 */
export function checkEndStatus(options: unknown): EndStatus {
  const status = checkOptions<{ status?: EndStatus }>("end options", options).status ?? "FINISHED";
  if (!END_STATUSES.includes(status)) throw new ValidationError("end status", status, "must be FINISHED, FAILED or KILLED");
  return status;
}

/**
 * Checks a required options argument: a plain object.
 * @example `checkRequiredOptions("registerModel options", { runId })`
 */
export function checkRequiredOptions<T extends object>(field: string, value: unknown): T {
  if (isPlainObject(value)) return value as T;
  throw new ValidationError(field, value, "must be an object of options");
}

/**
 * Checks an optional string argument: `undefined` or a string {@link checkString} accepts.
 * @example `checkOptionalString("ref", ref)`
 */
export function checkOptionalString(field: string, value: unknown): string | undefined {
  return value === undefined ? undefined : checkString(field, value);
}

/**
 * Checks an array of strings (each as {@link checkString} does).
 * @example `checkStringList("keys", ["loss", "acc"])`
 */
export function checkStringList(field: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new ValidationError(field, value, "must be an array of strings");
  return value.map((item: unknown, i) => checkString(`${field}[${i}]`, item));
}

/**
 * Checks a callback argument.
 * @example `checkFunction("listener", listener)`
 */
export function checkFunction<F>(field: string, value: unknown): F {
  if (typeof value === "function") return value as F;
  throw new ValidationError(field, value, "must be a function");
}

/**
 * Checks every string inside a value (object keys included, down to `maxDepth`) as
 * {@link checkString} does: well-formed Unicode without NUL. Use it for free-form options
 * that are stored as they are (rationales, descriptions, free tags). Returns the value.
 *
 * @example `checkStringsIn("registerModel options", { rationale: "a\ud800" }) // ValidationError naming registerModel options.rationale`
 */
export function checkStringsIn<T>(field: string, value: T, maxDepth = 8): T {
  const seen = new Set<object>();
  const walk = (at: string, v: unknown, depth: number): void => {
    if (typeof v === "string") {
      const problem = textProblem(v);
      if (problem !== undefined) throw new ValidationError(at, v, problem);
      return;
    }
    if (v === null || typeof v !== "object" || depth >= maxDepth || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      v.forEach((item: unknown, i) => {
        walk(`${at}[${i}]`, item, depth + 1);
      });
      return;
    }
    if (!isPlainObject(v)) return;
    for (const [key, item] of Object.entries(v)) {
      const problem = textProblem(key);
      if (problem !== undefined) throw new ValidationError(`${at} key`, key, problem);
      walk(`${at}.${key}`, item, depth + 1);
    }
  };
  walk(field, value, 0);
  return value;
}

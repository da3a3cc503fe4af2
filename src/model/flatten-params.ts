/**
 * Nested params (`{ optimizer: { lr: 0.1 } }`, as from a Hydra or W&B config) flattened to
 * MLflow's dotted keys (`optimizer.lr`). Plain code: a flat record is returned as is.
 *
 * @packageDocumentation
 */
import { ValidationError } from "../errors.js";

/**
 * Deepest nesting of objects (and arrays inside them) a params record may have.
 * @example `flattenParams({ a: { b: 1 } }) // depth 2`
 */
export const MAX_PARAM_DEPTH = 16;

/** A path as written in an error: `params.optimizer.lr`, `params["a.b"]`. */
function pathLabel(segments: readonly string[]): string {
  let out = "params";
  for (const s of segments) out += /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  return out;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Checks that an array holds only JSON values (no cycle, bounded depth), so its JSON text is faithful. */
function checkJsonValue(value: unknown, segments: string[], ancestors: Set<object>): void {
  if (typeof value === "string" || typeof value === "boolean" || value === null) return;
  if (typeof value === "number") {
    if (Number.isFinite(value)) return;
    throw new ValidationError(`${pathLabel(segments)} value`, value, "numbers inside an array must be finite (JSON has no NaN or Infinity)");
  }
  if (typeof value !== "object" || (!Array.isArray(value) && !isPlainObject(value))) {
    throw new ValidationError(
      `${pathLabel(segments)} value`,
      value,
      "arrays may hold only strings, finite numbers, booleans, null, arrays and plain objects (they are stored as JSON text)",
    );
  }
  enter(value, segments, ancestors);
  const items: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  for (const [k, v] of items) {
    segments.push(k);
    checkJsonValue(v, segments, ancestors);
    segments.pop();
  }
  ancestors.delete(value);
}

function enter(value: object, segments: readonly string[], ancestors: Set<object>): void {
  if (ancestors.has(value)) throw new ValidationError(pathLabel(segments), value, "refers back to an object that contains it (a cycle): params must be a tree");
  if (ancestors.size >= MAX_PARAM_DEPTH) throw new ValidationError(pathLabel(segments), value, `nests deeper than ${MAX_PARAM_DEPTH} levels`);
  ancestors.add(value);
}

function hasNested(params: Readonly<Record<string, unknown>>): boolean {
  for (const key in params) {
    const value = params[key];
    if (typeof value === "object" && value !== null) return true;
  }
  return false;
}

/**
 * Flattens nested params to dotted keys, MLflow's and W&B's convention. Nested plain objects
 * add a `.`-joined segment per level; arrays are stored as their JSON text (`[1,2]`); an empty
 * object adds no param. Leaves are returned unchecked (the caller checks keys and values as for
 * flat params). A record without objects or arrays is returned as is (same object).
 *
 * Throws {@link ValidationError} when two paths give the same key (naming both), on a cycle,
 * beyond {@link MAX_PARAM_DEPTH} levels, or for an object that is not plain (a `Date`, `Map`
 * or class instance).
 *
 * @example `flattenParams({ optimizer: { name: "adam", lr: 0.1 }, layers: [64, 32] }) // { "optimizer.name": "adam", "optimizer.lr": 0.1, layers: "[64,32]" }`
 */
export function flattenParams(params: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  if (!hasNested(params)) return params;
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const origin = new Map<string, string>();
  const segments: string[] = [];
  const ancestors = new Set<object>([params]);
  const put = (key: string, value: unknown): void => {
    const label = pathLabel(segments);
    const earlier = origin.get(key);
    if (earlier !== undefined) {
      throw new ValidationError(label, value, `gives the param key ${JSON.stringify(key)}, which ${earlier} also gives: rename one of them`);
    }
    origin.set(key, label);
    out[key] = value;
  };
  const walk = (record: Readonly<Record<string, unknown>>, prefix: string): void => {
    for (const [k, value] of Object.entries(record)) {
      segments.push(k);
      const key = prefix + k;
      if (typeof value !== "object" || value === null) put(key, value);
      else if (Array.isArray(value)) {
        checkJsonValue(value, segments, ancestors);
        put(key, JSON.stringify(value));
      } else if (isPlainObject(value)) {
        enter(value, segments, ancestors);
        walk(value as Record<string, unknown>, `${key}.`);
        ancestors.delete(value);
      } else {
        throw new ValidationError(
          `${pathLabel(segments)} value`,
          value,
          "must be a string, number, boolean, array or plain object (a Date, Map or class instance is not a param)",
        );
      }
      segments.pop();
    }
  };
  walk(params, "");
  return out;
}

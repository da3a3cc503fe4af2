/**
 * Evaluation of parsed run filters: each clause compiled once into a closure over the run
 * field it reads (`run-fields.ts`). A run without the field fails every comparison but
 * `IS NULL`; `LIKE`/`ILIKE` patterns become anchored regular expressions.
 *
 * @packageDocumentation
 */

import { ValidationError } from "../errors.js";
import type { RunRecord } from "../model/types.js";
import type { FilterClause } from "./filter-parser.js";
import { fieldReader } from "./run-fields.js";

/** A compiled filter: true when the run matches. @internal */
export type Predicate = (run: RunRecord) => boolean;

/** Translates a LIKE pattern: `%` any run of characters, `_` one character, all else literal. */
function likeToRegExp(pattern: string, ignoreCase: boolean): RegExp {
  let body = "";
  for (const ch of pattern) {
    if (ch === "%") body += ".*";
    else if (ch === "_") body += ".";
    else body += ch.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
  }
  return new RegExp(`^${body}$`, ignoreCase ? "isu" : "su");
}

/** The test a clause applies to a field's value; `undefined` (missing) fails all but IS NULL. */
function valueTest(c: FilterClause): (v: string | number | undefined) => boolean {
  const x = c.value;
  const op = c.comparator;
  if (op === "IS NULL") return (v) => v === undefined;
  if (op === "IS NOT NULL") return (v) => v !== undefined;
  if ((op === "IN" || op === "NOT IN") && Array.isArray(x)) {
    const set = new Set<string>(x);
    return (v) => typeof v === "string" && set.has(v) === (op === "IN");
  }
  if ((op === "LIKE" || op === "ILIKE") && typeof x === "string") {
    const re = likeToRegExp(x, op === "ILIKE");
    return (v) => typeof v === "string" && re.test(v);
  }
  if (op === "=" && (typeof x === "string" || typeof x === "number")) return (v) => v === x;
  if (op === "!=" && (typeof x === "string" || typeof x === "number")) return (v) => typeof v === typeof x && v !== x;
  if (typeof x === "number") {
    if (op === ">") return (v) => typeof v === "number" && v > x;
    if (op === ">=") return (v) => typeof v === "number" && v >= x;
    if (op === "<") return (v) => typeof v === "number" && v < x;
    if (op === "<=") return (v) => typeof v === "number" && v <= x;
  }
  throw new ValidationError("filter clause", c, `${op} does not fit a value of this type`);
}

function compileClause(c: FilterClause): Predicate {
  const read = fieldReader(c);
  const test = valueTest(c);
  return (run) => test(read(run));
}

/**
 * One predicate for all `clauses` (AND); no clauses match every run.
 * @example `compileFilter(parseFilterClauses("metrics.acc > 0.9"))(run)` @internal
 */
export function compileFilter(clauses: readonly FilterClause[]): Predicate {
  const preds = clauses.map(compileClause);
  const [only] = preds;
  if (preds.length === 0) return () => true;
  if (preds.length === 1 && only !== undefined) return only;
  return (run) => {
    for (const p of preds) if (!p(run)) return false;
    return true;
  };
}

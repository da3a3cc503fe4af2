/**
 * Run ordering for `searchRuns`, shared by the local store and the server queries. Ordering
 * follows MLflow's `SearchUtils.sort`: each clause is `<field> [ASC|DESC]` (fields as in
 * `run-fields.ts`); runs missing the field sort last in either direction, a NaN metric sorts
 * after every number and before missing ones, and ties fall back to `start_time` descending,
 * then `run_id` ascending. Strings compare by Unicode code point, as Python and SQL stores do.
 *
 * @packageDocumentation
 */

import { ValidationError } from "../errors.js";
import type { RunRecord } from "../model/types.js";
import { excerpt, fieldReader, scanField, skipSpaces } from "./run-fields.js";
import type { Fail, RunField } from "./run-fields.js";

/**
 * One parsed order clause.
 * @example `{ entity: "metric", key: "acc", ascending: false }` for `"metrics.acc DESC"`
 */
export interface OrderClause extends RunField {
  /** True for ASC (the default), false for DESC. */
  readonly ascending: boolean;
}

/**
 * A parsed, frozen list of order clauses; build it with {@link parseOrderBy}.
 * @example `parseOrderBy(["metrics.acc DESC", "params.lr"]).clauses.length === 2`
 */
export interface RunOrder {
  /** Clauses in priority order; empty means the natural order (start_time DESC, run_id). */
  readonly clauses: readonly OrderClause[];
}

/** A field's value in one run; `undefined` when the run lacks it. */
type FieldValue = string | number | undefined;

/** Compares strings by Unicode code point (UTF-16 order differs above U+FFFF). */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (xs ? y >= 0xe000 : x >= 0xe000)) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

const rank = (v: FieldValue): number => (v === undefined ? 2 : typeof v === "number" && Number.isNaN(v) ? 1 : 0);

/** MLflow's order: present values by direction, then NaN, then missing, in either direction. */
function compareFieldValues(a: FieldValue, b: FieldValue, ascending: boolean): number {
  const ra = rank(a);
  if (ra !== rank(b)) return ra - rank(b);
  if (ra !== 0 || a === undefined || b === undefined) return 0;
  let c: number;
  if (typeof a === "number" && typeof b === "number") c = a < b ? -1 : a > b ? 1 : 0;
  else c = compareCodePoints(String(a), String(b));
  return ascending ? c : -c;
}

function naturalOrder(a: RunRecord, b: RunRecord): number {
  const sa = a.info.startTime;
  const sb = b.info.startTime;
  if (sa !== sb) return sa > sb ? -1 : 1;
  return compareCodePoints(a.info.runId, b.info.runId);
}

/**
 * Parses order clauses `<field> [ASC|DESC]` (direction case-insensitive, default ASC).
 * Throws `ValidationError` with field `orderBy[i]` naming the clause, the position and
 * what is supported.
 *
 * @example
 * ```ts
 * const order = parseOrderBy(["metrics.acc DESC", "attributes.start_time"]);
 * runs.sort((a, b) => compareRuns(order, a, b));
 * ```
 */
export function parseOrderBy(clauses: readonly string[]): RunOrder {
  if (!Array.isArray(clauses)) {
    throw new ValidationError("orderBy", clauses, 'must be an array of clauses such as "metrics.acc DESC"');
  }
  const parsed = clauses.map((text: unknown, i) => Object.freeze(parseOrderClause(text, `orderBy[${i}]`)));
  return Object.freeze({ clauses: Object.freeze(parsed) });
}

function parseOrderClause(text: unknown, name: string): OrderClause {
  const usage = 'an order clause is "<field> [ASC|DESC]", e.g. "metrics.acc DESC"';
  if (typeof text !== "string") throw new ValidationError(name, text, `must be a string: ${usage}`);
  const fail: Fail = (position, shown, rule) => {
    throw new ValidationError(name, shown, `${rule} (at position ${position})`);
  };
  let pos = skipSpaces(text, 0);
  if (pos >= text.length) return fail(0, text, `the clause is empty; ${usage}`);
  const { field, end } = scanField(text, pos, fail);
  pos = skipSpaces(text, end);
  let ascending = true;
  if (pos < text.length) {
    const m = /[A-Za-z]+/y;
    m.lastIndex = pos;
    const word = m.exec(text)?.[0].toUpperCase();
    if (word !== "ASC" && word !== "DESC") {
      return fail(pos, excerpt(text, pos), `expected ASC or DESC after the field; ${usage}`);
    }
    ascending = word === "ASC";
    pos = skipSpaces(text, m.lastIndex);
    if (pos < text.length) {
      return fail(pos, excerpt(text, pos), `unexpected text after ${word}; give one field per clause`);
    }
  }
  return { entity: field.entity, key: field.key, ascending };
}

const readerCache = new WeakMap<RunOrder, ReadonlyArray<(run: RunRecord) => FieldValue>>();

function readersOf(order: RunOrder): ReadonlyArray<(run: RunRecord) => FieldValue> {
  const readers = readerCache.get(order) ?? order.clauses.map(fieldReader);
  readerCache.set(order, readers);
  return readers;
}

function compareKeyed(order: RunOrder, ka: readonly FieldValue[], kb: readonly FieldValue[], a: RunRecord, b: RunRecord): number {
  for (let i = 0; i < ka.length; i++) {
    const c = compareFieldValues(ka[i], kb[i], order.clauses[i]?.ascending ?? true);
    if (c !== 0) return c;
  }
  return naturalOrder(a, b);
}

/**
 * Compares two runs under `order` (for `Array.prototype.sort`), then by start_time DESC and
 * run_id, so the result is a total order.
 *
 * @example
 * ```ts
 * const order = parseOrderBy(["params.lr ASC"]);
 * const sorted = [...runs].sort((a, b) => compareRuns(order, a, b));
 * ```
 */
export function compareRuns(order: RunOrder, a: RunRecord, b: RunRecord): number {
  const readers = readersOf(order);
  return compareKeyed(
    order,
    readers.map((read) => read(a)),
    readers.map((read) => read(b)),
    a,
    b,
  );
}

/** A new array of `runs` in natural order: start time descending, then run id. @internal */
export function sortNatural(runs: readonly RunRecord[]): RunRecord[] {
  return [...runs].sort(naturalOrder);
}

/** True when `runs` are in natural order already (the local store lists them so): no sort needed. */
function inNaturalOrder(runs: readonly RunRecord[]): boolean {
  for (let i = 1; i < runs.length; i++) if (naturalOrder(runs[i - 1] as RunRecord, runs[i] as RunRecord) > 0) return false;
  return true;
}

/**
 * Returns a new array of `runs` sorted by `order`, reading each run's sort values once
 * (faster than sorting with {@link compareRuns} on large inputs). Same order as `compareRuns`.
 *
 * @example
 * ```ts
 * const best = sortRunRecords(runs, parseOrderBy(["metrics.acc DESC"]))[0];
 * ```
 */
export function sortRunRecords(runs: readonly RunRecord[], order: RunOrder): RunRecord[] {
  if (order.clauses.length === 0) return inNaturalOrder(runs) ? [...runs] : sortNatural(runs);
  const readers = readersOf(order);
  const rows = runs.map((run) => ({ run, keys: readers.map((read) => read(run)) }));
  rows.sort((a, b) => compareKeyed(order, a.keys, b.keys, a.run, b.run));
  return rows.map((row) => row.run);
}

/**
 * Run search for the local store: the subset of MLflow's `search_runs` filter syntax that
 * mltrail answers locally, compiled once into closures. Semantics follow MLflow's
 * `SearchUtils` (mlflow/utils/search_utils.py).
 *
 * Grammar (keywords case-insensitive, whitespace free between tokens):
 *
 * ```text
 * filter     := "" | clause ( AND clause )*          no OR, no parentheses
 * clause     := field op value | field IS [NOT] NULL
 * field      := prefix "." key | attribute           prefixes are lowercase
 * prefix     := metrics | metric | params | param | parameters | parameter | tags | tag
 *             | attributes | attribute | attr | run
 * key        := [A-Za-z0-9_.]+ | `any text` | "any text"     e.g. tags.mlflow.runName, metrics.`val-loss`
 * attribute  := run_id | run_name | status | start_time | end_time | created | Created
 * value      := number | 'text' | "text" | "(" 'text' ( "," 'text' )* ")"
 * ```
 *
 * | field                       | operators                                   | value             |
 * | --------------------------- | ------------------------------------------- | ----------------- |
 * | `metrics.<key>`             | `= != > >= < <=`, `IS NULL`, `IS NOT NULL`  | number            |
 * | `attributes.start_time`, `end_time`, `created` | `= != > >= < <=`         | integer ms        |
 * | `params.<key>`, `tags.<key>` | `= != LIKE ILIKE`, `IS NULL`, `IS NOT NULL` | quoted string     |
 * | `attributes.status`, `run_name` | `= != LIKE ILIKE`                       | quoted string     |
 * | `attributes.run_id`         | `= != LIKE ILIKE`, `IN (…)`, `NOT IN (…)`   | quoted string(s)  |
 *
 * - A run without the field matches no comparison, `!=` and `NOT IN` included; only
 *   `IS NULL` matches it. A NaN metric matches only `!=`.
 * - `LIKE` is case-sensitive, `ILIKE` is not; `%` matches any run of characters, `_` one
 *   character; both always act as wildcards (there is no escape).
 * - Strings have no escapes: a value ends at the next identical quote, so write `"it's"`.
 * - `tags.mlflow.runName` reads the run name when the run has no such tag.
 * - `IS NULL` on metrics is an mltrail extension: MLflow servers accept it on params and
 *   tags only.
 *
 * @packageDocumentation
 */

import { ValidationError } from "../errors.js";
import type { RunRecord } from "../model/types.js";
import { parseOrderBy, sortRunRecords } from "./order.js";
import { excerpt, fieldReader, isNumericAttribute, scanField, scanQuoted, skipSpaces } from "./run-fields.js";
import type { Fail, RunField } from "./run-fields.js";

/**
 * A filter comparator, in canonical upper case.
 * @example `"ILIKE"`
 */
export type FilterComparator = "=" | "!=" | ">" | ">=" | "<" | "<=" | "LIKE" | "ILIKE" | "IN" | "NOT IN" | "IS NULL" | "IS NOT NULL";

/**
 * One parsed `field comparator value` clause.
 * @example `{ entity: "metric", key: "acc", comparator: ">", value: 0.9, position: 0 }`
 */
export interface FilterClause extends RunField {
  /** The comparator. */
  readonly comparator: FilterComparator;
  /** A number, a string, a list of strings (`IN`, `NOT IN`) or `null` (`IS [NOT] NULL`). */
  readonly value: number | string | readonly string[] | null;
  /** Offset of the clause in the filter text. */
  readonly position: number;
}

/**
 * A parsed, frozen filter; build it with {@link parseRunFilter}, apply it with
 * {@link matchesRunFilter}.
 * @example `parseRunFilter("metrics.acc > 0.9").clauses[0]?.key === "acc"`
 */
export interface RunFilter {
  /** The filter text as given. */
  readonly source: string;
  /** Clauses, all of which must hold (AND). Empty matches every run. */
  readonly clauses: readonly FilterClause[];
}

/**
 * Options of {@link searchRunRecords}.
 * @example `{ filter: "params.opt = 'adam'", orderBy: ["metrics.acc DESC"], maxResults: 10 }`
 */
export interface SearchRunRecordsOptions {
  /** Filter in the syntax above. @default no filter */
  readonly filter?: string | undefined;
  /** Order clauses `<field> [ASC|DESC]`. @default start_time DESC, then run_id */
  readonly orderBy?: readonly string[] | undefined;
  /** Most runs to return, an integer from 1 to {@link SEARCH_MAX_RESULTS_LIMIT}. @default 1000 */
  readonly maxResults?: number | undefined;
}

/**
 * Default `maxResults` of a run search, as MLflow's.
 * @example `searchRunRecords(runs).length <= SEARCH_MAX_RESULTS_DEFAULT`
 */
export const SEARCH_MAX_RESULTS_DEFAULT = 1000;

/**
 * Largest `maxResults` a run search accepts, as an MLflow server.
 * @example `searchRunRecords(runs, { maxResults: SEARCH_MAX_RESULTS_LIMIT })`
 */
export const SEARCH_MAX_RESULTS_LIMIT = 50_000;

type Predicate = (run: RunRecord) => boolean;
type Value = FilterClause["value"];

const ALL_COMPARATORS = "=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL";
const NUMBER = /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z]+/y;
const SYMBOL = /(?:>=|<=|!=|<>|==|=|<|>)/y;

function readWord(src: string, pos: number): { word: string; end: number } | undefined {
  WORD.lastIndex = pos;
  const m = WORD.exec(src);
  return m === null ? undefined : { word: m[0].toUpperCase(), end: WORD.lastIndex };
}

function describeField(f: RunField): string {
  if (f.entity === "attribute") return `attributes.${f.key}`;
  return `${f.entity}s.${f.key}`;
}

/** Comparators allowed for a field, per MLflow (plus IS [NOT] NULL on metrics). */
function allowedComparators(f: RunField): readonly FilterComparator[] {
  switch (f.entity) {
    case "metric":
      return ["=", "!=", ">", ">=", "<", "<=", "IS NULL", "IS NOT NULL"];
    case "param":
    case "tag":
      return ["=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"];
    case "attribute":
      if (isNumericAttribute(f.key)) return ["=", "!=", ">", ">=", "<", "<="];
      if (f.key === "run_id") return ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"];
      return ["=", "!=", "LIKE", "ILIKE"];
  }
}

function readComparator(src: string, pos: number, fail: Fail): { comparator: FilterComparator; end: number } {
  SYMBOL.lastIndex = pos;
  const sym = SYMBOL.exec(src)?.[0];
  if (sym === "<>") return fail(pos, sym, "use != instead of <>");
  if (sym === "==") return fail(pos, sym, "use = instead of ==");
  if (sym !== undefined) return { comparator: sym as FilterComparator, end: SYMBOL.lastIndex };
  const w = readWord(src, pos);
  const expected = `expected a comparator: ${ALL_COMPARATORS}`;
  if (w === undefined) return fail(pos, excerpt(src, pos), expected);
  if (w.word === "LIKE" || w.word === "ILIKE" || w.word === "IN") return { comparator: w.word, end: w.end };
  if (w.word === "NOT") {
    const next = readWord(src, skipSpaces(src, w.end));
    if (next?.word === "IN") return { comparator: "NOT IN", end: next.end };
    return fail(pos, excerpt(src, pos), "NOT is only supported in NOT IN and IS NOT NULL");
  }
  if (w.word === "IS") {
    let next = readWord(src, skipSpaces(src, w.end));
    const negated = next?.word === "NOT";
    if (next !== undefined && negated) next = readWord(src, skipSpaces(src, next.end));
    if (next?.word === "NULL") return { comparator: negated ? "IS NOT NULL" : "IS NULL", end: next.end };
    return fail(pos, excerpt(src, pos), "expected IS NULL or IS NOT NULL");
  }
  return fail(pos, excerpt(src, pos), expected);
}

function readString(src: string, pos: number, fail: Fail): { text: string; end: number } {
  const str = scanQuoted(src, pos, "string", fail);
  const quote = src.charAt(pos);
  if (src.charAt(str.end) !== quote) return str;
  return fail(str.end - 1, src.slice(pos, str.end + 1), `doubled quotes are not supported; quote with ${quote === "'" ? '"' : "'"} instead`);
}

function readList(src: string, start: number, fail: Fail): { list: string[]; end: number } {
  const list: string[] = [];
  let pos = skipSpaces(src, start + 1);
  const usage = "expected a list of quoted strings, e.g. ('a1b2', 'c3d4')";
  for (;;) {
    const c = src.charAt(pos);
    if (c !== "'" && c !== '"') return fail(pos, excerpt(src, pos), usage);
    const s = readString(src, pos, fail);
    list.push(s.text);
    pos = skipSpaces(src, s.end);
    if (src.charAt(pos) === ")") return { list, end: pos + 1 };
    if (src.charAt(pos) !== ",") return fail(pos, excerpt(src, pos), `${usage}; close it with )`);
    pos = skipSpaces(src, pos + 1);
  }
}

function readValue(src: string, pos: number, field: RunField, cmp: FilterComparator, fail: Fail): { value: Value; end: number } {
  const name = describeField(field);
  const wantList = cmp === "IN" || cmp === "NOT IN";
  const wantNumber = field.entity === "metric" || (field.entity === "attribute" && isNumericAttribute(field.key));
  const example = wantList ? `${name} ${cmp} ('a', 'b')` : wantNumber ? `${name} ${cmp} 0.5` : `${name} ${cmp} 'text'`;
  const c = src.charAt(pos);
  if (pos >= src.length) return fail(pos, src, `expected a value after ${cmp}, e.g. ${example}`);
  if (c === "(") {
    if (!wantList) return fail(pos, excerpt(src, pos), `a list needs IN or NOT IN; write ${example}`);
    const { list, end } = readList(src, pos, fail);
    return { value: Object.freeze(list), end };
  }
  if (wantList) return fail(pos, excerpt(src, pos), `${cmp} takes a parenthesised list: ${example}`);
  if (c === "'" || c === '"') {
    const s = readString(src, pos, fail);
    if (wantNumber) return fail(pos, src.slice(pos, s.end), `${name} compares with a number, without quotes: ${example}`);
    return { value: s.text, end: s.end };
  }
  NUMBER.lastIndex = pos;
  const num = NUMBER.exec(src)?.[0];
  if (num !== undefined && !/[A-Za-z0-9_.]/.test(src.charAt(NUMBER.lastIndex))) {
    if (!wantNumber) return fail(pos, num, `${name} compares with a quoted string: ${name} ${cmp} '${num}'`);
    const value = Number(num);
    if (field.entity === "attribute" && !Number.isInteger(value)) {
      return fail(pos, num, `${name} is an integer number of milliseconds since the epoch`);
    }
    return { value, end: NUMBER.lastIndex };
  }
  const token = excerpt(src, pos);
  const rule = wantNumber ? `expected a number: ${example}` : `expected a quoted string: ${name} ${cmp} '${token}'`;
  return fail(pos, token, rule);
}

function parseClause(src: string, start: number, fail: Fail): { clause: FilterClause; end: number } {
  if (src.charAt(start) === "(") {
    return fail(start, excerpt(src, start), "parentheses are not supported; join clauses with AND");
  }
  const { field, end: fieldEnd } = scanField(src, start, fail);
  const cmpPos = skipSpaces(src, fieldEnd);
  if (cmpPos >= src.length) {
    return fail(cmpPos, src, `expected a comparator after ${describeField(field)}: ${ALL_COMPARATORS}`);
  }
  const { comparator, end: cmpEnd } = readComparator(src, cmpPos, fail);
  const allowed = allowedComparators(field);
  if (!allowed.includes(comparator)) {
    return fail(cmpPos, comparator, `${describeField(field)} supports only ${allowed.join(", ")}`);
  }
  let value: Value = null;
  let end = cmpEnd;
  if (comparator !== "IS NULL" && comparator !== "IS NOT NULL") {
    ({ value, end } = readValue(src, skipSpaces(src, cmpEnd), field, comparator, fail));
  }
  return { clause: Object.freeze({ entity: field.entity, key: field.key, comparator, value, position: start }), end };
}

/**
 * Parses and compiles a filter in MLflow's search syntax (the subset documented at the top
 * of this module and in `docs/search-syntax.md`). An empty or blank filter matches every
 * run. Throws `ValidationError` (field `filter`) naming the offending text, its position
 * and what is supported.
 *
 * @example
 * ```ts
 * const f = parseRunFilter("metrics.acc > 0.9 and params.opt = 'adam' and tags.`team name` LIKE 'gr%'");
 * const good = runs.filter((run) => matchesRunFilter(f, run));
 * parseRunFilter("metrics.acc > 0.9 or metrics.f1 > 0.8"); // ValidationError: … no OR … (at position 18)
 * ```
 */
export function parseRunFilter(filter: string): RunFilter {
  if (typeof filter !== "string") {
    throw new ValidationError("filter", filter, 'must be a string such as "metrics.acc > 0.9"');
  }
  const fail: Fail = (position, text, rule) => {
    throw new ValidationError("filter", text, `${rule} (at position ${position})`);
  };
  const clauses: FilterClause[] = [];
  let pos = skipSpaces(filter, 0);
  while (pos < filter.length) {
    const { clause, end } = parseClause(filter, pos, fail);
    clauses.push(clause);
    pos = skipSpaces(filter, end);
    if (pos >= filter.length) break;
    const w = readWord(filter, pos);
    if (w?.word === "AND") {
      const next = skipSpaces(filter, w.end);
      if (next === w.end && next < filter.length) fail(w.end, excerpt(filter, pos), "put a space after AND");
      if (next >= filter.length) fail(pos, filter.slice(pos), "expected a clause after AND");
      pos = next;
    } else if (w?.word === "OR" || filter.startsWith("||", pos)) {
      fail(pos, excerpt(filter, pos), "MLflow filters have no OR: join clauses with AND, or run one search per alternative");
    } else {
      fail(pos, excerpt(filter, pos), "expected AND or the end of the filter after a clause");
    }
  }
  const parsed: RunFilter = Object.freeze({ source: filter, clauses: Object.freeze(clauses) });
  predicateCache.set(parsed, compile(parsed.clauses));
  return parsed;
}

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

function compile(clauses: readonly FilterClause[]): Predicate {
  const preds = clauses.map(compileClause);
  const [only] = preds;
  if (preds.length === 0) return () => true;
  if (preds.length === 1 && only !== undefined) return only;
  return (run) => {
    for (const p of preds) if (!p(run)) return false;
    return true;
  };
}

const predicateCache = new WeakMap<RunFilter, Predicate>();

function predicateOf(filter: RunFilter): Predicate {
  let p = predicateCache.get(filter);
  if (p === undefined) {
    p = compile(filter.clauses);
    predicateCache.set(filter, p);
  }
  return p;
}

/**
 * True when `run` satisfies every clause of `filter`. The filter's compiled closures are
 * reused, so calling this for many runs is cheap.
 *
 * @example
 * ```ts
 * const f = parseRunFilter("attributes.status = 'FINISHED' and metrics.loss < 0.3");
 * if (matchesRunFilter(f, run)) console.log(run.info.runId);
 * ```
 */
export function matchesRunFilter(filter: RunFilter, run: RunRecord): boolean {
  return predicateOf(filter)(run);
}

/** `maxResults` of a search, checked (default {@link SEARCH_MAX_RESULTS_DEFAULT}). Throws `ValidationError`. @internal */
export function checkMaxResults(maxResults: number | undefined): number {
  const max = maxResults ?? SEARCH_MAX_RESULTS_DEFAULT;
  if (!Number.isInteger(max) || max < 1 || max > SEARCH_MAX_RESULTS_LIMIT) {
    throw new ValidationError("maxResults", max, `must be an integer from 1 to ${SEARCH_MAX_RESULTS_LIMIT}`);
  }
  return max;
}

/**
 * Filters, orders and truncates runs like an MLflow server answers `runs/search`: keeps
 * the runs matching `filter`, sorts them by `orderBy` (ties, and no order at all: start_time
 * DESC, then run_id) and returns the first `maxResults`. Every option is validated before
 * any run is read; bad ones throw `ValidationError`.
 *
 * @example
 * ```ts
 * const top = searchRunRecords(runs, {
 *   filter: "params.opt = 'adam' and metrics.acc >= 0.8",
 *   orderBy: ["metrics.acc DESC"],
 *   maxResults: 5,
 * });
 * ```
 */
export function searchRunRecords(runs: Iterable<RunRecord>, opts: SearchRunRecordsOptions = {}): RunRecord[] {
  const max = checkMaxResults(opts.maxResults);
  const filter = opts.filter === undefined ? undefined : parseRunFilter(opts.filter);
  const order = parseOrderBy(opts.orderBy ?? []);
  const test = filter === undefined || filter.clauses.length === 0 ? undefined : predicateOf(filter);
  const matched: RunRecord[] = [];
  for (const run of runs) if (test === undefined || test(run)) matched.push(run);
  const sorted = sortRunRecords(matched, order);
  if (sorted.length > max) sorted.length = max;
  return sorted;
}

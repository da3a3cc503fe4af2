/**
 * The parser of run filters: turns filter text in the syntax documented in `filter.ts` into
 * frozen clauses, checking each field's comparator and value type as MLflow's `SearchUtils`
 * does. Errors name the offending text, its position and what is supported.
 *
 * @packageDocumentation
 */

import { ValidationError } from "../errors.js";
import { excerpt, isNumericAttribute, scanField, scanQuoted, skipSpaces } from "./run-fields.js";
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
 * The clauses of `filter`, each frozen; an empty or blank filter has none. Throws
 * `ValidationError` (field `filter`) naming the offending text, its position and what is
 * supported.
 * @example `parseFilterClauses("metrics.acc > 0.9")[0]?.comparator === ">"` @internal
 */
export function parseFilterClauses(filter: string): FilterClause[] {
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
  return clauses;
}

/**
 * Run fields and run ordering for `searchRuns`, shared by the local store and the filter
 * parser in `filter.ts`. A field is `metrics.<key>`, `params.<key>`, `tags.<key>` or an
 * attribute (`attributes.<name>`, or the bare name). Ordering follows MLflow's
 * `SearchUtils.sort`: each clause is `<field> [ASC|DESC]`; runs missing the field sort last
 * in either direction, a NaN metric sorts after every number and before missing ones, and
 * ties fall back to `start_time` descending, then `run_id` ascending. Strings compare by
 * Unicode code point, as Python and SQL stores do.
 *
 * @packageDocumentation
 */

import { ownValue } from "../internal/keyed.js";
import { ValidationError } from "../errors.js";
import type { RunRecord } from "../model/types.js";

/**
 * The kind of a run field: what follows is a metric key, param key, tag key or attribute name.
 * @example `"metric"` for `metrics.acc`
 */
export type RunFieldEntity = "metric" | "param" | "tag" | "attribute";

/**
 * A resolved run field. For attributes `key` is the canonical name (`run_id`, `run_name`,
 * `status`, `start_time`, `end_time`); aliases such as `created` are already resolved.
 * @example `{ entity: "metric", key: "val-loss" }` for ``metrics.`val-loss` ``
 */
export interface RunField {
  /** What kind of value the field reads. */
  readonly entity: RunFieldEntity;
  /** Metric, param or tag key, or canonical attribute name. */
  readonly key: string;
}

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

/**
 * Reports a syntax error at `position` of the text being parsed; never returns.
 * @example `fail(12, "or", "MLflow filters have no OR")` @internal
 */
export type Fail = (position: number, text: string, rule: string) => never;

/** Prefix → entity, with MLflow's alternate spellings. */
const PREFIXES: ReadonlyMap<string, RunFieldEntity> = new Map<string, RunFieldEntity>([
  ["metrics", "metric"],
  ["metric", "metric"],
  ["params", "param"],
  ["param", "param"],
  ["parameters", "param"],
  ["parameter", "param"],
  ["tags", "tag"],
  ["tag", "tag"],
  ["attributes", "attribute"],
  ["attribute", "attribute"],
  ["attr", "attribute"],
  ["run", "attribute"],
]);

/** Attribute name or alias → canonical name. */
const ATTRIBUTES: ReadonlyMap<string, string> = new Map([
  ["run_id", "run_id"],
  ["run_name", "run_name"],
  ["status", "status"],
  ["start_time", "start_time"],
  ["end_time", "end_time"],
  ["created", "start_time"],
  ["Created", "start_time"],
  ["run name", "run_name"],
  ["Run name", "run_name"],
  ["Run Name", "run_name"],
]);

/** The tag MLflow stores the run name in; read from `info.name` when the tag is absent. */
const RUN_NAME_TAG = "mlflow.runName";

const SUPPORTED_FIELDS =
  "fields are metrics.<key>, params.<key>, tags.<key> or attributes.<name> " + "(run_id, run_name, status, start_time, end_time, created)";

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const BARE_KEY = /[A-Za-z0-9_.]+/y;
const UNQUOTED_RUN = /[^\s=!<>(),'"]+/y;

/**
 * True for the attributes compared as numbers (`start_time`, `end_time`).
 * @example `isNumericAttribute("start_time") === true` @internal
 */
export function isNumericAttribute(name: string): boolean {
  return name === "start_time" || name === "end_time";
}

/**
 * Index of the first non-whitespace character at or after `pos`.
 * @example `skipSpaces("  a", 0) === 2` @internal
 */
export function skipSpaces(src: string, pos: number): number {
  let i = pos;
  while (i < src.length && /\s/.test(src.charAt(i))) i++;
  return i;
}

/**
 * Reads text quoted with the character at `pos`; no escapes.
 * @example `scanQuoted("`a b`", 0, "name", fail).text === "a b"` @internal
 */
export function scanQuoted(src: string, pos: number, what: string, fail: Fail): { text: string; end: number } {
  const quote = src.charAt(pos);
  const close = src.indexOf(quote, pos + 1);
  const rule = `unterminated ${what} starting at position ${pos}: close it with ${quote}`;
  if (close < 0) return fail(pos, src.slice(pos), rule);
  return { text: src.slice(pos + 1, close), end: close + 1 };
}

function resolveAttribute(name: string, pos: number, fail: Fail, bare: boolean): string {
  const canonical = ATTRIBUTES.get(name);
  if (canonical !== undefined) return canonical;
  if (name === "user_id" || name === "artifact_uri") {
    return fail(pos, name, `attribute ${name} is not recorded by the local store; ${SUPPORTED_FIELDS}`);
  }
  const hint = bare ? `; did you mean metrics.${name}, params.${name} or tags.${name}?` : "";
  return fail(pos, name, `unknown attribute "${name}"${hint}; ${SUPPORTED_FIELDS}`);
}

/**
 * Reads a field at `start`: `metrics.acc`, ``metrics.`val-loss` ``, `tags."a b"`,
 * `tags.mlflow.runName`, `attributes.status`, `run.start_time` or a bare attribute name. Prefixes are
 * case-sensitive, as in MLflow.
 * @example `scanField("metrics.acc > 1", 0, fail) // { field: { entity: "metric", key: "acc" }, end: 11 }` @internal
 */
export function scanField(src: string, start: number, fail: Fail): { field: RunField; end: number } {
  let head: string;
  let pos: number;
  if (src.charAt(start) === "`") {
    ({ text: head, end: pos } = scanQuoted(src, start, "quoted name", fail));
  } else {
    WORD.lastIndex = start;
    const m = WORD.exec(src);
    if (m === null) return fail(start, excerpt(src, start), `expected a field here; ${SUPPORTED_FIELDS}`);
    head = m[0];
    pos = WORD.lastIndex;
  }
  if (src.charAt(pos) !== ".") {
    return { field: { entity: "attribute", key: resolveAttribute(head, start, fail, true) }, end: pos };
  }
  const entity = PREFIXES.get(head);
  if (entity === undefined) {
    const rule =
      head === "dataset" || head === "datasets" ? "dataset filters are not supported by the local store" : `unknown prefix "${head}" (prefixes are lowercase)`;
    return fail(start, head, `${rule}; ${SUPPORTED_FIELDS}`);
  }
  pos += 1;
  const keyPos = pos;
  let key: string;
  const q = src.charAt(pos);
  if (q === "`" || q === '"') {
    ({ text: key, end: pos } = scanQuoted(src, pos, "quoted name", fail));
    if (key === "") return fail(keyPos, src.slice(start, pos), "the quoted key is empty");
  } else {
    BARE_KEY.lastIndex = pos;
    const m = BARE_KEY.exec(src);
    UNQUOTED_RUN.lastIndex = keyPos;
    const raw = UNQUOTED_RUN.exec(src)?.[0] ?? "";
    if (raw === "") {
      return fail(keyPos, `${head}.`, `expected a key after "${head}.", e.g. ${head}.my_key or ${head}.\`my key\``);
    }
    if (m === null || m[0].length < raw.length) {
      return fail(keyPos, `${head}.${raw}`, `a key with characters other than letters, digits, "_" and "." must be quoted: ${head}.\`${raw}\``);
    }
    key = m[0];
    pos = BARE_KEY.lastIndex;
  }
  if (entity === "attribute") key = resolveAttribute(key, keyPos, fail, false);
  return { field: { entity, key }, end: pos };
}

/**
 * The text at `pos` up to the next space (at most 40 characters), for error messages; the whole source
 * when `pos` is at the end.
 * @example `excerpt("a > b or c", 6) === "or"` @internal
 */
export function excerpt(src: string, pos: number): string {
  if (pos >= src.length) return src;
  const m = /\S+/y;
  m.lastIndex = pos;
  return (m.exec(src)?.[0] ?? src.slice(pos)).slice(0, 40);
}

/**
 * A reader for one field: returns the run's value, or `undefined` when the run lacks it (no such
 * metric/param/tag, or no `end_time` yet). `tags.mlflow.runName` falls back to the run's name.
 * @example `fieldReader({ entity: "param", key: "lr" })(run) // "0.001"` @internal
 */
export function fieldReader(field: RunField): (run: RunRecord) => string | number | undefined {
  const { key } = field;
  switch (field.entity) {
    case "metric":
      return (run) => numberOrUndefined(ownValue(run.data.metrics, key));
    case "param":
      return (run) => stringOrUndefined(ownValue(run.data.params, key));
    case "tag":
      if (key === RUN_NAME_TAG) return (run) => stringOrUndefined(ownValue(run.data.tags, key)) ?? run.info.name;
      return (run) => stringOrUndefined(ownValue(run.data.tags, key));
    case "attribute":
      switch (key) {
        case "run_id":
          return (run) => run.info.runId;
        case "run_name":
          return (run) => run.info.name;
        case "status":
          return (run) => run.info.status;
        case "start_time":
          return (run) => run.info.startTime;
        case "end_time":
          return (run) => run.info.endTime;
        default:
          throw new ValidationError("attribute", key, `unknown attribute; ${SUPPORTED_FIELDS}`);
      }
  }
}

/* Records are plain objects: `typeof` checks keep prototype members (`constructor`) out. */
const numberOrUndefined = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
const stringOrUndefined = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

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

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
import { type FilterClause, parseFilterClauses } from "./filter-parser.js";
import { compileFilter, type Predicate } from "./filter-predicate.js";
import { parseOrderBy, sortRunRecords } from "./order.js";

export type { FilterClause, FilterComparator } from "./filter-parser.js";

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
  const parsed: RunFilter = Object.freeze({ source: filter, clauses: Object.freeze(parseFilterClauses(filter)) });
  predicateCache.set(parsed, compileFilter(parsed.clauses));
  return parsed;
}

const predicateCache = new WeakMap<RunFilter, Predicate>();

function predicateOf(filter: RunFilter): Predicate {
  let p = predicateCache.get(filter);
  if (p === undefined) {
    p = compileFilter(filter.clauses);
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

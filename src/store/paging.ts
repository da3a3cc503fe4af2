/**
 * Run search with pages, as MLflow's `runs/search` answers it: `maxResults` runs from the
 * position a `pageToken` names, and the token of the next page while runs remain. The token
 * is MLflow's own shape (base64 of `{"offset": n}`), so it is opaque but interchangeable.
 */
import { ValidationError } from "../errors.js";
import type { RunRecord } from "../model/types.js";
import { checkMaxResults, matchesRunFilter, parseRunFilter, SEARCH_MAX_RESULTS_LIMIT, type SearchRunRecordsOptions } from "./filter.js";
import { parseOrderBy, sortRunRecords } from "./order.js";

/**
 * Options of {@link searchRunRecordsPage}.
 * @example `{ filter: "metrics.acc > 0.9", maxResults: 100, pageToken: page.nextPageToken }`
 */
export interface SearchRunsPageOptions extends SearchRunRecordsOptions {
  /** Where to continue: the `nextPageToken` of the previous page. @default the first page */
  readonly pageToken?: string | undefined;
}

/**
 * One page of runs.
 * @example `for (let p = await tracker.searchRunsPage({}); ; p = await tracker.searchRunsPage({ pageToken: p.nextPageToken })) { …; if (!p.nextPageToken) break; }`
 */
export interface RunsPage {
  /** The runs of this page, in order. */
  readonly runs: RunRecord[];
  /** Token of the next page; absent on the last page. */
  readonly nextPageToken?: string;
}

/** The offset a page token names. Throws `ValidationError` (field `pageToken`) for a token this search did not give. */
export function pageOffset(token: string | undefined): number {
  if (token === undefined || token === "") return 0;
  let offset: unknown;
  try {
    offset = (JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { offset?: unknown }).offset;
  } catch {
    offset = undefined;
  }
  if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0) {
    throw new ValidationError("pageToken", token, "is not a page token of a run search: pass the nextPageToken of the previous page");
  }
  return offset;
}

/** The token of the page starting at `offset`. */
export function pageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString("base64");
}

/**
 * Filters and orders `runs` like {@link searchRunRecords} and returns the page at `pageToken`.
 * @example `const { runs, nextPageToken } = searchRunRecordsPage(all, { orderBy: ["metrics.acc DESC"], maxResults: 50 })`
 */
export function searchRunRecordsPage(runs: Iterable<RunRecord>, opts: SearchRunsPageOptions = {}): RunsPage {
  const max = checkMaxResults(opts.maxResults);
  const filter = opts.filter === undefined ? undefined : parseRunFilter(opts.filter);
  const order = parseOrderBy(opts.orderBy ?? []);
  const offset = pageOffset(opts.pageToken);
  const matched: RunRecord[] = [];
  for (const run of runs) if (filter === undefined || matchesRunFilter(filter, run)) matched.push(run);
  return pageOf(sortRunRecords(matched, order), offset, max);
}

/** The page of `max` runs at `offset` of the whole ordered answer `sorted` (or its first `offset + max + 1` runs). */
export function pageOf(sorted: readonly RunRecord[], offset: number, max: number): RunsPage {
  const page = sorted.slice(offset, offset + max);
  return offset + max < sorted.length ? { runs: page, nextPageToken: pageToken(offset + max) } : { runs: page };
}

/**
 * The page at `opts.pageToken` of a search that answers at most {@link SEARCH_MAX_RESULTS_LIMIT}
 * runs at once (a server's, merged with the runs this log holds): asks `search` for the runs up
 * to the end of the page and one more. Throws `ValidationError` for a page past that limit.
 */
export async function pageBySearch(opts: SearchRunsPageOptions, search: (maxResults: number) => Promise<RunRecord[]>): Promise<RunsPage> {
  const max = checkMaxResults(opts.maxResults);
  const offset = pageOffset(opts.pageToken);
  const want = offset + max + 1;
  if (want > SEARCH_MAX_RESULTS_LIMIT + 1) {
    throw new ValidationError("pageToken", opts.pageToken, `names a page past the first ${SEARCH_MAX_RESULTS_LIMIT} runs of the search: narrow the filter`);
  }
  return pageOf(await search(Math.min(want, SEARCH_MAX_RESULTS_LIMIT)), offset, max);
}

/**
 * The app's calls to the dashboard's JSON API, and the route state kept in the URL hash.
 *
 * @packageDocumentation
 */

/**
 * GETs `/api/<path>` with query parameters; throws the API's error message on failure.
 * @example `await get<{ runs: RunRow[] }>("runs", { experiment: "churn" })`
 */
export async function get<T>(path: string, params: Record<string, string | readonly string[] | undefined> = {}): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    for (const one of typeof v === "string" ? [v] : v) q.append(k, one);
  }
  const res = await fetch(`/api/${path}?${q.toString()}`, { credentials: "same-origin" });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

/**
 * The current route: `#/runs?filter=…` gives `{ path: ["runs"], query }`.
 * @example `const { path, query } = route();`
 */
export function route(): { path: string[]; query: URLSearchParams } {
  const hash = location.hash.replace(/^#\/?/, "");
  const q = hash.indexOf("?");
  const pathPart = q === -1 ? hash : hash.slice(0, q);
  return {
    path: pathPart
      .split("/")
      .filter((s) => s !== "")
      .map(decodeURIComponent),
    query: new URLSearchParams(q === -1 ? "" : hash.slice(q + 1)),
  };
}

/**
 * Builds a hash URL.
 * @example `href(["run", id], { x: "time" }) // "#/run/abc?x=time"`
 */
export function href(path: readonly string[], query: Record<string, string | undefined> | URLSearchParams = {}): string {
  const q =
    query instanceof URLSearchParams
      ? query
      : new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""));
  const qs = q.toString();
  return `#/${path.map(encodeURIComponent).join("/")}${qs === "" ? "" : `?${qs}`}`;
}

/**
 * Updates the URL's query without adding a history entry or re-rendering.
 * @example `setQuery({ filter: "metrics.acc > 0.9" })`
 */
export function setQuery(update: Record<string, string | undefined>): void {
  const { path, query } = route();
  for (const [k, v] of Object.entries(update)) {
    if (v === undefined || v === "") query.delete(k);
    else query.set(k, v);
  }
  history.replaceState(null, "", href(path, query));
}

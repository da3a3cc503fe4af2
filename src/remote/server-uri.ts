/**
 * One server, one identity: the URL a tracker connects to, cleaned of what browsers and
 * copy-paste add, and the key its replication progress is stored under, the same for every
 * spelling of that server.
 */
import { defined } from "../internal/defined.js";

/** Hosts that name this machine's loopback interface: one server whichever is written. */
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** An API path pasted after the server's base URL: `/api/2.0/mlflow…` or `/ajax-api/…`. */
const API_PATH = /\/(?:(?:api|ajax-api)\/2\.0\/mlflow(?:-artifacts)?(?:\/.*)?|ajax-api(?:\/.*)?)$/i;

/**
 * A tracking server URL as mltrail uses it.
 * @example `{ url: "http://localhost:5000", key: "http://localhost:5000" }`
 */
export interface ServerUri {
  /** The URL requests go to: no credentials, fragment, API path or trailing slash. */
  readonly url: string;
  /** The server's identity: `url` with loopback hosts spelled `localhost`. */
  readonly key: string;
  /** What was removed from the URL that the user should know about, if anything. */
  readonly notice?: string;
}

/**
 * Cleans an http(s) tracking URL: scheme and host lower case (by WHATWG URL parsing), default
 * ports dropped, credentials, `#…` fragment and trailing slashes removed, and an API path
 * (`/api/2.0/mlflow`, `/ajax-api/…`) stripped with a notice. Throws `TypeError` for a URL
 * that does not parse.
 * @example `canonicalServerUri("HTTP://127.0.0.1:80/#/experiments/1").url // "http://127.0.0.1"`
 */
export function canonicalServerUri(uri: string): ServerUri {
  const url = new URL(uri);
  url.username = "";
  url.password = "";
  url.hash = "";
  let notice: string | undefined;
  const path = url.pathname.replace(/\/+$/, "");
  const api = API_PATH.exec(path);
  if (api !== null) {
    url.pathname = path.slice(0, api.index);
    notice = `the tracking URI ends in the API path "${api[0]}"; mltrail adds that path itself, so it uses ${url.origin}${url.pathname.replace(/\/+$/, "")} (give the server's base URL to silence this)`;
  } else {
    url.pathname = path;
  }
  const rest = `${url.pathname.replace(/\/+$/, "")}${url.search}`;
  const host = LOOPBACK.has(url.hostname) ? "localhost" : url.hostname;
  const clean = `${url.protocol}//${url.host}${rest}`;
  const key = `${url.protocol}//${host}${url.port === "" ? "" : `:${url.port}`}${rest}`;
  return { url: clean, key, ...defined({ notice }) };
}

/**
 * The identity of a server URL (see {@link canonicalServerUri}); a string that does not parse
 * is its own key.
 * @example `serverKey("http://127.0.0.1:5000/") === serverKey("http://localhost:5000") // true`
 */
export function serverKey(uri: string): string {
  try {
    return canonicalServerUri(uri).key;
  } catch {
    return uri;
  }
}

/**
 * What both transports (axios in Node, `fetch` in the browser) share: the tracking URI check,
 * the static headers and the secrets they carry, the per-request header provider, MLflow's
 * query encoding, body parsing, and the error of a non-2xx answer with every secret redacted.
 * No Node import.
 *
 * @packageDocumentation
 */
import { MltrailError, ValidationError, type ApiError } from "../errors.js";
import { apiErrorFromResponse } from "./errors.js";
import type { HttpAuth, HttpOptions, QueryValue } from "./http-types.js";
import { hideUrlCredentials, uriCredentials } from "../internal/redact.js";

/** Names of headers that carry a secret: redacted from errors, and not sent on after a redirect to another origin. */
export const SENSITIVE_HEADER = /authorization|cookie|token|secret|api[-_]?key|password/i;

/**
 * Encodes query parameters the way MLflow's server reads them: repeated keys for arrays
 * (`run_ids=a&run_ids=b`), `true`/`false` for booleans, `undefined` left out.
 *
 * @example
 * ```ts
 * encodeQuery({ run_ids: ["a", "b"], max_results: 10 }); // "run_ids=a&run_ids=b&max_results=10"
 * ```
 */
export function encodeQuery(query: Readonly<Record<string, QueryValue>>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const values: readonly (string | number | boolean)[] = Array.isArray(value) ? value : [value as string];
    for (const v of values) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
  }
  return parts.join("&");
}

/** The base URL without credentials and the userinfo's user and password. @throws ValidationError */
function parseTrackingUri(uri: string): { baseUrl: string; username?: string; password?: string } {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ValidationError("trackingUri", hideUrlCredentials(uri), "must be an absolute http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ValidationError("trackingUri", hideUrlCredentials(uri), "must be an http(s) URL");
  }
  const { username, password } = uriCredentials(url, uri, "trackingUri");
  const baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  return { baseUrl, ...(username === "" ? {} : { username }), ...(url.password === "" ? {} : { password }) };
}

function makeRedactor(secrets: readonly string[]): (text: string) => string {
  const list = [...new Set(secrets.filter((s) => s.length >= 3))].sort((a, b) => b.length - a.length);
  return (text) => list.reduce((out, secret) => out.split(secret).join("***"), text);
}

function secretsOf(headers: Readonly<Record<string, string>> | undefined): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!SENSITIVE_HEADER.test(name)) continue;
    out.push(value);
    const credential = value.replace(/^(Bearer|Basic|Token)\s+/i, "");
    out.push(credential);
  }
  return out;
}

/** Base64 of the UTF-8 bytes of `text` (what Basic auth sends), without Node's Buffer. */
function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Parses a JSON body; text that is not JSON stays text, a blank body is `undefined`.
 * @example `parseBody('{"a":1}') // { a: 1 }`
 */
export function parseBody(text: unknown): unknown {
  if (typeof text !== "string") return text;
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** What one request is sent with: its endpoint (path without query), headers from the provider, and the redactor covering them. */
export interface PreparedRequest {
  /** The path without its query string, for error messages. */
  readonly endpoint: string;
  /** The header provider's headers for this request (override all others). */
  readonly provided: Readonly<Record<string, string>>;
  /** Removes every known secret (static and provided) from text. */
  readonly redact: (text: string) => string;
}

/**
 * A transport's fixed part, built once from its options: base URL, static headers, the
 * per-request preparation and the error of a non-2xx answer. Header precedence, lowest first:
 * `User-Agent` / `Accept`, `Authorization` (Basic when `username` and `password` are both set,
 * else Bearer `token`), `X-MLFLOW-WORKSPACE`, `headers`, then the `headerProvider`'s result per
 * request. Credentials in the URI's userinfo are used when `username`/`password` are not given,
 * and are always removed from the base URL. Credentials live only in this closure: never in
 * storage, never in an error.
 */
export interface TransportCore {
  /** The base URL without credentials, e.g. `https://host/prefix`. */
  readonly baseUrl: string;
  /** The headers every request carries (frozen). */
  readonly staticHeaders: Readonly<Record<string, string>>;
  /** Removes the static secrets from text. */
  readonly redact: (text: string) => string;
  /**
   * Checks the path, calls the header provider, and builds the redactor for this request.
   * @throws ValidationError for a path not starting with `/`; MltrailError `HEADER_PROVIDER` when the provider fails.
   */
  prepare(path: string, onFail?: () => void): Promise<PreparedRequest>;
  /** The ApiError for a non-2xx answer, with any echoed secret redacted from message and stack. */
  failure(status: number, text: unknown, endpoint: string, retryAfter: unknown, redact: (text: string) => string): ApiError;
}

/**
 * Builds the {@link TransportCore} of a transport.
 * @throws ValidationError for a bad `trackingUri`.
 * @example `const core = transportCore({ trackingUri: "http://127.0.0.1:5000", token });`
 */
export function transportCore(options: HttpOptions): TransportCore {
  const parsed = parseTrackingUri(options.trackingUri);
  const username = options.username ?? parsed.username;
  const password = options.password ?? parsed.password;
  const base: Record<string, string> = { "User-Agent": options.userAgent ?? "mltrail", Accept: "application/json" };
  const secrets: string[] = [];
  if (username !== undefined && password !== undefined) {
    const basic = base64Utf8(`${username}:${password}`);
    base["Authorization"] = `Basic ${basic}`;
    secrets.push(basic, password, encodeURIComponent(password), `${username}:${password}`);
  } else if (options.token !== undefined && options.token !== "") {
    base["Authorization"] = `Bearer ${options.token}`;
  }
  if (options.token !== undefined) secrets.push(options.token);
  if (password !== undefined) secrets.push(password);
  if (options.workspace !== undefined && options.workspace !== "") base["X-MLFLOW-WORKSPACE"] = options.workspace;
  Object.assign(base, options.headers);
  secrets.push(...secretsOf(options.headers));
  const redactStatic = makeRedactor(secrets);
  const headerProvider = options.headerProvider;

  return {
    baseUrl: parsed.baseUrl,
    staticHeaders: Object.freeze(base),
    redact: redactStatic,
    async prepare(path, onFail) {
      if (!path.startsWith("/")) throw new ValidationError("path", path, "must start with /");
      const endpoint = path.split("?")[0] ?? path;
      let provided: Readonly<Record<string, string>> = {};
      if (headerProvider !== undefined) {
        try {
          provided = await headerProvider();
        } catch (error) {
          onFail?.();
          throw new MltrailError(`${endpoint}: the headerProvider failed`, { cause: error, code: "HEADER_PROVIDER" });
        }
      }
      const redact = secretsOf(provided).length === 0 ? redactStatic : makeRedactor([...secrets, ...secretsOf(provided)]);
      return { endpoint, provided, redact };
    },
    failure(status, text, endpoint, retryAfter, redact) {
      const body = parseBody(text);
      const error = apiErrorFromResponse({ status, data: typeof body === "string" ? redact(body) : body, endpoint, headers: { "retry-after": retryAfter } });
      const clean = redact(error.message);
      if (clean !== error.message) {
        Object.defineProperty(error, "message", { value: clean });
        error.stack = redact(error.stack ?? "");
      }
      return error;
    },
  };
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/**
 * What `util.inspect` and `JSON.stringify` show of credentials: `token`, `password` and every
 * header value as `***`, the header provider as `[function]`; the user name, workspace and TLS
 * settings as they are.
 * @example `authView({ username: "bob", password: "pw" }) // { username: "bob", password: "***" }`
 */
export function authView(auth: HttpAuth): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(auth)) {
    if (value === undefined) continue;
    if (key === "token" || key === "password") view[key] = "***";
    else if (key === "headers") view[key] = Object.fromEntries(Object.keys(value as object).map((name) => [name, "***"]));
    else if (key === "headerProvider") view[key] = "[function]";
    else if (key === "caCert") view[key] = typeof value === "string" ? `[PEM, ${value.length} chars]` : `[PEM, ${(value as Uint8Array).length} bytes]`;
    else view[key] = value;
  }
  return view;
}

/**
 * Freezes credentials so that printing them never shows a secret: `JSON.stringify` and
 * `util.inspect` (so `console.log`) see {@link authView}. The fields stay readable by code.
 * @example `JSON.stringify(sealAuth({ token: "t0k3n" })) // '{"token":"***"}'`
 */
export function sealAuth(auth: HttpAuth): HttpAuth {
  const sealed = { ...auth };
  Object.defineProperty(sealed, "toJSON", { value: () => authView(auth), enumerable: false });
  Object.defineProperty(sealed, INSPECT, { value: () => authView(auth), enumerable: false });
  return Object.freeze(sealed);
}

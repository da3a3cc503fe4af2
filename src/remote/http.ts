/**
 * The HTTP transport to an MLflow-compatible server: one axios instance per tracker, with
 * keep-alive agents, auth headers, MLflow-style query encoding and errors from one factory.
 * No error thrown from here carries a credential (token, password, `Authorization`, URL
 * userinfo): raw axios errors are never attached, and messages pass through a redactor.
 *
 * @packageDocumentation
 */
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { Readable } from "node:stream";
import axios from "axios";
import type { AxiosInstance, AxiosResponse } from "axios";
import { MltrailError, ValidationError, type ApiError } from "../errors.js";
import { apiErrorFromResponse, connectionErrorFrom } from "./errors.js";
import { envBool } from "../internal/env.js";
import { hideUrlCredentials, uriCredentials } from "../internal/redact.js";
import { defined } from "../internal/defined.js";

/**
 * Credentials and connection settings for the tracking server: the tracker option
 * {@link TrackerOptions.auth | auth}, its unset fields read from MLflow's environment variables
 * (named on each field below).
 * When both `username` and `password` are set, Basic auth is sent and `token` is ignored,
 * as the MLflow Python client does.
 *
 * @example `{ token: process.env.MY_TOKEN, workspace: "team-a" }`
 */
export interface HttpAuth {
  /** Bearer token (`MLFLOW_TRACKING_TOKEN`). Ignored when username and password are both set. */
  readonly token?: string;
  /** Basic-auth user (`MLFLOW_TRACKING_USERNAME`). */
  readonly username?: string;
  /** Basic-auth password (`MLFLOW_TRACKING_PASSWORD`). */
  readonly password?: string;
  /** Extra headers on every request; they override the auth and workspace headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Called before every request (e.g. to refresh a token); its headers override all others. */
  readonly headerProvider?: () => Promise<Readonly<Record<string, string>>>;
  /** Skip TLS certificate checks (`MLFLOW_TRACKING_INSECURE_TLS`). @default false */
  readonly insecureTls?: boolean;
  /** CA bundle (PEM) to trust (`MLFLOW_TRACKING_SERVER_CERT_PATH` holds its path). */
  readonly caCert?: string | Uint8Array;
  /** Sent as `X-MLFLOW-WORKSPACE` (`MLFLOW_WORKSPACE`). */
  readonly workspace?: string;
}

/**
 * Options of {@link createHttpClient}.
 * @example `{ trackingUri: "https://mlflow.example.com/prefix", token: "…", timeoutMs: 10_000 }`
 */
export interface HttpOptions extends HttpAuth {
  /** Server base URL; may carry a path prefix and `user:password@` (moved into Basic auth). */
  readonly trackingUri: string;
  /** Per-request timeout, ms. @default 30000 */
  readonly timeoutMs?: number;
  /** `User-Agent` header. @default "mltrail" */
  readonly userAgent?: string;
  /** Sockets per host kept by the keep-alive agents. @default 10 */
  readonly maxSockets?: number;
}

/** HTTP methods the MLflow REST API uses. @example `"POST"` */
export type HttpMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/** A query value; arrays become repeated keys. @example `["a", "b"]` → `k=a&k=b` */
export type QueryValue = string | number | boolean | readonly (string | number | boolean)[] | undefined;

/**
 * Per-request options.
 * @example `{ query: { run_id: id }, timeoutMs: 5000 }`
 */
export interface RequestOptions {
  /** JSON body (POST, PATCH, PUT, DELETE); sent with `Content-Type: application/json`. */
  readonly body?: unknown;
  /** Query parameters (GET); `undefined` values are left out. */
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Overrides the client's timeout, ms. */
  readonly timeoutMs?: number;
  /** Aborts the request; it then fails with a non-retryable `ConnectionError`. */
  readonly signal?: AbortSignal;
}

/**
 * Options of {@link HttpClient.stream}.
 * @example `{ body: createReadStream(file), contentLength: size, signal }`
 */
export interface StreamRequestOptions {
  /** Raw request body, streamed as is (never buffered); one attempt consumes it. */
  readonly body?: Readable;
  /** `Content-Length` of `body`, bytes. Without it the body is sent chunked. */
  readonly contentLength?: number;
  /** `Content-Type` of `body`. @default "application/octet-stream" */
  readonly contentType?: string;
  /** Socket idle timeout, ms (not a limit on the whole transfer). @default the client's timeout */
  readonly timeoutMs?: number;
  /** Aborts the transfer; it then fails with a non-retryable `ConnectionError`. */
  readonly signal?: AbortSignal;
}

/**
 * A 2xx answer of {@link HttpClient.stream}; read or `destroy()` its body.
 * @example `const { body } = await client.stream("GET", path); body.pipe(file);`
 */
export interface StreamResponse {
  /** HTTP status (2xx). */
  readonly status: number;
  /** Response headers, lowercase names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The response body as a stream. */
  readonly body: Readable;
}

/**
 * A configured transport. Create one per tracker with {@link createHttpClient}.
 * @example `const info = await client.request("GET", "/api/2.0/mlflow/runs/get", { query: { run_id } });`
 */
export interface HttpClient {
  /** The base URL without credentials, e.g. `https://host/prefix`. */
  readonly baseUrl: string;
  /**
   * Sends a request to `baseUrl + path` and returns the parsed JSON body (`{}` when empty).
   * @throws ApiError (per-status subclass) for non-2xx, ConnectionError when there is no answer.
   */
  request<T = unknown>(method: HttpMethod, path: string, options?: RequestOptions): Promise<T>;
  /**
   * Sends one request with a streamed body and/or a streamed answer (artifact transfers):
   * same headers and error factory as `request`, no redirects followed (following one would
   * buffer the whole body for replay), no retry. Resolves on a 2xx status with the body as a
   * stream; otherwise reads a bounded part of the body and throws.
   * @throws ApiError (per-status subclass) for non-2xx, ConnectionError when there is no answer.
   */
  stream(method: HttpMethod, path: string, options?: StreamRequestOptions): Promise<StreamResponse>;
  /** Closes the keep-alive sockets. */
  close(): void;
}

const SENSITIVE_HEADER = /authorization|cookie|token|secret|api[-_]?key|password/i;

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

function parseBody(text: unknown): unknown {
  if (typeof text !== "string") return text;
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Creates the transport for one tracker. Header precedence, lowest first: `User-Agent` /
 * `Accept`, `Authorization` (Basic when `username` and `password` are both set, else Bearer
 * `token`), `X-MLFLOW-WORKSPACE`, `headers`, then the `headerProvider`'s result per request.
 * Credentials in the URI's userinfo are used when `username`/`password` are not given, and
 * are always removed from the base URL.
 *
 * @throws ValidationError for a bad `trackingUri` or both `insecureTls` and `caCert`.
 * @example
 * ```ts
 * const client = createHttpClient({ trackingUri: "http://127.0.0.1:5000", ...authFromEnv(process.env) });
 * const { experiment } = await client.request<{ experiment: unknown }>("GET",
 *   "/api/2.0/mlflow/experiments/get-by-name", { query: { experiment_name: "churn" } });
 * ```
 */
export function createHttpClient(options: HttpOptions): HttpClient {
  const parsed = parseTrackingUri(options.trackingUri);
  if (options.insecureTls === true && options.caCert !== undefined) {
    throw new ValidationError("insecureTls", true, "cannot be combined with caCert (MLFLOW_TRACKING_SERVER_CERT_PATH)");
  }
  const username = options.username ?? parsed.username;
  const password = options.password ?? parsed.password;
  const base: Record<string, string> = { "User-Agent": options.userAgent ?? "mltrail", Accept: "application/json" };
  const secrets: string[] = [];
  if (username !== undefined && password !== undefined) {
    const basic = Buffer.from(`${username}:${password}`, "utf8").toString("base64");
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
  const staticHeaders = Object.freeze(base);
  const redactStatic = makeRedactor(secrets);

  const maxSockets = options.maxSockets ?? 10;
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets });
  const httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets,
    rejectUnauthorized: options.insecureTls !== true,
    ...(options.caCert === undefined ? {} : { ca: typeof options.caCert === "string" ? options.caCert : Buffer.from(options.caCert) }),
  });
  const instance: AxiosInstance = axios.create({
    baseURL: parsed.baseUrl,
    allowAbsoluteUrls: false,
    timeout: options.timeoutMs ?? 30_000,
    httpAgent,
    httpsAgent,
    maxRedirects: 5,
    maxBodyLength: Infinity,
    responseType: "text",
    transformRequest: [(data: unknown) => data],
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
    paramsSerializer: { serialize: (params) => encodeQuery(params as Record<string, QueryValue>) },
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
  });

  /** Checks the path, calls the header provider, and builds the redactor for this request. */
  async function prepare(
    path: string,
    onFail?: () => void,
  ): Promise<{ endpoint: string; provided: Readonly<Record<string, string>>; redact: (text: string) => string }> {
    if (!path.startsWith("/")) throw new ValidationError("path", path, "must start with /");
    const endpoint = path.split("?")[0] ?? path;
    let provided: Readonly<Record<string, string>> = {};
    if (options.headerProvider !== undefined) {
      try {
        provided = await options.headerProvider();
      } catch (error) {
        onFail?.();
        throw new MltrailError(`${endpoint}: the headerProvider failed`, { cause: error, code: "HEADER_PROVIDER" });
      }
    }
    const redact = secretsOf(provided).length === 0 ? redactStatic : makeRedactor([...secrets, ...secretsOf(provided)]);
    return { endpoint, provided, redact };
  }

  /** The ApiError for a non-2xx answer, with any echoed secret redacted from message and stack. */
  function failure(status: number, text: unknown, endpoint: string, retryAfter: unknown, redact: (text: string) => string): ApiError {
    const body = parseBody(text);
    const error = apiErrorFromResponse({ status, data: typeof body === "string" ? redact(body) : body, endpoint, headers: { "retry-after": retryAfter } });
    const clean = redact(error.message);
    if (clean !== error.message) {
      Object.defineProperty(error, "message", { value: clean });
      error.stack = redact(error.stack ?? "");
    }
    return error;
  }

  async function request<T>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    const { endpoint, provided, redact } = await prepare(path);
    const headers: Record<string, string> = { ...staticHeaders };
    let data: string | undefined;
    if (method !== "GET") {
      if (opts.body !== undefined || method !== "DELETE") {
        data = JSON.stringify(opts.body ?? {});
        headers["Content-Type"] = "application/json";
      }
    }
    Object.assign(headers, provided);
    let response: AxiosResponse<unknown>;
    try {
      response = await instance.request<unknown>({
        method,
        url: path,
        headers,
        ...defined({ data }),
        ...defined({ params: opts.query }),
        ...defined({ timeout: opts.timeoutMs }),
        ...defined({ signal: opts.signal }),
      });
    } catch (error) {
      throw connectionErrorFrom(error, endpoint, redact);
    }
    if (response.status >= 200 && response.status < 300) return (parseBody(response.data) ?? {}) as T;
    throw failure(response.status, response.data, endpoint, response.headers["retry-after"] as unknown, redact);
  }

  async function stream(method: HttpMethod, path: string, opts: StreamRequestOptions = {}): Promise<StreamResponse> {
    const { endpoint, provided, redact } = await prepare(path, () => opts.body?.destroy());
    const headers: Record<string, string> = { ...staticHeaders, Accept: "*/*" };
    if (opts.body !== undefined || opts.contentLength !== undefined) {
      headers["Content-Type"] = opts.contentType ?? "application/octet-stream";
    }
    if (opts.contentLength !== undefined) headers["Content-Length"] = String(opts.contentLength);
    Object.assign(headers, provided);
    let response: AxiosResponse<Readable>;
    try {
      response = await instance.request<Readable>({
        method,
        url: path,
        headers,
        responseType: "stream",
        maxRedirects: 0,
        maxBodyLength: Infinity,
        maxContentLength: Infinity,
        decompress: false,
        ...defined({ data: opts.body }),
        ...defined({ timeout: opts.timeoutMs }),
        ...defined({ signal: opts.signal }),
      });
    } catch (error) {
      opts.body?.destroy();
      throw connectionErrorFrom(error, endpoint, redact);
    }
    const flat: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers as Record<string, unknown>)) {
      if (typeof value === "string") flat[name.toLowerCase()] = value;
      else if (Array.isArray(value)) flat[name.toLowerCase()] = value.join(", ");
    }
    if (response.status >= 200 && response.status < 300) return { status: response.status, headers: flat, body: response.data };
    let text = "";
    try {
      for await (const chunk of response.data) {
        text += Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk);
        if (text.length > 64 * 1024) break;
      }
    } catch {
      // the error status is what matters
    } finally {
      response.data.destroy();
    }
    throw failure(response.status, text, endpoint, flat["retry-after"], redact);
  }

  return {
    baseUrl: parsed.baseUrl,
    request,
    stream,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
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

/**
 * Reads MLflow's auth environment variables: `MLFLOW_TRACKING_TOKEN`,
 * `MLFLOW_TRACKING_USERNAME`, `MLFLOW_TRACKING_PASSWORD`, `MLFLOW_TRACKING_INSECURE_TLS`,
 * `MLFLOW_TRACKING_SERVER_CERT_PATH` (the file is read here) and `MLFLOW_WORKSPACE`.
 * Empty values count as unset.
 *
 * @param env - the environment. @default process.env
 * @throws ValidationError for a bad boolean, an unreadable cert file, or insecure TLS together with a cert path.
 * @example
 * ```ts
 * const client = createHttpClient({ trackingUri, ...authFromEnv(process.env) });
 * ```
 */
export function authFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): HttpAuth {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === "" ? undefined : value;
  };
  const token = get("MLFLOW_TRACKING_TOKEN");
  const username = get("MLFLOW_TRACKING_USERNAME");
  const password = get("MLFLOW_TRACKING_PASSWORD");
  const workspace = get("MLFLOW_WORKSPACE");
  const insecureTls = envBool(env, "MLFLOW_TRACKING_INSECURE_TLS");
  const certPath = get("MLFLOW_TRACKING_SERVER_CERT_PATH");
  if (insecureTls === true && certPath !== undefined) {
    throw new ValidationError("MLFLOW_TRACKING_INSECURE_TLS", "true", "cannot be set together with MLFLOW_TRACKING_SERVER_CERT_PATH");
  }
  let caCert: Buffer | undefined;
  if (certPath !== undefined) {
    try {
      caCert = readFileSync(certPath);
    } catch (error) {
      const reason = error instanceof Error && "code" in error ? String(error.code) : "unreadable";
      throw new ValidationError("MLFLOW_TRACKING_SERVER_CERT_PATH", certPath, `must name a readable PEM file (${reason})`);
    }
  }
  return {
    ...defined({ token }),
    ...defined({ username }),
    ...defined({ password }),
    ...defined({ workspace }),
    ...defined({ insecureTls }),
    ...defined({ caCert }),
  };
}

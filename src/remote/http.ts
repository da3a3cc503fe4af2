/**
 * The Node transport to an MLflow-compatible server, one per tracker: keep-alive agents, TLS
 * settings, auth headers, MLflow-style query encoding and errors from one factory. JSON
 * requests go straight over `node:http`/`node:https` (node-json.ts) — or through axios when the
 * environment names a proxy, which axios honours — and streamed artifact transfers through
 * axios, loaded on first use. No error thrown from here carries a credential (token, password,
 * `Authorization`, URL userinfo): raw errors are never attached, and messages pass through a
 * redactor. The types and the node-free part live in `http-types.ts` and `http-shared.ts` (the
 * browser's `fetch` transport shares them).
 *
 * @packageDocumentation
 */
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { Readable } from "node:stream";
import type { AxiosInstance, AxiosResponse } from "axios";
import { ValidationError } from "../errors.js";
import { connectionErrorFrom } from "./errors.js";
import { QUEUEING_MS } from "./concurrency-limit.js";
import { encodeQuery, parseBody, transportCore } from "./http-shared.js";
import { sendJson } from "./node-json.js";
import type { HttpAuth, HttpClient, HttpMethod, HttpOptions, QueryValue, RequestOptions } from "./http-types.js";
import { envBool } from "../internal/env.js";
import { defined } from "../internal/defined.js";

export type { HttpAuth, HttpClient, HttpMethod, HttpOptions, QueryValue, RequestOptions } from "./http-types.js";
export { encodeQuery } from "./http-shared.js";

/**
 * Options of {@link StreamingHttpClient.stream}.
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
 * A 2xx answer of {@link StreamingHttpClient.stream}; read or `destroy()` its body.
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
 * The Node transport: JSON requests plus streamed artifact transfers. Create one per tracker
 * with {@link createHttpClient}.
 * @example `const { body } = await client.stream("GET", "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/model.bin");`
 */
export interface StreamingHttpClient extends HttpClient {
  /**
   * Sends one request with a streamed body and/or a streamed answer (artifact transfers):
   * same headers and error factory as `request`, no redirects followed (following one would
   * buffer the whole body for replay), no retry. Resolves on a 2xx status with the body as a
   * stream; otherwise reads a bounded part of the body and throws.
   * @throws ApiError (per-status subclass) for non-2xx, ConnectionError when there is no answer.
   */
  stream(method: HttpMethod, path: string, options?: StreamRequestOptions): Promise<StreamResponse>;
}

/**
 * True when the environment names a proxy for `protocol` (`http:`/`https:`): `<proto>_proxy`,
 * `all_proxy` or npm's `npm_config_<proto>_proxy`/`npm_config_proxy`, either case. JSON requests
 * then go through axios, which sends them through that proxy and applies `NO_PROXY`; without
 * one they go straight over `node:http` (node-json.ts), which costs a trainer less CPU.
 */
function proxied(protocol: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const proto = protocol.replace(/:$/, "");
  const names = [`${proto}_proxy`, "all_proxy", `npm_config_${proto}_proxy`, "npm_config_proxy"];
  return names.some((name) => (env[name] ?? env[name.toUpperCase()] ?? "") !== "");
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
export function createHttpClient(options: HttpOptions): StreamingHttpClient {
  const core = transportCore(options);
  if (options.insecureTls === true && options.caCert !== undefined) {
    throw new ValidationError("insecureTls", true, "cannot be combined with caCert (MLFLOW_TRACKING_SERVER_CERT_PATH)");
  }
  const { staticHeaders, prepare, failure } = core;

  const timeoutMs = options.timeoutMs ?? 30_000;
  const viaProxy = proxied(new URL(core.baseUrl).protocol);
  const maxSockets = options.maxSockets ?? 10;
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets });
  const httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets,
    rejectUnauthorized: options.insecureTls !== true,
    ...(options.caCert === undefined ? {} : { ca: typeof options.caCert === "string" ? options.caCert : Buffer.from(options.caCert) }),
  });
  // axios (and its dependencies) load on the first request that needs them (a stream, or any
  // request through a proxy), not with the SDK.
  let instance: Promise<AxiosInstance> | undefined;
  const axiosInstance = (): Promise<AxiosInstance> =>
    (instance ??= import("axios").then(({ default: axios }) =>
      axios.create({
        baseURL: core.baseUrl,
        allowAbsoluteUrls: false,
        timeout: timeoutMs,
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
      }),
    ));

  // A kept-alive connection stays with the server worker that accepted it. While the server
  // queues (an answer took QUEUEING_MS or more: a shared server with several workers and many
  // trainers), each request goes on a new connection, so that a worker with free time takes it;
  // otherwise trainers whose connections landed on the busiest worker fall behind the others.
  let queueing = false;

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
    let status: number;
    let text: unknown;
    let retryAfter: unknown;
    try {
      if (viaProxy) {
        const response = await (await axiosInstance()).request<unknown>({
          method,
          url: path,
          headers,
          ...defined({ data }),
          ...defined({ params: opts.query }),
          ...defined({ timeout: opts.timeoutMs }),
          ...defined({ signal: opts.signal }),
        });
        ({ status, data: text } = response);
        retryAfter = response.headers["retry-after"] as unknown;
      } else {
        const query = opts.query === undefined ? "" : encodeQuery(opts.query);
        const url = query === "" ? `${core.baseUrl}${path}` : `${core.baseUrl}${path}${path.includes("?") ? "&" : "?"}${query}`;
        headers["Accept-Encoding"] ??= "gzip, deflate, br";
        const sent = Date.now();
        ({ status, text, retryAfter } = await sendJson({
          method,
          url,
          headers,
          body: data,
          timeoutMs: opts.timeoutMs ?? timeoutMs,
          signal: opts.signal,
          httpAgent,
          httpsAgent,
          fresh: queueing || opts.newConnection === true,
        }));
        queueing = Date.now() - sent >= QUEUEING_MS;
      }
    } catch (error) {
      throw connectionErrorFrom(error, endpoint, redact);
    }
    if (status >= 200 && status < 300) return (parseBody(text) ?? {}) as T;
    throw failure(status, text, endpoint, retryAfter, redact);
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
      response = await (await axiosInstance()).request<Readable>({
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
    baseUrl: core.baseUrl,
    request,
    stream,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
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

/**
 * The `fetch` transport to an MLflow-compatible server, for the browser build (and any runtime
 * with a global `fetch`): the same headers, query encoding, error factory and redaction as the
 * Node transport (`http-shared.ts`), a timeout through `AbortController`, `keepalive` for the
 * last batch on `pagehide`, and whole-body downloads for artifacts. No Node import.
 *
 * @packageDocumentation
 */
import { ApiError, ValidationError } from "../errors.js";
import { connectionErrorFrom } from "./errors.js";
import { encodeQuery, parseBody, transportCore, type PreparedRequest } from "./http-shared.js";
import type { HttpClient, HttpMethod, HttpOptions, QueryValue, RequestOptions } from "./http-types.js";

/**
 * Options of {@link createFetchHttpClient}: the tracking URI, auth and timeout of
 * {@link HttpOptions}. TLS settings (`insecureTls`, `caCert`) are the browser's business and
 * refused here; `maxSockets` is ignored (the browser pools connections).
 * @example `{ trackingUri: "https://mlflow.example.com", headerProvider: async () => ({ Authorization: `Bearer ${await getToken()}` }) }`
 */
export interface FetchHttpOptions extends HttpOptions {
  /** The `fetch` to call (tests, polyfills). @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * Options of {@link FetchHttpClient.getBytes}.
 * @example `{ query: { path: "model/model.json", run_uuid: runId }, timeoutMs: 60_000 }`
 */
export interface BytesRequestOptions {
  /** Query parameters; `undefined` values are left out. */
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Overrides the client's timeout (covers the whole body), ms. */
  readonly timeoutMs?: number;
  /** Aborts the download; it then fails with a non-retryable `ConnectionError`. */
  readonly signal?: AbortSignal;
}

/**
 * A whole response body of {@link FetchHttpClient.getBytes}.
 * @example `const { body } = await client.getBytes(path); new TextDecoder().decode(body);`
 */
export interface BytesResponse {
  /** HTTP status (2xx). */
  readonly status: number;
  /** Response headers, lowercase names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body. */
  readonly body: Uint8Array;
}

/**
 * The `fetch` transport: JSON requests, plus whole-body GETs for artifact files. Streamed
 * uploads are Node's (`createHttpClient`); in the browser an artifact is held in memory anyway.
 * @example `const client = createFetchHttpClient({ trackingUri: "http://127.0.0.1:5000" });`
 */
export interface FetchHttpClient extends HttpClient {
  /**
   * GETs `baseUrl + path` and returns the body as bytes (artifact files, e.g. a model's
   * `weights.bin`). Same headers and errors as `request`, no retry.
   * @throws ApiError (per-status subclass) for non-2xx, ConnectionError when there is no answer.
   */
  getBytes(path: string, options?: BytesRequestOptions): Promise<BytesResponse>;
}

/** An abort of the request by its timeout or by the caller's signal, told apart for the error kind. */
function abortable(
  timeoutMs: number,
  signal: AbortSignal | undefined,
): { signal: AbortSignal; why: () => "timeout" | "aborted" | undefined; done: () => void } {
  const controller = new AbortController();
  let why: "timeout" | "aborted" | undefined;
  const onAbort = (): void => {
    why ??= "aborted";
    controller.abort();
  };
  if (signal?.aborted === true) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(() => {
    why ??= "timeout";
    controller.abort();
  }, timeoutMs);
  return {
    signal: controller.signal,
    why: () => why,
    done: () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

function headersOf(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    out[name.toLowerCase()] = value;
  });
  return out;
}

/**
 * Creates the `fetch` transport for one tracker. Headers and their precedence are those of the
 * Node transport (`Authorization` Basic or Bearer, `X-MLFLOW-WORKSPACE`, `headers`, then the
 * `headerProvider` per request), except `User-Agent`, sent only when `userAgent` is given (a
 * browser keeps its own). Credentials stay in this closure: nothing is written to storage and
 * no error message carries one.
 *
 * @throws ValidationError for a bad `trackingUri`, for `insecureTls`/`caCert`, or when there is no `fetch`.
 * @example
 * ```ts
 * const http = createFetchHttpClient({ trackingUri: "http://127.0.0.1:5000", token });
 * const client = new MlflowClient({ http, ownsHttp: true });
 * await http.request("POST", "/api/2.0/mlflow/runs/log-batch", { body, keepalive: true });
 * ```
 */
export function createFetchHttpClient(options: FetchHttpOptions): FetchHttpClient {
  const core = transportCore(options);
  if (options.insecureTls === true)
    throw new ValidationError("insecureTls", true, "is not supported by the fetch transport: the browser decides which certificates to trust");
  if (options.caCert !== undefined)
    throw new ValidationError("caCert", "(PEM)", "is not supported by the fetch transport: the browser decides which certificates to trust");
  const given = options.fetch ?? (typeof fetch === "function" ? fetch.bind(globalThis) : undefined);
  if (given === undefined) throw new ValidationError("fetch", "undefined", "must be a fetch function: this runtime has no global fetch");
  const fetchFn: typeof fetch = given;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const base: Record<string, string> = { ...core.staticHeaders };
  if (options.userAgent === undefined) delete base["User-Agent"];
  const staticHeaders = Object.freeze(base);
  const url = (path: string, query: Readonly<Record<string, QueryValue>> | undefined): string => {
    const q = query === undefined ? "" : encodeQuery(query);
    return `${core.baseUrl}${path}${q === "" ? "" : `${path.includes("?") ? "&" : "?"}${q}`}`;
  };

  /** Sends one request and hands the response to `read` while the timeout still runs. */
  async function send<T>(
    prepared: PreparedRequest,
    init: RequestInit & { headers: Record<string, string> },
    target: string,
    limits: { timeoutMs?: number | undefined; signal?: AbortSignal | undefined },
    read: (response: Response) => Promise<T>,
  ): Promise<T> {
    const { endpoint, redact } = prepared;
    const ms = limits.timeoutMs ?? timeoutMs;
    const abort = abortable(ms, limits.signal);
    try {
      const response = await fetchFn(target, { ...init, signal: abort.signal, redirect: "follow" });
      return await read(response);
    } catch (error) {
      if (error instanceof ApiError) throw error; // a non-2xx answer, from read()
      const why = abort.why();
      if (why === "timeout") throw connectionErrorFrom({ code: "ETIMEDOUT", message: `timeout of ${ms}ms exceeded` }, endpoint, redact);
      if (why === "aborted") throw connectionErrorFrom({ code: "ABORT_ERR", message: "the request was aborted" }, endpoint, redact);
      throw connectionErrorFrom(error, endpoint, redact);
    } finally {
      abort.done();
    }
  }

  async function request<T>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    const prepared = await core.prepare(path);
    const headers: Record<string, string> = { ...staticHeaders };
    let body: string | undefined;
    if (method !== "GET" && (opts.body !== undefined || method !== "DELETE")) {
      body = JSON.stringify(opts.body ?? {});
      headers["Content-Type"] = "application/json";
    }
    Object.assign(headers, prepared.provided);
    const init = { method, headers, ...(body === undefined ? {} : { body }), ...(opts.keepalive === true ? { keepalive: true } : {}) };
    return send(prepared, init, url(path, opts.query), opts, async (response) => {
      const text = await response.text();
      if (response.ok) return (parseBody(text) ?? {}) as T;
      throw core.failure(response.status, text, prepared.endpoint, response.headers.get("retry-after") ?? undefined, prepared.redact);
    });
  }

  async function getBytes(path: string, opts: BytesRequestOptions = {}): Promise<BytesResponse> {
    const prepared = await core.prepare(path);
    const headers: Record<string, string> = { ...staticHeaders, Accept: "*/*", ...prepared.provided };
    return send(prepared, { method: "GET", headers }, url(path, opts.query), opts, async (response) => {
      if (!response.ok) {
        const text = (await response.text()).slice(0, 64 * 1024);
        throw core.failure(response.status, text, prepared.endpoint, response.headers.get("retry-after") ?? undefined, prepared.redact);
      }
      return { status: response.status, headers: headersOf(response), body: new Uint8Array(await response.arrayBuffer()) };
    });
  }

  return {
    baseUrl: core.baseUrl,
    request,
    getBytes,
    close() {
      // fetch keeps no sockets of its own to release.
    },
  };
}

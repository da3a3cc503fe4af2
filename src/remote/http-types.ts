/**
 * The transport seam between the MLflow client and the network: the options and the
 * {@link HttpClient} interface every transport implements. Types only, no Node import, so the
 * MLflow client (`src/remote/mlflow/`) loads in a browser: Node builds its client with the
 * axios transport (`http.ts`), the browser build with the `fetch` one (`fetch-http.ts`).
 *
 * @packageDocumentation
 */

/**
 * Credentials and connection settings for the tracking server: the tracker option
 * {@link TrackerOptions.auth | auth}, its unset fields read from MLflow's environment variables
 * (named on each field below; Node only).
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
  /** Skip TLS certificate checks (`MLFLOW_TRACKING_INSECURE_TLS`). Node only. @default false */
  readonly insecureTls?: boolean;
  /** CA bundle (PEM) to trust (`MLFLOW_TRACKING_SERVER_CERT_PATH` holds its path). Node only. */
  readonly caCert?: string | Uint8Array;
  /** Sent as `X-MLFLOW-WORKSPACE` (`MLFLOW_WORKSPACE`). */
  readonly workspace?: string;
}

/**
 * Options of a transport (`createHttpClient` in Node, `createFetchHttpClient` in the browser).
 * @example `{ trackingUri: "https://mlflow.example.com/prefix", token: "…", timeoutMs: 10_000 }`
 */
export interface HttpOptions extends HttpAuth {
  /** Server base URL; may carry a path prefix and `user:password@` (moved into Basic auth). */
  readonly trackingUri: string;
  /** Per-request timeout, ms. @default 30000 */
  readonly timeoutMs?: number;
  /** `User-Agent` header (browsers do not let a page set it and keep their own). @default "mltrail" */
  readonly userAgent?: string;
  /** Sockets per host kept by the keep-alive agents (Node only). @default 10 */
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
  /**
   * Lets the request outlive the page (`fetch`'s `keepalive`): for the last batch sent on
   * `pagehide`. Browsers cap the bodies of such requests at 64 KiB in flight. The Node
   * transport ignores it.
   * @default false
   */
  readonly keepalive?: boolean;
  /**
   * Sent with `Connection: close` (Node transport): the server closes the connection once it
   * answered, and the next request opens a new one, which another server worker may accept.
   * Browsers choose their connections themselves: `fetch` ignores it.
   * @default false
   */
  readonly newConnection?: boolean;
}

/**
 * A configured transport: JSON requests to one tracking server, with auth headers, MLflow's
 * query encoding and errors from one factory (`src/remote/errors.ts`).
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
  /** Releases the transport's connections (keep-alive sockets in Node). */
  close(): void;
}

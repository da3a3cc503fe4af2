/**
 * Shared plumbing of the MLflow client layers: the transport, response validation, retry
 * modes and pagination.
 *
 * @packageDocumentation
 */
import type * as z from "zod/mini";
import { ApiError, ConnectionError } from "../../errors.js";
import { connectionErrorKind, isRetryable } from "../errors.js";
import type { HttpClient, HttpMethod, RequestOptions } from "../http-types.js";
import { withRetry } from "../retry.js";
import type { RetryEnvironment, RetryPolicy } from "../retry.js";
import type { Page } from "./types.js";
import { parseResponse } from "./wire.js";
import { defined } from "../../internal/defined.js";

/** Path prefix of the tracking and registry endpoints. */
export const API = "/api/2.0/mlflow";

/**
 * Options of {@link MlflowClient}: the transport (`createHttpClient` in Node,
 * `createFetchHttpClient` in the browser) and the retry policy. Node code that has only a
 * tracking URI uses `createMlflowClient` (`src/remote/mlflow/node.ts`).
 * @example `new MlflowClient({ http: createFetchHttpClient({ trackingUri }) })`
 */
export interface MlflowClientOptions {
  /** The transport; shared unless `ownsHttp`, so {@link MlflowApiBase.close} leaves it open. */
  readonly http: HttpClient;
  /** Whether {@link MlflowApiBase.close} closes the transport too. @default false */
  readonly ownsHttp?: boolean;
  /** Retry policy of one-off calls; `false` turns retries off. @default `{}` (4 retries, see RetryPolicy) */
  readonly retry?: RetryPolicy | false;
  /** Clock and sleep used while retrying (inject fakes in tests). @default real timers */
  readonly retryEnvironment?: RetryEnvironment;
}

/**
 * How a call is retried:
 * - `idempotent`: every retryable failure ({@link isRetryable});
 * - `create`: a call that makes a new entity each time it lands (create run, create model
 *   version). Retried only when the server surely did not act: connection refused / DNS
 *   failure, 429, and 503 (e.g. SQLite "database is locked", which rolls back). A timeout,
 *   reset or 500 may hide a created entity, so it is not retried;
 * - `none`: never (the replicator's write path, which has its own loop).
 */
export type RetryMode = "idempotent" | "create" | "none";

function safeForCreate(error: unknown): boolean {
  if (error instanceof ApiError) return error.status === 429 || error.status === 503;
  if (error instanceof ConnectionError) {
    const kind = connectionErrorKind(error);
    return kind === "refused" || kind === "dns";
  }
  return false;
}

/**
 * Base of the client layers. Not useful on its own; use {@link MlflowClient}.
 * @example `class MyApi extends MlflowApiBase { … }`
 */
export class MlflowApiBase {
  /** The transport. */
  protected readonly http: HttpClient;
  private readonly ownsHttp: boolean;
  private readonly retryPolicy: RetryPolicy | false;
  private readonly retryEnvironment: RetryEnvironment;

  /**
   * @param options - the transport and the retry policy.
   */
  constructor(options: MlflowClientOptions) {
    this.http = options.http;
    this.ownsHttp = options.ownsHttp === true;
    this.retryPolicy = options.retry ?? {};
    this.retryEnvironment = options.retryEnvironment ?? {};
  }

  /** The server base URL (no credentials). @example `client.baseUrl // "http://127.0.0.1:5000"` */
  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Closes the transport if this client owns it (`ownsHttp`). @example `client.close()` */
  close(): void {
    if (this.ownsHttp) this.http.close();
  }

  /** Sends a request with the given retry mode and returns the raw body. */
  protected async send(method: HttpMethod, path: string, options: RequestOptions, mode: RetryMode): Promise<unknown> {
    const policy = this.retryPolicy;
    if (mode === "none" || policy === false) return this.http.request<unknown>(method, path, options);
    const shouldRetry = mode === "create" ? safeForCreate : (policy.shouldRetry ?? isRetryable);
    return withRetry(
      () => this.http.request<unknown>(method, path, options),
      { ...policy, shouldRetry },
      {
        ...this.retryEnvironment,
        ...defined({ signal: options.signal }),
      },
    );
  }

  /** Sends a request and validates the response with `schema`. */
  protected async call<S extends z.ZodMiniType>(
    method: HttpMethod,
    path: string,
    schema: S,
    options: RequestOptions,
    mode: RetryMode = "idempotent",
  ): Promise<z.output<S>> {
    return parseResponse(schema, await this.send(method, path, options, mode), path);
  }

  /** Yields every item of a paginated search, page by page. */
  protected async *paginate<T>(fetchPage: (pageToken: string | undefined) => Promise<Page<T>>): AsyncGenerator<T, void, undefined> {
    let token: string | undefined;
    const seen = new Set<string>();
    do {
      const page = await fetchPage(token);
      yield* page.items;
      token = page.nextPageToken;
      if (token !== undefined) {
        if (seen.has(token)) return; // a server repeating a token would loop forever
        seen.add(token);
      }
    } while (token !== undefined);
  }
}

/**
 * True for "this does not exist" answers: 404, or MLflow's `RESOURCE_DOES_NOT_EXIST` code.
 * @example `if (isNotFound(e)) return undefined;`
 */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.errorCode === "RESOURCE_DOES_NOT_EXIST");
}

/**
 * True for "already exists" answers: MLflow's `RESOURCE_ALREADY_EXISTS` (HTTP 400 on MLflow
 * OSS) or Databricks' `ALREADY_EXISTS` (409).
 * @example `if (isAlreadyExists(e)) return this.getExperimentByName(name);`
 */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof ApiError && (error.errorCode === "RESOURCE_ALREADY_EXISTS" || error.errorCode === "ALREADY_EXISTS" || error.status === 409);
}

/**
 * Test helpers for the shared MLflow server (integration and fault suites).
 *
 * A deliberately tiny raw REST client on Node's global `fetch`, independent of the SDK, so tests
 * can check what the server really holds. Paths: "/api/2.0/mlflow/runs/get" as-is, or the short
 * form "runs/get" (prefixed with "/api/2.0/mlflow/").
 */
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import type {} from "../setup/mlflow.global.js";

/** Base URL of the shared server (no trailing slash). Throws when no server was started. */
export function mlflowUri(): string {
  const uri = inject("mlflowUri");
  if (!uri) throw new Error("No MLflow server for this run (see test/setup/mlflow.global.ts).");
  return uri;
}

/** A non-2xx answer from the server. */
export class MlflowHttpError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${url} -> HTTP ${status}: ${body.slice(0, 2000)}`);
    this.name = "MlflowHttpError";
  }

  /** `error_code` of an MLflow JSON error body, if there is one. */
  get errorCode(): string | undefined {
    try {
      const parsed: unknown = JSON.parse(this.body);
      if (parsed && typeof parsed === "object" && "error_code" in parsed) {
        const code = (parsed as { error_code: unknown }).error_code;
        return typeof code === "string" ? code : undefined;
      }
    } catch {
      // not JSON
    }
    return undefined;
  }
}

export type QueryValue = string | number | boolean | readonly (string | number)[] | undefined;

/** Full URL for an API path; short paths get "/api/2.0/mlflow/". */
export function mlflowUrl(apiPath: string, query?: Record<string, QueryValue>): string {
  const p = apiPath.startsWith("/") ? apiPath : `/api/2.0/mlflow/${apiPath}`;
  const url = new URL(mlflowUri() + p);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, String(v));
    else url.searchParams.append(key, String(value));
  }
  return url.toString();
}

/** The raw answer: status, text and parsed JSON (undefined when the body is not JSON). Never throws on HTTP status. */
export async function mlflowRaw(
  method: string,
  apiPath: string,
  opts: { query?: Record<string, QueryValue>; body?: unknown } = {},
): Promise<{ status: number; text: string; json: unknown; contentType: string }> {
  const url = mlflowUrl(apiPath, opts.query);
  const init: RequestInit = { method, signal: AbortSignal.timeout(30_000) };
  if (opts.body !== undefined) {
    init.body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    init.headers = { "Content-Type": "application/json" };
  }
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, text, json: parseJsonOrUndefined(text), contentType: res.headers.get("content-type") ?? "" };
}

/** The parsed JSON of a body, or undefined when it is empty or not JSON. */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test convenience: callers pick the shape
type Json = any;

async function call<T>(method: string, apiPath: string, opts: { query?: Record<string, QueryValue>; body?: unknown }): Promise<T> {
  const res = await mlflowRaw(method, apiPath, opts);
  if (res.status < 200 || res.status >= 300) {
    throw new MlflowHttpError(method, mlflowUrl(apiPath, opts.query), res.status, res.text);
  }
  return (res.json ?? {}) as T;
}

/** GET with query parameters (arrays become repeated keys); parsed JSON; throws MlflowHttpError on non-2xx. */
export function mlflowGet<T = Json>(apiPath: string, query?: Record<string, QueryValue>): Promise<T> {
  return call<T>("GET", apiPath, query === undefined ? {} : { query });
}

/** POST a JSON body; parsed JSON; throws MlflowHttpError on non-2xx. */
export function mlflowPost<T = Json>(apiPath: string, body: unknown = {}): Promise<T> {
  return call<T>("POST", apiPath, { body });
}

/** A name no other test (or earlier run against the same server) uses. */
export function uniqueName(prefix = "test"): string {
  return `${prefix}-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
}

/** Creates an experiment with a unique name; returns its id and name. */
export async function createExperiment(prefix = "exp"): Promise<{ experimentId: string; name: string }> {
  const name = uniqueName(prefix);
  const res = await mlflowPost<{ experiment_id: string }>("experiments/create", { name });
  return { experimentId: res.experiment_id, name };
}

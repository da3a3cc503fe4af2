import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitError,
  ResourceConflictError,
  ResourceNotFoundError,
  ServerError,
  ValidationError,
} from "../../src/errors.js";
import { apiErrorFromResponse, connectionErrorFrom, connectionErrorKind, isRetryable, retryAfterMs, retryAfterOf } from "../../src/remote/errors.js";
import { authFromEnv, createHttpClient, encodeQuery } from "../../src/remote/http.js";
import type { HttpOptions } from "../../src/remote/http.js";
import { MlflowClient } from "../../src/remote/mlflow/index.js";
import { createMlflowClient } from "../../src/remote/mlflow/node.js";
import { backoffDelay, withRetry } from "../../src/remote/retry.js";

// nock 15 runs on @mswjs/interceptors 0.44, which calls Promise.withResolvers (Node >= 22) at
// request time; Node 20 lacks it. A spec-conformant shim for this test process only.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value<T>(): { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void } {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

const HOST = "http://mlflow.test";
const RUNS_GET = "/api/2.0/mlflow/runs/get";

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** Captures the headers of the next request to `path` and answers `{}` (nock 15 passes a fetch `Request`). */
function captureHeaders(method: "get" | "post", urlPath: string, status = 200): { headers: Record<string, unknown> } {
  const box = { headers: {} as Record<string, unknown> };
  const scope = nock(HOST);
  const interceptor = method === "get" ? scope.get(urlPath) : scope.post(urlPath);
  interceptor.query(true).reply((request: Request) => {
    box.headers = Object.fromEntries(request.headers);
    return [status, {}];
  });
  return box;
}

describe("auth headers", () => {
  it("sends Bearer when only a token is set", async () => {
    const box = captureHeaders("get", RUNS_GET);
    await createHttpClient({ trackingUri: HOST, token: "tok-123" }).request("GET", RUNS_GET);
    expect(box.headers["authorization"]).toBe("Bearer tok-123");
  });

  it("prefers Basic over Bearer when username and password are both set (as the Python client)", async () => {
    const box = captureHeaders("get", RUNS_GET);
    await createHttpClient({ trackingUri: HOST, token: "tok", username: "alice", password: "pw-1" }).request("GET", RUNS_GET);
    expect(box.headers["authorization"]).toBe(`Basic ${Buffer.from("alice:pw-1").toString("base64")}`);
  });

  it("uses the token when only a username is set", async () => {
    const box = captureHeaders("get", RUNS_GET);
    await createHttpClient({ trackingUri: HOST, token: "tok", username: "alice" }).request("GET", RUNS_GET);
    expect(box.headers["authorization"]).toBe("Bearer tok");
  });

  it("moves URL userinfo into Basic auth and strips it from the base URL", async () => {
    const box = captureHeaders("get", RUNS_GET);
    const client = createHttpClient({ trackingUri: "http://bob:s%40cret@mlflow.test" });
    expect(client.baseUrl).toBe(HOST);
    await client.request("GET", RUNS_GET);
    expect(box.headers["authorization"]).toBe(`Basic ${Buffer.from("bob:s@cret").toString("base64")}`);
  });

  it("sends X-MLFLOW-WORKSPACE and extra headers", async () => {
    const box = captureHeaders("get", RUNS_GET);
    await createHttpClient({ trackingUri: HOST, workspace: "team-a", headers: { "X-Extra": "1" } }).request("GET", RUNS_GET);
    expect(box.headers["x-mlflow-workspace"]).toBe("team-a");
    expect(box.headers["x-extra"]).toBe("1");
    expect(box.headers["authorization"]).toBeUndefined();
  });

  it("calls the header provider on every request and lets it override Authorization", async () => {
    let n = 0;
    const provider = vi.fn(async () => ({ Authorization: `Bearer fresh-${++n}` }));
    const client = createHttpClient({ trackingUri: HOST, token: "stale", headerProvider: provider });
    const first = captureHeaders("get", RUNS_GET);
    await client.request("GET", RUNS_GET);
    expect(first.headers["authorization"]).toBe("Bearer fresh-1");
    const second = captureHeaders("get", RUNS_GET);
    await client.request("GET", RUNS_GET);
    expect(second.headers["authorization"]).toBe("Bearer fresh-2");
    expect(provider).toHaveBeenCalledTimes(2);
  });
});

describe("URLs, query and body encoding", () => {
  it("keeps a path prefix of the tracking URI", async () => {
    const scope = nock(HOST)
      .get("/prefix/api/2.0/mlflow/experiments/get")
      .query({ experiment_id: "1" })
      .reply(200, { experiment: { experiment_id: "1", name: "x" } });
    const client = createHttpClient({ trackingUri: `${HOST}/prefix/` });
    expect(client.baseUrl).toBe(`${HOST}/prefix`);
    await client.request("GET", "/api/2.0/mlflow/experiments/get", { query: { experiment_id: "1" } });
    expect(scope.isDone()).toBe(true);
  });

  it("encodes arrays as repeated keys, not key[]", async () => {
    let seen = "";
    nock(HOST)
      .get((uri) => {
        seen = uri;
        return true;
      })
      .reply(200, {});
    await createHttpClient({ trackingUri: HOST }).request("GET", "/api/2.0/mlflow/x", {
      query: { run_ids: ["a", "b"], flag: true, skip: undefined, name: "a b&c" },
    });
    expect(seen).toBe("/api/2.0/mlflow/x?run_ids=a&run_ids=b&flag=true&name=a%20b%26c");
    expect(encodeQuery({ k: [1, 2] })).toBe("k=1&k=2");
  });

  it("sends JSON with Content-Type on POST, PATCH and DELETE, none on GET; NaN-free JSON body", async () => {
    const seen: Record<string, { type: unknown; body: unknown }> = {};
    for (const method of ["post", "patch", "delete", "get"] as const) {
      nock(HOST)
        .intercept("/api/2.0/mlflow/y", method.toUpperCase())
        .reply(async (request: Request) => {
          const text = await request.text();
          seen[method] = { type: request.headers.get("content-type") ?? undefined, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
          return [200, ""];
        });
    }
    const client = createHttpClient({ trackingUri: HOST });
    expect(await client.request("POST", "/api/2.0/mlflow/y", { body: { a: 1 } })).toEqual({});
    await client.request("PATCH", "/api/2.0/mlflow/y", { body: { a: 2 } });
    await client.request("DELETE", "/api/2.0/mlflow/y", { body: { a: 3 } });
    await client.request("GET", "/api/2.0/mlflow/y");
    expect(seen["post"]).toEqual({ type: "application/json", body: { a: 1 } });
    expect(seen["patch"]).toEqual({ type: "application/json", body: { a: 2 } });
    expect(seen["delete"]).toEqual({ type: "application/json", body: { a: 3 } });
    expect(seen["get"]?.type).toBeUndefined();
  });

  it("rejects non-http tracking URIs without echoing credentials", () => {
    const make = (): unknown => createHttpClient({ trackingUri: "ftp://u:hunter22@host" });
    expect(make).toThrow(ValidationError);
    expect(
      String(
        (() => {
          try {
            make();
          } catch (e) {
            return e;
          }
        })(),
      ),
    ).not.toContain("hunter22");
  });
});

describe("error factory", () => {
  const cases: [number, typeof ApiError, string][] = [
    [400, BadRequestError, "BAD_REQUEST"],
    [401, AuthenticationError, "UNAUTHENTICATED"],
    [403, PermissionDeniedError, "PERMISSION_DENIED"],
    [404, ResourceNotFoundError, "NOT_FOUND"],
    [409, ResourceConflictError, "RESOURCE_CONFLICT"],
    [413, PayloadTooLargeError, "PAYLOAD_TOO_LARGE"],
    [429, RateLimitError, "REQUEST_LIMIT_EXCEEDED"],
    [408, ServerError, "REQUEST_TIMEOUT"],
    [425, ServerError, "TOO_EARLY"],
    [500, ServerError, "INTERNAL_ERROR"],
    [501, ServerError, "NOT_IMPLEMENTED"],
    [503, ServerError, "TEMPORARILY_UNAVAILABLE"],
    [418, ApiError, "HTTP_418"],
  ];
  it.each(cases)("maps a non-JSON %i to its class and a status-derived code", (status, cls, code) => {
    const err = apiErrorFromResponse({ status, data: "  plain\n text  ", endpoint: "/e" });
    expect(err).toBeInstanceOf(cls);
    expect(err.constructor).toBe(cls);
    expect(err.errorCode).toBe(code);
    expect(err.status).toBe(status);
    expect(err.message).toBe(`/e → HTTP ${status} ${code}: plain text`);
  });

  it("reads MLflow JSON error_code and message", () => {
    const err = apiErrorFromResponse({
      status: 400,
      data: { error_code: "RESOURCE_ALREADY_EXISTS", message: "Experiment(name=x) already exists." },
      endpoint: "/api/2.0/mlflow/experiments/create",
    });
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.errorCode).toBe("RESOURCE_ALREADY_EXISTS");
    expect(err.message).toContain("Experiment(name=x) already exists.");
  });

  it("strips HTML and shortens long bodies", () => {
    const err = apiErrorFromResponse({ status: 502, data: `<html><h1>Bad</h1>${"x".repeat(5000)}</html>`, endpoint: "/e" });
    expect(err.message).not.toContain("<h1>");
    expect(err.message.length).toBeLessThan(400);
  });

  it.each([
    [403, "text/plain", "Invalid Host header", PermissionDeniedError],
    [401, "text/plain", "You are not authenticated.", AuthenticationError],
    [503, "text/plain", "Artifact proxy is disabled", ServerError],
  ] as const)("over HTTP: a %i %s body becomes the right error", async (status, type, text, cls) => {
    nock(HOST).get(RUNS_GET).query(true).reply(status, text, { "Content-Type": type, "WWW-Authenticate": 'Basic realm="mlflow"' });
    const err = await createHttpClient({ trackingUri: HOST })
      .request("GET", RUNS_GET, { query: { run_id: "r" } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect((err as ApiError).endpoint).toBe(RUNS_GET);
    expect((err as ApiError).message).toContain(text);
  });

  it("classifies retryable errors", () => {
    const api = (status: number): ApiError => apiErrorFromResponse({ status, data: "", endpoint: "/e" });
    expect([408, 425, 429, 500, 502, 503, 504].map((s) => isRetryable(api(s)))).toEqual(Array(7).fill(true));
    expect([400, 401, 403, 404, 409, 413, 501].map((s) => isRetryable(api(s)))).toEqual(Array(7).fill(false));
    const refused = connectionErrorFrom(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "/e");
    expect(connectionErrorKind(refused)).toBe("refused");
    expect(isRetryable(refused)).toBe(true);
    expect(isRetryable(connectionErrorFrom(Object.assign(new Error("t"), { code: "ETIMEDOUT" }), "/e"))).toBe(true);
    expect(isRetryable(connectionErrorFrom(Object.assign(new Error("c"), { code: "ERR_CANCELED" }), "/e"))).toBe(false);
    expect(isRetryable(connectionErrorFrom(Object.assign(new Error("x"), { code: "CERT_HAS_EXPIRED" }), "/e"))).toBe(false);
    expect(isRetryable(new Error("plain"))).toBe(false);
  });
});

describe("Retry-After and backoff", () => {
  const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
  it("parses seconds and HTTP-dates, case-insensitively, clamped", () => {
    expect(retryAfterMs({ "retry-after": "2" }, now)).toBe(2000);
    expect(retryAfterMs({ "Retry-After": "1.5" }, now)).toBe(1500);
    expect(retryAfterMs({ "Retry-After": "Wed, 21 Oct 2015 07:28:05 GMT" }, now)).toBe(5000);
    expect(retryAfterMs({ "retry-after": "Wed, 21 Oct 2015 07:27:00 GMT" }, now)).toBe(0);
    expect(retryAfterMs({ "retry-after": "86400" }, now)).toBe(300_000);
    expect(retryAfterMs({ "retry-after": "86400" }, now, 1000)).toBe(1000);
    expect(retryAfterMs({ "retry-after": "soon" }, now)).toBeUndefined();
    expect(retryAfterMs({ "retry-after": "-3" }, now)).toBeUndefined();
    expect(retryAfterMs({}, now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it("keeps Retry-After on the error built by the factory", () => {
    const err = apiErrorFromResponse({ status: 429, data: "", endpoint: "/e", headers: { "retry-after": "7" } });
    expect(retryAfterOf(err)).toBe(7000);
  });

  it("computes exponential backoff with full jitter", () => {
    expect([1, 2, 3, 4, 10].map((a) => backoffDelay(a, { baseMs: 100, maxMs: 1000, jitter: false }))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(3, { baseMs: 100, random: () => 0.5 })).toBe(200);
    expect(backoffDelay(3, { baseMs: 100, random: () => 0 })).toBe(0);
    expect(backoffDelay(40, { baseMs: 100, maxMs: 5000, random: () => 0.999 })).toBe(4995);
  });

  it("withRetry retries retryable errors with backoff, honours Retry-After, and gives up after `retries`", async () => {
    const sleeps: number[] = [];
    const sleep = async (ms: number): Promise<void> => {
      sleeps.push(ms);
    };
    const fail = (status: number, retryAfter?: string): ApiError =>
      apiErrorFromResponse({ status, data: "", endpoint: "/e", ...(retryAfter ? { headers: { "retry-after": retryAfter } } : {}) });
    const fn = vi.fn(async (attempt: number) => {
      if (attempt === 0) throw fail(503);
      if (attempt === 1) throw fail(429, "3");
      return "ok";
    });
    await expect(withRetry(fn, { baseMs: 100, random: () => 0.5 }, { sleep, now: () => 0 })).resolves.toBe("ok");
    expect(fn).toHaveBeenCalledTimes(3);
    expect(sleeps).toEqual([50, 3000]);

    const always = vi.fn(async () => {
      throw fail(500);
    });
    await expect(withRetry(always, { retries: 2, baseMs: 10 }, { sleep, now: () => 0 })).rejects.toBeInstanceOf(ServerError);
    expect(always).toHaveBeenCalledTimes(3);

    const bad = vi.fn(async () => {
      throw fail(400);
    });
    await expect(withRetry(bad, { retries: 5 }, { sleep, now: () => 0 })).rejects.toBeInstanceOf(BadRequestError);
    expect(bad).toHaveBeenCalledTimes(1);

    let clock = 0;
    const slow = vi.fn(async () => {
      clock += 60_000;
      throw fail(503);
    });
    await expect(withRetry(slow, { retries: 10, maxElapsedMs: 100_000, jitter: false, baseMs: 1 }, { sleep, now: () => clock })).rejects.toBeInstanceOf(
      ServerError,
    );
    expect(slow).toHaveBeenCalledTimes(2);
  });

  it("the client retries reads on 503 but a create-run only when the server surely did not act", async () => {
    const sleep = vi.fn(async () => {});
    const client = new MlflowClient({ http: createHttpClient({ trackingUri: HOST }), retry: { retries: 3 }, retryEnvironment: { sleep } });
    const run = { info: { run_id: "r1", experiment_id: "1", status: "RUNNING", start_time: 1 }, data: {} };
    nock(HOST).get(RUNS_GET).query(true).reply(503, "busy").get(RUNS_GET).query(true).reply(200, { run });
    expect((await client.getRun("r1")).info.runId).toBe("r1");
    nock(HOST).post("/api/2.0/mlflow/runs/create").reply(500, { error_code: "INTERNAL_ERROR", message: "boom" });
    await expect(client.createRun({ experimentId: "1", startTime: 1 })).rejects.toBeInstanceOf(ServerError);
    nock(HOST).post("/api/2.0/mlflow/runs/create").reply(429, "slow down").post("/api/2.0/mlflow/runs/create").reply(200, { run });
    expect((await client.createRun({ experimentId: "1", startTime: 1 })).info.runId).toBe("r1");
    expect(sleep).toHaveBeenCalledTimes(2);
  });

  it("getOrCreateExperiment accepts Databricks' ALREADY_EXISTS (409) after losing a race", async () => {
    const experiment = { experiment_id: "7", name: "race", lifecycle_stage: "active" };
    nock(HOST)
      .get("/api/2.0/mlflow/experiments/get-by-name")
      .query(true)
      .reply(404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" })
      .post("/api/2.0/mlflow/experiments/create")
      .reply(409, { error_code: "ALREADY_EXISTS", message: "taken" })
      .get("/api/2.0/mlflow/experiments/get-by-name")
      .query(true)
      .reply(200, { experiment });
    const client = new MlflowClient({ http: createHttpClient({ trackingUri: HOST }), retry: false });
    expect((await client.getOrCreateExperiment("race")).experimentId).toBe("7");
  });
});

describe("client request shapes", () => {
  it("getMetricHistory sends max_results=25000 on every page and follows page tokens", async () => {
    const queries: string[] = [];
    const page = (values: unknown[], token?: string): Record<string, unknown> => ({
      metrics: values.map((value, step) => ({ key: "m", value, step, timestamp: 1 })),
      ...(token === undefined ? {} : { next_page_token: token }),
    });
    nock(HOST)
      .get("/api/2.0/mlflow/metrics/get-history")
      .query((q) => (queries.push(new URLSearchParams(q as Record<string, string>).toString()), true))
      .reply(200, page([1, "NaN"], "p2"))
      .get("/api/2.0/mlflow/metrics/get-history")
      .query((q) => (queries.push(new URLSearchParams(q as Record<string, string>).toString()), true))
      .reply(200, page(["Infinity", -1.7976931348623157e308]));
    const client = new MlflowClient({ http: createHttpClient({ trackingUri: HOST }), retry: false });
    const history = await client.getMetricHistory("r1", "m");
    expect(history.map((m) => m.value)).toEqual([1, NaN, Infinity, -Infinity]);
    expect(queries).toEqual(["run_id=r1&metric_key=m&max_results=25000", "run_id=r1&metric_key=m&max_results=25000&page_token=p2"]);
  });

  it("searchExperiments always sends max_results; logBatch encodes NaN/±Infinity as strings", async () => {
    const bodies: unknown[] = [];
    const capture = async (request: Request): Promise<[number, unknown]> => {
      bodies.push(JSON.parse(await request.text()) as unknown);
      return [200, {}];
    };
    nock(HOST).post("/api/2.0/mlflow/experiments/search").reply(capture).post("/api/2.0/mlflow/runs/log-batch").reply(capture);
    const client = new MlflowClient({ http: createHttpClient({ trackingUri: HOST }), retry: false });
    expect(await client.searchExperiments()).toEqual({ items: [] });
    await client.logBatch("r1", { metrics: [NaN, Infinity, -Infinity, 2].map((value) => ({ key: "k", value, step: 0, timestamp: 5 })) });
    expect(bodies[0]).toEqual({ max_results: 1000, view_type: "ACTIVE_ONLY" });
    expect(bodies[1]).toEqual({
      run_id: "r1",
      metrics: ["NaN", "Infinity", "-Infinity", 2].map((value) => ({ key: "k", value, timestamp: 5, step: 0 })),
      params: [],
      tags: [],
    });
  });

  it("rejects a malformed 2xx body with INVALID_RESPONSE (client built from a tracking URI)", async () => {
    nock(HOST).get(RUNS_GET).query(true).reply(200, "<html>login</html>");
    const client = createMlflowClient({ trackingUri: HOST });
    await expect(client.getRun("r1")).rejects.toMatchObject({ code: "INVALID_RESPONSE" });
    client.close();
  });
});

describe("authFromEnv", () => {
  it("reads the MLflow variables and the CA file", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "mltrail-ca-"));
    try {
      const pem = path.join(dir, "ca.pem");
      writeFileSync(pem, "-----BEGIN CERTIFICATE-----\n");
      const auth = authFromEnv({
        MLFLOW_TRACKING_TOKEN: "t",
        MLFLOW_TRACKING_USERNAME: "u",
        MLFLOW_TRACKING_PASSWORD: "p",
        MLFLOW_WORKSPACE: "w",
        MLFLOW_TRACKING_SERVER_CERT_PATH: pem,
        MLFLOW_TRACKING_INSECURE_TLS: "false",
      });
      expect({ ...auth, caCert: auth.caCert?.toString() }).toEqual({
        token: "t",
        username: "u",
        password: "p",
        workspace: "w",
        insecureTls: false,
        caCert: "-----BEGIN CERTIFICATE-----\n",
      });
      expect(authFromEnv({ MLFLOW_TRACKING_INSECURE_TLS: "TRUE", MLFLOW_TRACKING_TOKEN: "" })).toEqual({ insecureTls: true });
      expect(() => authFromEnv({ MLFLOW_TRACKING_INSECURE_TLS: "true", MLFLOW_TRACKING_SERVER_CERT_PATH: pem })).toThrow(ValidationError);
      expect(() => authFromEnv({ MLFLOW_TRACKING_INSECURE_TLS: "maybe" })).toThrow(ValidationError);
      expect(() => authFromEnv({ MLFLOW_TRACKING_SERVER_CERT_PATH: path.join(dir, "missing.pem") })).toThrow(/readable/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("no secret in any thrown error", () => {
  const TOKEN = "tok-SECRET-abc123";
  const PASSWORD = "pw-SECRET-xyz789";
  const URL_PASSWORD = "url-SECRET-456";
  const secrets = [TOKEN, PASSWORD, URL_PASSWORD, Buffer.from(`alice:${PASSWORD}`).toString("base64"), Buffer.from(`carol:${URL_PASSWORD}`).toString("base64")];

  function expectClean(err: unknown): void {
    expect(err).toBeInstanceOf(Error);
    const e = err as Error;
    const views = [String(e), e.stack ?? "", JSON.stringify(e), inspect(e, { depth: 10, showHidden: true }), JSON.stringify(Object.entries(e))];
    for (const view of views) for (const secret of secrets) expect(view).not.toContain(secret);
  }

  const configs: [string, (base: string) => HttpOptions][] = [
    ["token", (base) => ({ trackingUri: base, token: TOKEN })],
    ["basic", (base) => ({ trackingUri: base, username: "alice", password: PASSWORD, token: TOKEN })],
    ["userinfo", (base) => ({ trackingUri: base.replace("://", `://carol:${URL_PASSWORD}@`), headers: { "X-Api-Key": TOKEN } })],
  ];

  it.each(configs)("401 and 500 answers (%s), even when the server echoes the credentials", async (_name, make) => {
    for (const status of [401, 500]) {
      // A hostile or buggy server echoing every credential it got, decoded Basic included.
      nock(HOST)
        .get(RUNS_GET)
        .query(true)
        .reply((request: Request) => {
          const auth = request.headers.get("authorization") ?? "";
          const decoded = auth.startsWith("Basic ") ? Buffer.from(auth.slice(6), "base64").toString() : "";
          return [status, `echo: ${auth} ${decoded} ${String(request.headers.get("x-api-key"))}`];
        });
      const err = await createHttpClient(make(HOST))
        .request("GET", RUNS_GET, { query: { run_id: "r" } })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expectClean(err);
    }
  });

  it.each(configs)("connection refused and timeout (%s)", async (_name, make) => {
    nock.enableNetConnect("127.0.0.1");
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const silentPort = (silent.address() as net.AddressInfo).port;
    try {
      const refused = createHttpClient(make(`http://127.0.0.1:${closedPort}`));
      const refusedErr = await refused.request("GET", RUNS_GET).catch((e: unknown) => e);
      expect(refusedErr).toBeInstanceOf(ConnectionError);
      expect(connectionErrorKind(refusedErr)).toBe("refused");
      expectClean(refusedErr);
      refused.close();

      const stalled = createHttpClient({ ...make(`http://127.0.0.1:${silentPort}`), timeoutMs: 150 });
      const timeoutErr = await stalled.request("POST", RUNS_GET, { body: { password: "x" } }).catch((e: unknown) => e);
      expect(timeoutErr).toBeInstanceOf(ConnectionError);
      expect(connectionErrorKind(timeoutErr)).toBe("timeout");
      expect(isRetryable(timeoutErr)).toBe(true);
      expectClean(timeoutErr);
      stalled.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
      nock.disableNetConnect();
    }
  });
});

/**
 * The Node transport's JSON requests over `node:http` (src/remote/node-json.ts), against real
 * loopback servers: redirects (body kept on 307/308, POST turned into GET on 302, credentials
 * dropped on another origin, a loop stopped), compressed answers, `Retry-After`, an abort, and
 * requests sent through the proxy the environment names (axios then carries them).
 */
import type * as http from "node:http";
import * as zlib from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionError, RateLimitError } from "../../src/errors.js";
import { connectionErrorKind, retryAfterOf } from "../../src/remote/errors.js";
import { createHttpClient } from "../../src/remote/http.js";
import { closeLoopbackServers, listenLoopback } from "../support/loopback.js";

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

afterEach(closeLoopbackServers);

/** Starts a loopback server; `handle` answers each request and sees what was sent. */
async function serve(handle: (seen: Seen, res: http.ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const handler: http.RequestListener = (req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      const entry = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      seen.push(entry);
      handle(entry, res);
    });
  };
  return { url: await listenLoopback(handler), seen };
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

describe("JSON requests over node:http", () => {
  it("sends the body, headers and query, and reads the JSON answer", async () => {
    const server = await serve((seen, res) => json(res, 200, { echo: JSON.parse(seen.body) as unknown }));
    const client = createHttpClient({ trackingUri: `${server.url}/prefix`, token: "t0k3n", headers: { "X-Team": "b" } });
    const answer = await client.request<{ echo: unknown }>("POST", "/api/2.0/mlflow/runs/log-batch", {
      body: { run_id: "r", metrics: [] },
      query: { a: ["x", "y"] },
    });
    client.close();
    expect(answer.echo).toEqual({ run_id: "r", metrics: [] });
    const [sent] = server.seen;
    expect(sent?.url).toBe("/prefix/api/2.0/mlflow/runs/log-batch?a=x&a=y");
    expect(sent?.headers["authorization"]).toBe("Bearer t0k3n");
    expect(sent?.headers["x-team"]).toBe("b");
    expect(sent?.headers["content-type"]).toBe("application/json");
    expect(sent?.headers["content-length"]).toBe(String(Buffer.byteLength(sent?.body ?? "")));
  });

  it("follows a 307 with the same method and body, and a 302 after a POST as a GET", async () => {
    const server = await serve((seen, res) => {
      if (seen.url.startsWith("/old")) res.writeHead(307, { Location: seen.url.replace("/old", "/new") }).end();
      else if (seen.url.startsWith("/moved")) res.writeHead(302, { Location: "/landing" }).end();
      else json(res, 200, { method: seen.method, body: seen.body });
    });
    const client = createHttpClient({ trackingUri: server.url, token: "t0k3n" });
    expect(await client.request("POST", "/old/api", { body: { k: 1 } })).toEqual({ method: "POST", body: '{"k":1}' });
    expect(await client.request("POST", "/moved", { body: { k: 2 } })).toEqual({ method: "GET", body: "" });
    client.close();
    expect(server.seen.map((s) => `${s.method} ${s.url}`)).toEqual(["POST /old/api", "POST /new/api", "POST /moved", "GET /landing"]);
    expect(server.seen[3]?.headers["content-type"]).toBeUndefined();
    expect(server.seen[3]?.headers["authorization"]).toBe("Bearer t0k3n"); // same origin: kept
  });

  it("does not carry credentials to another origin, and stops a redirect loop", async () => {
    const other = await serve((_seen, res) => json(res, 200, { ok: true }));
    const server = await serve((seen, res) => {
      if (seen.url === "/away") res.writeHead(308, { Location: `${other.url}/there` }).end();
      else res.writeHead(302, { Location: "/loop" }).end();
    });
    const client = createHttpClient({ trackingUri: server.url, username: "ann", password: "s3cret-pw", headers: { "X-Api-Key": "k3y-value" } });
    expect(await client.request("GET", "/away")).toEqual({ ok: true });
    expect(other.seen[0]?.headers["authorization"]).toBeUndefined();
    expect(other.seen[0]?.headers["x-api-key"]).toBeUndefined();
    const loop = await client.request("GET", "/loop").catch((e: unknown) => e);
    client.close();
    expect(loop).toBeInstanceOf(ConnectionError);
    expect(String((loop as Error).message)).toContain("ERR_FR_TOO_MANY_REDIRECTS");
    expect(server.seen.filter((s) => s.url === "/loop")).toHaveLength(6); // the first request and five redirects
  });

  it("decodes gzip, deflate and br answers", async () => {
    const body = JSON.stringify({ metrics: Array.from({ length: 500 }, (_, i) => ({ key: "loss", value: i / 7, step: i })) });
    const encoders: Record<string, (b: string) => Buffer> = {
      gzip: (b) => zlib.gzipSync(b),
      deflate: (b) => zlib.deflateSync(b),
      br: (b) => zlib.brotliCompressSync(b),
    };
    const server = await serve((seen, res) => {
      const encoding = seen.url.slice(1);
      res.writeHead(200, { "Content-Type": "application/json", "Content-Encoding": encoding });
      res.end((encoders[encoding] as (b: string) => Buffer)(body));
    });
    const client = createHttpClient({ trackingUri: server.url });
    for (const encoding of Object.keys(encoders)) expect(await client.request("GET", `/${encoding}`)).toEqual(JSON.parse(body));
    client.close();
    expect(server.seen[0]?.headers["accept-encoding"]).toContain("gzip");
  });

  it("keeps Retry-After on a 429, and fails an aborted request as aborted", async () => {
    let release: (() => void) | undefined;
    const server = await serve((seen, res) => {
      if (seen.url === "/busy") json(res, 429, { error_code: "RESOURCE_EXHAUSTED", message: "slow down" }, { "Retry-After": "3" });
      else release = () => json(res, 200, {});
    });
    const client = createHttpClient({ trackingUri: server.url });
    const busy = await client.request("GET", "/busy").catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(RateLimitError);
    expect(retryAfterOf(busy)).toBe(3000);
    const abort = new AbortController();
    const pending = client.request("GET", "/hang", { signal: abort.signal }).catch((e: unknown) => e);
    while (server.seen.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    abort.abort();
    const aborted = await pending;
    release?.();
    client.close();
    expect(aborted).toBeInstanceOf(ConnectionError);
    expect(connectionErrorKind(aborted)).toBe("aborted");
  });

  it("sends the request after an answer that took a second or more on a connection of its own", async () => {
    const sockets = new Map<unknown, number>();
    const socketOf: number[] = [];
    let delayFirst = true;
    const server = await serve((_seen, res) => {
      const socket = res.req.socket;
      if (!sockets.has(socket)) sockets.set(socket, sockets.size + 1);
      socketOf.push(sockets.get(socket) as number);
      const delay = delayFirst ? 1_100 : 0; // the server queues: the first answer takes over a second
      delayFirst = false;
      setTimeout(() => json(res, 200, {}), delay);
    });
    const client = createHttpClient({ trackingUri: server.url });
    for (let i = 0; i < 4; i++) await client.request("POST", "/api/2.0/mlflow/runs/log-batch", { body: { i } });
    // The second closes the connection it went on, so the third opens another, which stays
    // open again once the answers are quick.
    expect(server.seen.map((s) => s.headers.connection)).toEqual(["keep-alive", "close", "keep-alive", "keep-alive"]);
    expect(socketOf).toEqual([1, 1, 2, 2]);
  });

  it("sends a request asked to go on a new connection with Connection: close, and the next one on another connection", async () => {
    const sockets = new Map<unknown, number>();
    const socketOf: number[] = [];
    const server = await serve((_seen, res) => {
      const socket = res.req.socket;
      if (!sockets.has(socket)) sockets.set(socket, sockets.size + 1);
      socketOf.push(sockets.get(socket) as number);
      json(res, 200, {});
    });
    const client = createHttpClient({ trackingUri: server.url });
    for (let i = 0; i < 4; i++) await client.request("POST", "/api/2.0/mlflow/runs/log-batch", { body: { i }, newConnection: i === 1 });
    expect(server.seen.map((s) => s.headers.connection)).toEqual(["keep-alive", "close", "keep-alive", "keep-alive"]);
    expect(socketOf).toEqual([1, 1, 2, 2]);
    client.close();
  });

  it("sends requests through the proxy the environment names", async () => {
    const target = await serve((_seen, res) => json(res, 200, { from: "server" }));
    const proxy = await serve((seen, res) => json(res, 200, { from: "proxy", asked: seen.url }));
    const names = ["HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"];
    const before = names.map((name) => process.env[name]);
    for (const name of names) delete process.env[name];
    process.env.HTTP_PROXY = proxy.url;
    try {
      const client = createHttpClient({ trackingUri: target.url });
      const answer = await client.request<{ from: string; asked: string }>("GET", "/api/2.0/mlflow/experiments/get", { query: { experiment_id: "1" } });
      client.close();
      expect(answer).toEqual({ from: "proxy", asked: `${target.url}/api/2.0/mlflow/experiments/get?experiment_id=1` });
      expect(target.seen).toHaveLength(0);
    } finally {
      names.forEach((name, i) => {
        const value = before[i];
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      });
    }
  });
});

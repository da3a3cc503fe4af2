/**
 * `startUi`: the dashboard's HTTP server (node:http, read-only). It serves the single-page
 * app, the JSON API, artifact previews and the live event stream, behind the guards of
 * `security.ts`: loopback by default, a token for any other host, a strict CSP.
 *
 * @packageDocumentation
 */
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { MltrailError, NotFoundError, ValidationError } from "../errors.js";
import { loadChartAssets } from "../report/assets.js";
import { UiApi, type UiTracker } from "./api.js";
import { ReleaseApi } from "./api-releases.js";
import { ArtifactCache, artifactType } from "./artifacts.js";
import { LIVE_POLL_MS, LiveStream, parseSubscription, REMOTE_POLL_MS } from "./live.js";
import { INDEX_HTML, UI_CSS } from "./page.js";
import { isLoopbackHost, loopbackHostHeader, newToken, rememberToken, secureHeaders, tokenOf } from "./security.js";

/**
 * Options of {@link startUi}.
 * @example `{ host: "127.0.0.1", port: 5111 }`
 */
export interface UiOptions {
  /** Interface to listen on. Any host but loopback requires the token. @default "127.0.0.1" */
  readonly host?: string;
  /** Port; 0 picks a free one. @default 5111 */
  readonly port?: number;
  /** Access token. @default none on loopback; a random one on any other host */
  readonly token?: string;
  /** Base URL of the tracking server, to link each run to its page there. @default none (local store) */
  readonly serverUrl?: string;
  /** Interval of the live stream's polls, in ms (25 to 60,000). @default 200 on a local store; 1000 with `serverUrl` (a tracking server) */
  readonly livePollMs?: number;
  /** Folder holding the built `app.global.js`. @default found next to the built package */
  readonly assetsDir?: string;
}

/**
 * A running dashboard.
 * @example `const ui = await startUi(tracker); console.log(ui.url); await ui.close();`
 */
export interface UiServer {
  /** The address to open (with `?token=` when a token is required). */
  readonly url: string;
  /** The access token, or undefined when none is required. */
  readonly token: string | undefined;
  /** The port listened on. */
  readonly port: number;
  /** Stops the server, its live streams, and removes the artifact cache. */
  close(): Promise<void>;
}

function findAssets(dir: string | undefined): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = dir === undefined ? [path.join(here, "../ui"), path.join(here, "../../dist/ui")] : [dir];
  return candidates.map((c) => path.join(c, "app.global.js")).find((f) => existsSync(f));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, type: string, text: string): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function errorStatus(err: unknown): number {
  if (err instanceof ValidationError) return 400;
  if (err instanceof NotFoundError) return 404;
  return 500;
}

/**
 * Starts the dashboard over a tracker (its read API only).
 * @throws ValidationError when `host` is not loopback and `token` is an empty string.
 * @example
 * ```ts
 * const ui = await startUi(new Tracker({ trackingUri: "./mltrail" }), { port: 0 });
 * console.log(`open ${ui.url}`);
 * ```
 */
export async function startUi(tracker: UiTracker, options: UiOptions = {}): Promise<UiServer> {
  const host = options.host ?? "127.0.0.1";
  const loopback = isLoopbackHost(host);
  if (options.token !== undefined && options.token.length < 16) throw new ValidationError("token", "(hidden)", "must be at least 16 characters");
  const token = options.token ?? (loopback ? undefined : newToken());
  const pollMs = options.livePollMs ?? (options.serverUrl === undefined ? LIVE_POLL_MS : REMOTE_POLL_MS);
  if (!Number.isInteger(pollMs) || pollMs < 25 || pollMs > 60_000) throw new ValidationError("livePollMs", pollMs, "must be an integer from 25 to 60000");
  const api = new UiApi(tracker, options.serverUrl);
  const releases = new ReleaseApi(tracker);
  const cache = new ArtifactCache(tracker);
  const streams = new Set<LiveStream>();
  const appFile = findAssets(options.assetsDir);
  const app = appFile === undefined ? `console.error("mltrail ui: the app bundle is missing; build the package first");` : readFileSync(appFile, "utf8");
  const chart = loadChartAssets();
  const statics: Record<string, [string, string]> = {
    "/": ["text/html; charset=utf-8", INDEX_HTML],
    "/app.js": ["text/javascript; charset=utf-8", app],
    "/app.css": ["text/css; charset=utf-8", UI_CSS],
    "/uplot.js": ["text/javascript; charset=utf-8", chart.js],
    "/uplot.css": ["text/css; charset=utf-8", chart.css],
  };
  const routes: Record<string, (q: URLSearchParams) => Promise<unknown>> = {
    "/api/experiments": () => api.experiments(),
    "/api/runs": (q) => api.runs(q),
    "/api/run": (q) => api.run(q),
    "/api/artifacts": (q) => api.artifacts(q),
    "/api/metrics": (q) => api.metrics(q),
    "/api/compare": (q) => api.compare(q),
    "/api/models": () => api.models(),
    "/api/model": (q) => api.model(q),
    "/api/versions": (q) => releases.versions(q),
    "/api/abtests": () => releases.abTests(),
    "/api/abtest": (q) => releases.abTest(q),
    "/api/info": async () => ({ serverUrl: options.serverUrl ?? null, readOnly: true, livePollMs: pollMs }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    secureHeaders(res);
    const url = new URL(req.url ?? "/", "http://ui.invalid");
    if (loopback && token === undefined && !loopbackHostHeader(req)) return sendJson(res, 403, { error: "Host header must name a loopback address" });
    if (token !== undefined) {
      const via = tokenOf(req, url, token);
      if (via === undefined) return sendJson(res, 401, { error: "this dashboard requires its access token (the link printed at start)" });
      if (via === "query") rememberToken(res, token);
    }
    if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: "the dashboard is read-only" });
    const file = statics[url.pathname];
    if (file !== undefined) return sendText(res, 200, file[0], file[1]);
    if (url.pathname === "/api/live") {
      const stream = new LiveStream(tracker, parseSubscription(url.searchParams.get("sub")), res, () => streams.delete(stream), pollMs);
      streams.add(stream);
      return stream.start();
    }
    if (url.pathname === "/api/artifact") {
      const { file: local, size } = await cache.file(url.searchParams.get("id") ?? "", url.searchParams.get("path") ?? "");
      res.writeHead(200, {
        "Content-Type": artifactType(local),
        "Content-Length": size,
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
        "Content-Disposition": "inline",
      });
      createReadStream(local).pipe(res);
      return;
    }
    const route = routes[url.pathname];
    if (route === undefined) return sendJson(res, 404, { error: `no such page: ${url.pathname}` });
    sendJson(res, 200, await route(url.searchParams));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = errorStatus(err);
      const message = err instanceof MltrailError || status !== 500 ? (err as Error).message : "internal error";
      if (status === 500) process.stderr.write(`mltrail ui: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      if (!res.headersSent) sendJson(res, status, { error: message });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 5111, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  return {
    url: `http://${shown}:${port}/${token === undefined ? "" : `?token=${encodeURIComponent(token)}`}`,
    token,
    port,
    async close() {
      for (const s of streams) s.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cache.close();
    },
  };
}

/**
 * A tiny static file server for browser test pages (node:http): GET/HEAD of files under one
 * folder, with the content types a page needs (HTML, ES modules, source maps, JSON, wasm),
 * `Cache-Control: no-store` (a reloaded page fetches again), and nothing outside the folder.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".bin": "application/octet-stream",
};

/** A running static server. */
export interface StaticServer {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** Paths requested so far, in order (`/dist/browser/index.js`, …). */
  readonly requests: readonly string[];
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Serves `root` on 127.0.0.1. A page reaches it under any host name the browser maps to
 * 127.0.0.1 (the tests use `--host-resolver-rules`, so the page has an origin of its own).
 *
 * @param port - the port. @default a free one
 */
export async function startStaticServer(root: string, port = 0): Promise<StaticServer> {
  const base = path.resolve(root);
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push(url.pathname);
    const file = path.resolve(base, `.${decodeURIComponent(url.pathname)}`);
    const inside = file === base || file.startsWith(`${base}${path.sep}`);
    if ((req.method !== "GET" && req.method !== "HEAD") || !inside) {
      res.writeHead(inside ? 405 : 403).end();
      return;
    }
    fs.stat(file, (error, stat) => {
      if (error !== null || !stat.isFile()) {
        res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
        return;
      }
      res.writeHead(200, {
        "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
        "Content-Length": stat.size,
        "Cache-Control": "no-store",
      });
      if (req.method === "HEAD") res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * One JSON request over `node:http`/`node:https`, with no HTTP library in between: the Node
 * transport's path for every REST call (http.ts). A trainer sends a log-batch request every
 * few hundred milliseconds for its whole life, mostly in a short process whose code never gets
 * hot, and measured there a request through axios costs about twice the CPU of this one
 * (bench/README "Where a trainer's CPU goes"). What axios did for these requests is done here:
 * a socket-idle timeout (`ETIMEDOUT`), an abort signal (`ERR_CANCELED`), up to five redirects
 * (every secret-looking header dropped when the origin changes; 301/302/303 turn a POST into a GET), and
 * gzip/deflate/br answers. Errors carry a `code` and a message with no header in them;
 * http.ts turns them into `ConnectionError`s.
 *
 * @packageDocumentation
 */
import * as http from "node:http";
import * as https from "node:https";
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { SENSITIVE_HEADER } from "./http-shared.js";

/** Redirects followed at most (as axios did). */
const MAX_REDIRECTS = 5;
const REDIRECT = new Set([301, 302, 303, 307, 308]);

const DECODERS: Readonly<Record<string, (data: Buffer) => Promise<Buffer>>> = {
  gzip: promisify(zlib.gunzip),
  "x-gzip": promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};

/** What one JSON request is sent with. */
export interface JsonRequest {
  readonly method: string;
  /** Absolute URL, query included. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON text of the body, if any (its `Content-Length` is set here). */
  readonly body: string | undefined;
  /** Socket idle time before the request fails with `ETIMEDOUT`, ms. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;
  /**
   * Sent with `Connection: close`: the server closes the connection once it answered, and the
   * next request opens a new one. @default false
   */
  readonly fresh?: boolean;
}

/** The answer to a JSON request: its status, its text (decoded) and its `Retry-After`. */
export interface JsonAnswer {
  readonly status: number;
  readonly text: string;
  readonly retryAfter: string | undefined;
}

/** An error with a code, like a Node system error. */
function coded(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** One exchange, no redirect followed. */
function exchange(
  req: JsonRequest,
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<{ res: http.IncomingMessage; data: Buffer }> {
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted === true) {
      reject(coded("ERR_CANCELED", "canceled"));
      return;
    }
    const secure = url.protocol === "https:";
    const outgoing = (secure ? https : http).request(url, { method, headers, agent: secure ? req.httpsAgent : req.httpAgent });
    let failed = false;
    const fail = (error: Error): void => {
      if (failed) return;
      failed = true;
      req.signal?.removeEventListener("abort", onAbort);
      outgoing.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(coded("ERR_CANCELED", "canceled"));
    req.signal?.addEventListener("abort", onAbort, { once: true });
    outgoing.setTimeout(req.timeoutMs, () => fail(coded("ETIMEDOUT", `timeout of ${req.timeoutMs}ms exceeded`)));
    outgoing.on("error", fail);
    outgoing.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", fail);
      res.on("aborted", () => fail(coded("ECONNRESET", "the answer was cut off")));
      res.on("end", () => {
        if (failed) return;
        failed = true;
        req.signal?.removeEventListener("abort", onAbort);
        resolve({ res, data: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) });
      });
    });
    outgoing.end(body);
  });
}

/**
 * Sends one JSON request and reads its whole answer, following redirects.
 * @throws Error with a `code`: a Node system code (`ECONNREFUSED`, `ECONNRESET`, a TLS code),
 *   `ETIMEDOUT`, `ERR_CANCELED`, `ERR_FR_TOO_MANY_REDIRECTS` or `ERR_BAD_RESPONSE` (an answer
 *   that does not decode).
 * @example `const { status, text } = await sendJson({ method: "GET", url, headers, body: undefined, timeoutMs: 30_000, signal: undefined, httpAgent, httpsAgent });`
 */
export async function sendJson(req: JsonRequest): Promise<JsonAnswer> {
  let url = new URL(req.url);
  let method = req.method;
  let body = req.body;
  let headers: Record<string, string> = { ...req.headers };
  if (body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(body));
  if (req.fresh === true) headers.Connection = "close";
  for (let hops = 0; ; hops++) {
    const { res, data } = await exchange(req, url, method, headers, body);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (REDIRECT.has(status) && location !== undefined) {
      if (hops >= MAX_REDIRECTS) throw coded("ERR_FR_TOO_MANY_REDIRECTS", "Maximum number of redirects exceeded");
      const next = new URL(location, url);
      if ((status !== 307 && status !== 308 && method === "POST") || (status === 303 && method !== "GET" && method !== "HEAD")) {
        method = "GET";
        body = undefined;
        headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !/^content-/i.test(name)));
      }
      if (next.origin !== url.origin) headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !SENSITIVE_HEADER.test(name)));
      url = next;
      continue;
    }
    const retryAfter = res.headers["retry-after"];
    const encoding = String(res.headers["content-encoding"] ?? "")
      .trim()
      .toLowerCase();
    const decode = DECODERS[encoding];
    let text: string;
    try {
      text = (decode === undefined || data.length === 0 ? data : await decode(data)).toString("utf8");
    } catch {
      throw coded("ERR_BAD_RESPONSE", `the answer's ${encoding} body does not decode`);
    }
    return { status, text, retryAfter };
  }
}

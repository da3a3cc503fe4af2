/**
 * A loopback HTTP proxy in front of the real MLflow server that injects faults per request.
 *
 * Every request is read in full, then a plan decides its fate:
 * - `pass`: forwarded, the server's answer relayed;
 * - `status(code, { retryAfter, body, headers })`: answered by the proxy, never forwarded;
 * - `reset`: the client socket is destroyed, never forwarded;
 * - `stall(ms)`: held for `ms` (past the client's timeout), then the socket is destroyed, never forwarded;
 * - `appliedButDropped`: forwarded, the server's answer awaited, then the client socket is
 *   destroyed: the server applied the request but the client never learns it.
 * - `hold(until)`: held until `until` resolves, then forwarded (a late request: the client
 *   has usually timed out and moved on by then); the answer is relayed if anyone still
 *   listens, and the fault's `landed` promise resolves once the server has answered.
 *
 * Rules are tried newest first ({@link FaultProxy.use}); the first that matches the request's
 * path decides; without a match the request passes. Counts per path and per fault, and a log
 * of arrivals (for timing checks), are kept.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { seededRandom } from "./random.js";

/** What happens to one request. */
export type Fault =
  | { readonly kind: "pass" }
  | {
      readonly kind: "status";
      readonly code: number;
      readonly retryAfter?: string | number;
      readonly body?: string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly kind: "reset" }
  | { readonly kind: "stall"; readonly ms: number }
  | { readonly kind: "appliedButDropped" }
  | { readonly kind: "hold"; readonly until: Promise<unknown>; readonly landed: Promise<number>; readonly onLanded: (status: number) => void };

/** Name of a fault, as counted. */
export type FaultKind = Fault["kind"];

/** Forward the request and relay the answer. */
export const pass: Fault = { kind: "pass" };
/** Destroy the connection without answering. */
export const reset: Fault = { kind: "reset" };
/** Forward, wait for the server's answer, then destroy the connection. */
export const appliedButDropped: Fault = { kind: "appliedButDropped" };

/** Answer `code` without forwarding (default body: an MLflow-style JSON error). */
export function status(code: number, opts: { retryAfter?: string | number; body?: string; headers?: Readonly<Record<string, string>> } = {}): Fault {
  return { kind: "status", code, ...opts };
}

/**
 * Hold the request until `until` resolves, then forward it. `landed` resolves with the
 * server's status once it has answered the late request.
 */
export function hold(until: Promise<unknown>): Extract<Fault, { kind: "hold" }> {
  let onLanded!: (status: number) => void;
  const landed = new Promise<number>((resolve) => {
    onLanded = resolve;
  });
  return { kind: "hold", until, landed, onLanded };
}

/** Hold the request for `ms`, then destroy the connection without forwarding. */
export function stall(ms: number): Fault {
  return { kind: "stall", ms };
}

/** A request as the plan sees it. */
export interface ProxyRequest {
  readonly method: string;
  /** Path without the query string, e.g. `/api/2.0/mlflow/runs/log-batch`. */
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Decides a request's fate. */
export type Plan = (req: ProxyRequest) => Fault;

/** Which requests a rule applies to: a path suffix (`"/runs/log-batch"`), a RegExp, or a predicate. */
export type Match = string | RegExp | ((req: ProxyRequest) => boolean);

/** One request's arrival, as logged. */
export interface ProxyEvent {
  /** `performance.now()` at arrival (after the body was read). */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly fault: FaultKind;
  /** Status relayed or answered, when the client got one. */
  status?: number;
  /** `performance.now()` when the server's answer was relayed (requests that were forwarded). */
  answeredAt?: number;
  /** The client's `x-test-client` header, when it sends one (to tell trackers apart). */
  readonly client: string | undefined;
}

interface Rule {
  readonly match: Match;
  readonly plan: Plan;
  remaining: number;
}

export { seededRandom } from "./random.js";

/** A plan that picks each fault with its probability (the rest pass), from a seeded RNG. */
export function randomFaults(seed: number, choices: readonly (readonly [probability: number, fault: Fault])[]): Plan {
  const total = choices.reduce((sum, [p]) => sum + p, 0);
  if (total > 1) throw new Error(`fault probabilities add up to ${total} > 1`);
  const random = seededRandom(seed);
  return () => {
    let r = random();
    for (const [p, fault] of choices) {
      if (r < p) return fault;
      r -= p;
    }
    return pass;
  };
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer", "content-length", "host"]);

function matches(match: Match, req: ProxyRequest): boolean {
  if (typeof match === "string") return req.path.endsWith(match);
  if (match instanceof RegExp) return match.test(req.path);
  return match(req);
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

/** The proxy. Create with {@link startFaultProxy}. */
export class FaultProxy {
  /** Base URL, e.g. `http://127.0.0.1:41234` (use as `trackingUri`). */
  readonly url: string;
  /** Every request's arrival, in order. */
  readonly events: ProxyEvent[] = [];
  private readonly rules: Rule[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly waiters: { suffix: string; resolve: (e: ProxyEvent) => void }[] = [];

  private constructor(
    private readonly server: http.Server,
    private readonly upstream: URL,
  ) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Starts a proxy on 127.0.0.1 and a free port in front of `upstream` (a base URL). */
  static async start(upstream: string): Promise<FaultProxy> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const proxy = new FaultProxy(server, new URL(upstream));
    server.on("request", (req, res) => void proxy.handle(req, res));
    return proxy;
  }

  /**
   * Applies `plan` (or a fixed fault) to requests matching `match`, for the next `times`
   * matching requests (default: until removed). Newer rules win. Returns a remover.
   */
  use(match: Match, plan: Plan | Fault, opts: { times?: number } = {}): () => void {
    const rule: Rule = { match, plan: typeof plan === "function" ? plan : () => plan, remaining: opts.times ?? Number.POSITIVE_INFINITY };
    this.rules.unshift(rule);
    return () => {
      const at = this.rules.indexOf(rule);
      if (at >= 0) this.rules.splice(at, 1);
    };
  }

  /** Resolves with the next request for a path ending with `suffix` that the server answered and the proxy relayed. */
  answered(suffix: string): Promise<ProxyEvent> {
    return new Promise((resolve) => this.waiters.push({ suffix, resolve }));
  }

  private relayed(event: ProxyEvent): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w === undefined || !event.path.endsWith(w.suffix)) continue;
      this.waiters.splice(i, 1);
      w.resolve(event);
    }
  }

  /** Removes every rule: all requests pass. */
  clear(): void {
    this.rules.length = 0;
  }

  /** Requests seen for paths ending with `suffix` (all paths without one), optionally only those given `fault`. */
  count(suffix?: string, fault?: FaultKind): number {
    return this.events.filter((e) => (suffix === undefined || e.path.endsWith(suffix)) && (fault === undefined || e.fault === fault)).length;
  }

  /** Counts by path, then by fault: `{ "/api/2.0/mlflow/runs/log-batch": { pass: 120, reset: 4 } }`. */
  counts(): Record<string, Partial<Record<FaultKind, number>>> {
    const out: Record<string, Partial<Record<FaultKind, number>>> = {};
    for (const e of this.events) {
      const byFault = (out[e.path] ??= {});
      byFault[e.fault] = (byFault[e.fault] ?? 0) + 1;
    }
    return out;
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    this.agent.destroy();
    await closed;
  }

  private decide(req: ProxyRequest): Fault {
    for (const rule of this.rules) {
      if (rule.remaining <= 0 || !matches(rule.match, req)) continue;
      rule.remaining--;
      return rule.plan(req);
    }
    return pass;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body: Buffer;
    try {
      body = await readAll(req);
    } catch {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? "/", "http://proxy");
    const request: ProxyRequest = { method: req.method ?? "GET", path: url.pathname, headers: req.headers, body };
    const fault = this.decide(request);
    const client = req.headers["x-test-client"];
    const event: ProxyEvent = {
      at: performance.now(),
      method: request.method,
      path: request.path,
      fault: fault.kind,
      client: typeof client === "string" ? client : undefined,
    };
    this.events.push(event);
    switch (fault.kind) {
      case "status": {
        const text =
          fault.body ??
          JSON.stringify({
            error_code: fault.code >= 500 ? "TEMPORARILY_UNAVAILABLE" : "REQUEST_LIMIT_EXCEEDED",
            message: `fault-proxy: injected HTTP ${fault.code}`,
          });
        const headers: Record<string, string> = { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(text)), ...fault.headers };
        if (fault.retryAfter !== undefined) headers["Retry-After"] = String(fault.retryAfter);
        event.status = fault.code;
        res.writeHead(fault.code, headers).end(text);
        return;
      }
      case "reset":
        req.socket.destroy();
        return;
      case "stall": {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          req.socket.destroy();
        }, fault.ms);
        this.timers.add(timer);
        return;
      }
      case "hold": {
        await fault.until;
        let late: { status: number; body: Buffer } | undefined;
        try {
          late = await this.forward(req, url, body);
        } catch {
          // the server is unreachable: nothing landed
        }
        fault.onLanded(late?.status ?? 0);
        if (late === undefined || req.socket.destroyed) {
          req.socket.destroy();
          return;
        }
        event.status = late.status;
        event.answeredAt = performance.now();
        res.writeHead(late.status, { "content-type": "application/json", "content-length": String(late.body.length) }).end(late.body);
        return;
      }
      case "pass":
      case "appliedButDropped": {
        let answer: { status: number; headers: http.IncomingHttpHeaders; body: Buffer };
        try {
          answer = await this.forward(req, url, body);
        } catch {
          req.socket.destroy(); // the server is unreachable: the client sees a reset
          return;
        }
        if (fault.kind === "appliedButDropped") {
          req.socket.destroy();
          return;
        }
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
        headers["content-length"] = String(answer.body.length);
        event.status = answer.status;
        event.answeredAt = performance.now();
        res.writeHead(answer.status, headers).end(answer.body);
        this.relayed(event);
        return;
      }
    }
  }

  private forward(req: http.IncomingMessage, url: URL, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    headers["host"] = this.upstream.host;
    headers["content-length"] = String(body.length);
    const basePath = this.upstream.pathname.replace(/\/+$/, "");
    return new Promise((resolve, reject) => {
      const out = http.request(
        {
          host: this.upstream.hostname,
          port: this.upstream.port,
          method: req.method,
          path: `${basePath}${url.pathname}${url.search}`,
          headers,
          agent: this.agent,
        },
        (upstreamRes) => {
          readAll(upstreamRes).then((data) => resolve({ status: upstreamRes.statusCode ?? 502, headers: upstreamRes.headers, body: data }), reject);
        },
      );
      out.on("error", reject);
      out.end(body);
    });
  }
}

/** Starts a {@link FaultProxy} in front of `upstream`. */
export function startFaultProxy(upstream: string): Promise<FaultProxy> {
  return FaultProxy.start(upstream);
}

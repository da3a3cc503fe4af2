/**
 * The MLflow sink's pair check against a real loopback server that behaves like MLflow's
 * uvicorn workers: each connection belongs to the worker that accepted it, and a worker
 * answers one request at a time. Two pipelined log-batches on one worker take turns; the sink
 * then sends one batch with `Connection: close`, and the next connection lands elsewhere. A
 * one-worker server gets a few new connections at most, never a storm.
 */
import type * as http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { MlflowSink } from "../../src/backends/mlflow/sink.js";
import { MLFLOW_LIMITS } from "../../src/model/limits.js";
import { AdaptiveTimeout } from "../../src/remote/adaptive-timeout.js";
import { ConcurrencyLimit } from "../../src/remote/concurrency-limit.js";
import { createHttpClient } from "../../src/remote/http.js";
import { closeLoopbackServers, listenLoopback } from "../support/loopback.js";
import { MAX_FUTILE, WorkerSpread } from "../../src/remote/worker-spread.js";

/** Time one worker takes for one log-batch, ms (the one-worker test takes longer, so that a loaded machine's delays stay far below the 1.6× the check looks for). */
const SERVICE_MS = 100;

interface Served {
  readonly worker: number;
  readonly connection: string | undefined;
  readonly metrics: number;
}

afterEach(closeLoopbackServers);

/** A server whose `workerOf(n)` worker accepts the n-th connection (from 1) and serves one request at a time. */
async function workers(workerOf: (connection: number) => number, serviceMs = SERVICE_MS): Promise<{ url: string; served: Served[] }> {
  const served: Served[] = [];
  const busyUntil = new Map<number, number>();
  const workerOfSocket = new Map<unknown, number>();
  const handler: http.RequestListener = (req, res) => {
    const socket = req.socket;
    if (!workerOfSocket.has(socket)) workerOfSocket.set(socket, workerOf(workerOfSocket.size + 1));
    const worker = workerOfSocket.get(socket) as number;
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      const start = Math.max(performance.now(), busyUntil.get(worker) ?? 0);
      busyUntil.set(worker, start + serviceMs);
      setTimeout(
        () => {
          served.push({ worker, connection: req.headers.connection, metrics: (JSON.parse(body) as { metrics: unknown[] }).metrics.length });
          res.writeHead(200, { "Content-Type": "application/json" });
          res.end("{}");
        },
        start + serviceMs - performance.now(),
      );
    });
  };
  return { url: await listenLoopback(handler), served };
}

/** Sends `batches` 1000-metric log-batches through a sink, two callers at a time (a run's pipelining). */
async function logPipelined(url: string, batches: number, spread = new WorkerSpread()): Promise<void> {
  const client = createHttpClient({ trackingUri: url });
  const sink = new MlflowSink(client, MLFLOW_LIMITS, new AdaptiveTimeout({ floorMs: 30_000 }), new ConcurrencyLimit(4), spread);
  const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: "loss", value: i / 1000, step: i, timestamp: 1_700_000_000_000 + i }));
  let next = 0;
  const caller = async (): Promise<void> => {
    while (next < batches) {
      next++;
      await sink.logBatch("r1", { metrics, params: [], tags: [] });
    }
  };
  try {
    await Promise.all([caller(), caller()]);
  } finally {
    sink.close();
    client.close();
  }
}

describe("MlflowSink: pipelined log-batches on one server worker", () => {
  it("moves to a new connection when both connections took turns in one worker", async () => {
    // The first two connections land on worker 0, every later one on a worker of its own.
    const server = await workers((n) => (n <= 2 ? 0 : n));
    await logPipelined(server.url, 40);
    expect(server.served).toHaveLength(40);
    expect(server.served.every((s) => s.metrics === 1000)).toBe(true);
    const firstClose = server.served.findIndex((s) => s.connection === "close");
    expect(firstClose).toBeGreaterThan(0);
    expect(server.served[firstClose]?.worker).toBe(0);
    // Afterwards the pair is on two workers.
    const last = server.served.slice(-10);
    expect(new Set(last.map((s) => s.worker)).size).toBeGreaterThan(1);
  });

  it("tries a few new connections at most on a server with one worker", async () => {
    const server = await workers(() => 0, 2.5 * SERVICE_MS);
    const spread = new WorkerSpread();
    await logPipelined(server.url, 32, spread);
    expect(server.served).toHaveLength(32);
    // Pairs always take turns there: the check gave up after MAX_FUTILE new connections.
    expect(spread.checking).toBe(false);
    expect(server.served.filter((s) => s.connection === "close")).toHaveLength(MAX_FUTILE);
  });
});

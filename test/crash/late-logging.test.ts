/**
 * Logging after SIGTERM. The signal hook ends the runs KILLED and waits (up to
 * exitFlushTimeoutMs) for the server; a training loop still running during that wait must not
 * turn the signal into an uncaught error (exit 1). Its late logging calls are dropped with one
 * warning, and the process still dies by the signal.
 */
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "mltrail"; // the built package (self-reference); types from src for tsc
import { requireDist, startFixture, tempStore } from "../fixtures/crash/harness.js";

let store: { root: string; cleanup(): void };
let server: net.Server;
const sockets = new Set<net.Socket>();
let serverUrl: string;

beforeAll(async () => {
  requireDist();
  store = tempStore("late-logging");
  // A tracking server that accepts connections and never answers: the exit flush waits its full bound.
  server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server?.close(resolve));
  store?.cleanup();
});

describe("logging after SIGTERM with a server configured", () => {
  it("late logging calls are dropped with one warning; the process dies by SIGTERM; the run is KILLED", async () => {
    const child = startFixture("late-logging-child.mjs", [store.root, serverUrl], { MLTRAIL_LOG_LEVEL: "warn" });
    const runId = (await child.waitFor(/^run /)).slice(4);
    await child.waitFor(/^logging$/);
    child.kill("SIGTERM");
    const exit = await child.exit(20_000);
    expect(exit.timedOut).toBe(false);
    expect(exit.signal, child.stderr).toBe("SIGTERM");
    expect(child.stderr).not.toMatch(/StateError|has ended: logging calls/);
    expect(child.stderr.match(/ended by the process exit hooks/g) ?? [], child.stderr).toHaveLength(1);

    const reader = new Tracker({ trackingUri: store.root, captureContext: false, handleExit: false });
    try {
      const rec = await reader.getRun(runId);
      expect(rec.info.status).toBe("KILLED");
      const steps = (await reader.getMetricHistory(runId, "x")).map((m) => m.step);
      expect(steps.length).toBeGreaterThan(1000);
      expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i)); // nothing after the end record, no gap
    } finally {
      await reader.close();
    }
  });
});

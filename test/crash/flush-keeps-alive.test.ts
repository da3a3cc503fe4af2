/**
 * An awaited `tracker.flush({ timeoutMs })` keeps its process running until it returns, even
 * when nothing else does: a child whose server is not there logs a few metrics and awaits a
 * flush while replication sleeps in a backoff (its timers do not hold the process). The flush
 * must return (records still pending) and the script go on, not end with Node's "unsettled
 * top-level await" exit.
 */
import * as net from "node:net";
import { afterAll, expect, it } from "vitest";
import { startFixture, tempStore } from "../fixtures/crash/harness.js";

const stores: { cleanup(): void }[] = [];
afterAll(() => {
  for (const s of stores) s.cleanup();
});

/** A loopback port nothing listens on (taken, then given back). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

it("returns from a flush that waits on a backoff, and the script goes on", async () => {
  const store = tempStore("flush-alive");
  stores.push(store);
  const child = startFixture("flush-waits.ts", [store.root, `http://127.0.0.1:${await closedPort()}`, "2000"]);
  const line = await child.waitFor(/^flushed pending \d+$/, 60_000);
  // 10 metrics and the run's start records were not acknowledged by anyone.
  expect(Number(line.split(" ")[2])).toBeGreaterThanOrEqual(10);
  const exit = await child.exit(30_000);
  expect(exit).toMatchObject({ code: 0, timedOut: false });
}, 120_000);

/**
 * Plain HTTP servers on loopback for transport tests: started with {@link listenLoopback},
 * stopped together (open connections included) by {@link closeLoopbackServers} in `afterEach`.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

const started: http.Server[] = [];

/** Starts a server on 127.0.0.1 with a free port; resolves with its base URL. */
export async function listenLoopback(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  started.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Stops every server {@link listenLoopback} started, dropping their open connections. */
export async function closeLoopbackServers(): Promise<void> {
  for (const server of started.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

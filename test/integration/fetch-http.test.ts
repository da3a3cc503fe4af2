/**
 * The fetch transport (the browser build's) driven by Node's global fetch against the real
 * MLflow 3.18 server, and against small real sockets for what MLflow cannot do on demand
 * (echo headers, never answer). The same cases as the axios transport where they apply.
 */
import * as http from "node:http";
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestError, ConnectionError, ResourceNotFoundError, ValidationError } from "../../src/errors.js";
import { connectionErrorKind, isRetryable } from "../../src/remote/errors.js";
import { createFetchHttpClient } from "../../src/remote/fetch-http.js";
import { MlflowClient } from "../../src/remote/mlflow/client.js";
import { mlflowGet, mlflowUri, uniqueName } from "../support/mlflow.js";

let client: MlflowClient;

beforeAll(() => {
  client = new MlflowClient({
    http: createFetchHttpClient({ trackingUri: mlflowUri(), timeoutMs: 60_000 }),
    ownsHttp: true,
    retry: { retries: 6, baseMs: 100 },
  });
});
afterAll(() => client.close());

/** A real HTTP server answering every request with `answer(req, body)`; closed by the returned function. */
async function localServer(
  answer: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => answer(req, body, res));
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("the MLflow client on the fetch transport", () => {
  it("creates an experiment and a run, logs a batch with NaN and ±Infinity, and reads it back exactly", async () => {
    const exp = await client.getOrCreateExperiment(uniqueName("fetch-exp"), { via: "fetch" });
    const run = await client.createRun({ experimentId: exp.experimentId, runName: "fetch-run", startTime: 1_700_000_000_000 });
    const runId = run.info.runId;
    const metrics = [0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map((value, step) => ({
      key: "loss",
      value,
      step,
      timestamp: 1_700_000_000_000 + step,
    }));
    await client.logBatch(runId, { metrics, params: [{ key: "lr", value: "0.01" }], tags: [{ key: "t", value: "ü✓" }] });
    await client.updateRun({ runId, status: "FINISHED", endTime: 1_700_000_000_100 });
    const back = await client.getRun(runId);
    expect(back.info.status).toBe("FINISHED");
    expect(back.data.params).toEqual({ lr: "0.01" });
    expect(back.data.tags["t"]).toBe("ü✓");
    const history = await client.getMetricHistory(runId, "loss");
    expect(history.map((m) => m.value)).toEqual([0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    // The raw REST view agrees (query encoding of the transport is what MLflow reads).
    const raw = await mlflowGet<{ run: { info: { run_name: string } } }>("runs/get", { run_id: runId });
    expect(raw.run.info.run_name).toBe("fetch-run");
  });

  it("maps error answers through the same factory: 404 and 400 with MLflow's code and message", async () => {
    await expect(client.getRun("0".repeat(32))).rejects.toBeInstanceOf(ResourceNotFoundError);
    const name = uniqueName("fetch-dup");
    await client.createExperiment(name);
    const error = await client.createExperiment(name).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, errorCode: "RESOURCE_ALREADY_EXISTS", endpoint: "/api/2.0/mlflow/experiments/create" });
  });

  it("sends repeated keys for arrays and a keepalive request lands like any other", async () => {
    const exp = await client.getOrCreateExperiment(uniqueName("fetch-q"));
    const http = createFetchHttpClient({ trackingUri: mlflowUri() });
    const created = await http.request<{ run: { info: { run_id: string } } }>("POST", "/api/2.0/mlflow/runs/create", {
      body: { experiment_id: exp.experimentId, start_time: 1 },
      keepalive: true,
    });
    const runId = created.run.info.run_id;
    await http.request("POST", "/api/2.0/mlflow/runs/log-batch", { body: { run_id: runId, params: [{ key: "a", value: "1" }] }, keepalive: true });
    const got = await http.request<{ run: { data: { params: { key: string; value: string }[] } } }>("GET", "/api/2.0/mlflow/runs/get", {
      query: { run_id: runId },
    });
    expect(got.run.data.params).toEqual([{ key: "a", value: "1" }]);
    const search = await http.request<{ experiments?: { name: string }[] }>("POST", "/api/2.0/mlflow/experiments/search", {
      body: { max_results: 5, filter: `name = '${exp.name}'` },
    });
    expect(search.experiments?.map((e) => e.name)).toEqual([exp.name]);
  });

  it("downloads artifact bytes through the artifact proxy, and a missing file is a 404", async () => {
    const exp = await client.getOrCreateExperiment(uniqueName("fetch-art"));
    const run = await client.createRun({ experimentId: exp.experimentId, startTime: Date.now() });
    const bytes = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 256);
    const rel = String(run.info.artifactUri).replace(/^mlflow-artifacts:\//, "");
    const put = await fetch(`${mlflowUri()}/api/2.0/mlflow-artifacts/artifacts/${rel}/model/weights.bin`, { method: "PUT", body: bytes });
    expect(put.status).toBe(200);
    const http = createFetchHttpClient({ trackingUri: mlflowUri() });
    const got = await http.getBytes(`/api/2.0/mlflow-artifacts/artifacts/${rel}/model/weights.bin`);
    expect(got.status).toBe(200);
    expect(Buffer.from(got.body).equals(Buffer.from(bytes))).toBe(true);
    await expect(http.getBytes(`/api/2.0/mlflow-artifacts/artifacts/${rel}/model/nothing.bin`)).rejects.toBeInstanceOf(ResourceNotFoundError);
  });
});

describe("headers, credentials and failures", () => {
  it("sends Bearer, workspace, static headers and the provider's headers per request; no User-Agent unless asked", async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const urls: string[] = [];
    const server = await localServer((req, _body, res) => {
      seen.push(req.headers);
      urls.push(req.url ?? "");
      res.setHeader("Content-Type", "application/json").end("{}");
    });
    try {
      let calls = 0;
      const transport = createFetchHttpClient({
        trackingUri: `${server.url}/prefix/`,
        token: "tok-fetch-1",
        workspace: "team-a",
        headers: { "X-Static": "s" },
        headerProvider: async () => ({ "X-Call": String(++calls) }),
      });
      expect(transport.baseUrl).toBe(`${server.url}/prefix`);
      await transport.request("GET", "/a", { query: { run_ids: ["x", "y"], flag: true, none: undefined } });
      await transport.request("POST", "/b", { body: { v: 1 } });
      expect(seen.map((h) => [h["authorization"], h["x-mlflow-workspace"], h["x-static"], h["x-call"]])).toEqual([
        ["Bearer tok-fetch-1", "team-a", "s", "1"],
        ["Bearer tok-fetch-1", "team-a", "s", "2"],
      ]);
      expect(urls).toEqual(["/prefix/a?run_ids=x&run_ids=y&flag=true", "/prefix/b"]);
      expect(seen[1]?.["content-type"]).toBe("application/json");
      expect(seen[0]?.["user-agent"]).not.toBe("mltrail");
    } finally {
      await server.close();
    }
  });

  it("sends Basic from the URI's userinfo and never quotes a credential, even when the server echoes it", async () => {
    const server = await localServer((req, _body, res) => {
      res.statusCode = 401;
      res.end(`denied for ${req.headers["authorization"]} / ${req.headers["x-api-key"]}`);
    });
    try {
      const url = new URL(server.url);
      url.username = "alice";
      url.password = "pw-secret-9";
      const transport = createFetchHttpClient({ trackingUri: url.href, headerProvider: async () => ({ "X-Api-Key": "key-from-provider" }) });
      expect(transport.baseUrl).toBe(server.url);
      const error = (await transport.request("GET", "/x").catch((e: unknown) => e)) as Error;
      expect(error).toMatchObject({ status: 401 });
      const text = `${error.message}\n${error.stack}\n${JSON.stringify(error)}`;
      for (const secret of ["pw-secret-9", "key-from-provider", btoa("alice:pw-secret-9")]) expect(text).not.toContain(secret);
    } finally {
      await server.close();
    }
  });

  it("a refused connection is a retryable ConnectionError without the token", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const transport = createFetchHttpClient({ trackingUri: `http://127.0.0.1:${port}`, token: "tok-refused-7" });
    const error = await transport.request("GET", "/api/2.0/mlflow/runs/get").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(connectionErrorKind(error)).toBe("refused");
    expect(isRetryable(error)).toBe(true);
    expect(String((error as Error).message)).not.toContain("tok-refused-7");
  });

  it("times out on a server that never answers (retryable), and an aborted request is not retried", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket)).listen(0, "127.0.0.1");
    await new Promise((resolve) => silent.once("listening", resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const transport = createFetchHttpClient({ trackingUri: `http://127.0.0.1:${port}`, timeoutMs: 300 });
      const timedOut = await transport.request("GET", "/slow").catch((e: unknown) => e);
      expect(timedOut).toBeInstanceOf(ConnectionError);
      expect(connectionErrorKind(timedOut)).toBe("timeout");
      expect(isRetryable(timedOut)).toBe(true);
      const controller = new AbortController();
      const pending = transport.request("GET", "/slow", { signal: controller.signal, timeoutMs: 60_000 }).catch((e: unknown) => e);
      controller.abort();
      const aborted = await pending;
      expect(connectionErrorKind(aborted)).toBe("aborted");
      expect(isRetryable(aborted)).toBe(false);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("refuses TLS options the browser owns and a bad tracking URI, naming the field", () => {
    expect(() => createFetchHttpClient({ trackingUri: "http://h", insecureTls: true })).toThrow(ValidationError);
    expect(() => createFetchHttpClient({ trackingUri: "http://h", caCert: "PEM" })).toThrow(/caCert/);
    expect(() => createFetchHttpClient({ trackingUri: "ftp://u:pw-x@h" })).toThrow(/trackingUri.*ftp:\/\/\*\*\*@h/);
  });
});

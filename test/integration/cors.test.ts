/**
 * What a page on another origin meets at MLflow 3.18 started with `--cors-allowed-origins`
 * (scripts/mlflow-server.mjs `corsAllowedOrigins`), asked the way a browser asks: a preflight
 * for the headers the fetch transport sends, then the request with its `Origin`. The browser
 * tests (test/e2e/browser-*.test.ts) drive a real page; this pins the server's side.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type CorsMlflowInfo, corsMlflow } from "../support/servers.js";
import { mlflowUri, uniqueName } from "../support/mlflow.js";

let server: CorsMlflowInfo;

beforeAll(async () => {
  server = await corsMlflow();
});

async function preflight(url: string, origin: string): Promise<Response> {
  return fetch(`${url}/api/2.0/mlflow/runs/log-batch`, {
    method: "OPTIONS",
    headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type,x-mlflow-workspace" },
  });
}

async function createExperiment(url: string, origin: string): Promise<Response> {
  return fetch(`${url}/api/2.0/mlflow/experiments/create`, {
    method: "POST",
    headers: { Origin: origin, "Content-Type": "application/json" },
    body: JSON.stringify({ name: uniqueName("cors") }),
  });
}

describe("MLflow with --cors-allowed-origins", () => {
  it("answers the allowed origin's preflight for the transport's headers, and lets its POST through", async () => {
    const pre = await preflight(server.url, server.allowedOrigin);
    expect(pre.status).toBe(200);
    expect(pre.headers.get("access-control-allow-origin")).toBe(server.allowedOrigin);
    expect(pre.headers.get("access-control-allow-methods")).toMatch(/POST/);
    expect((pre.headers.get("access-control-allow-headers") ?? "").toLowerCase()).toMatch(/authorization/);
    const post = await createExperiment(server.url, server.allowedOrigin);
    expect(post.status).toBe(200);
    expect(post.headers.get("access-control-allow-origin")).toBe(server.allowedOrigin);
  });

  it("blocks a POST from any other origin, and the default server blocks the test origin", async () => {
    const other = await createExperiment(server.url, "http://elsewhere.mltrail.test:8080");
    expect(other.status).toBe(403);
    expect(await other.text()).toMatch(/Cross-origin request blocked/);
    const plain = await createExperiment(mlflowUri(), server.allowedOrigin);
    expect(plain.status).toBe(403);
    const pre = await preflight(mlflowUri(), server.allowedOrigin);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
  });
});

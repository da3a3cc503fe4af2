/**
 * globalSetup of the `integration` project: starts ONE real MLflow server (see
 * scripts/mlflow-server.mjs) for the whole run and provides its base URL as `mlflowUri`.
 *
 * - env `MLTRAIL_MLFLOW_URI` set: use that server instead of starting one (it must be MLflow 3.18).
 * - no Python: vitest.config.ts already kept the suites out of the run (or failed it under CI);
 *   this setup then provides an empty URI and starts nothing.
 * - env `MLTRAIL_MLFLOW_BACKEND=postgres`: the shared server is MLflow with 4 workers on a real
 *   PostgreSQL (the same one test/support/servers.ts `postgresMlflow()` hands out), so any suite
 *   runs against the team setup.
 * - the team-deployment servers (MLflow on PostgreSQL with 4 workers, MLflow's basic-auth app)
 *   start only when a test asks for one: see ./server-broker.ts and test/support/servers.ts.
 */
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { TestProject } from "vitest/node";
import type {} from "vitest";
import { startServerBroker } from "./server-broker.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the shared MLflow server, e.g. `http://127.0.0.1:41234`; "" when none runs. */
    mlflowUri: string;
    /** Base URL of the lazy server broker (./server-broker.ts); "" when none runs. */
    serverBroker: string;
  }
}

/** The part of scripts/mlflow-server.mjs this setup uses (the script is plain JS). */
export interface MlflowServerModule {
  findPython(): Promise<string | null>;
  startMlflowServer(opts?: { cacheDir?: string; port?: number; log?: (message: string) => void }): Promise<{
    url: string;
    port: number;
    pid: number;
    workDir: string;
    artifactsDir: string;
    logFile: string;
    stop(): Promise<void>;
  }>;
}

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Loads scripts/mlflow-server.mjs (a computed specifier keeps tsc from wanting its types). */
export async function loadMlflowServerModule(): Promise<MlflowServerModule> {
  const href = pathToFileURL(path.join(projectRoot, "scripts", "mlflow-server.mjs")).href;
  return (await import(href)) as MlflowServerModule;
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const mod = await loadMlflowServerModule();
  if ((await mod.findPython()) === null) {
    project.provide("mlflowUri", process.env.MLTRAIL_MLFLOW_URI?.replace(/\/+$/, "") ?? "");
    project.provide("serverBroker", "");
    return undefined;
  }
  const log = (message: string): void => {
    process.stderr.write(`[mlflow] ${message}\n`);
  };
  const broker = await startServerBroker(log);
  project.provide("serverBroker", broker.url);
  const external = process.env.MLTRAIL_MLFLOW_URI;
  if (external) {
    project.provide("mlflowUri", external.replace(/\/+$/, ""));
    return () => broker.close();
  }
  if (process.env.MLTRAIL_MLFLOW_BACKEND === "postgres") {
    const res = await fetch(`${broker.url}/postgres`);
    if (!res.ok) throw new Error(`MLTRAIL_MLFLOW_BACKEND=postgres: ${await res.text()}`);
    project.provide("mlflowUri", ((await res.json()) as { url: string }).url);
    return () => broker.close();
  }
  const server = await mod.startMlflowServer({ log });
  project.provide("mlflowUri", server.url);
  return async () => {
    await broker.close();
    await server.stop();
  };
}

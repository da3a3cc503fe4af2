/**
 * The team-deployment servers for integration tests, started on first use by the broker of
 * test/setup/server-broker.ts: MLflow with 4 workers on PostgreSQL, and MLflow's basic-auth app
 * with an admin, alice (EDIT on experiment `team-shared`) and bob (READ on it), and MLflow
 * allowing one page origin through `--cors-allowed-origins`.
 */
import { inject } from "vitest";
import type {} from "../setup/mlflow.global.js";
import type { BasicAuthInfo, CorsMlflowInfo, PostgresMlflowInfo } from "../setup/server-broker.js";
import { parseJsonOrUndefined } from "./mlflow.js";

export type { BasicAuthInfo, CorsMlflowInfo, PostgresMlflowInfo } from "../setup/server-broker.js";

/** A user of the basic-auth server. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

async function ask<T>(what: string): Promise<T> {
  const broker = inject("serverBroker");
  if (!broker) throw new Error("No server broker for this run (see test/setup/mlflow.global.ts).");
  // Starting a server with several workers can take a minute on a loaded machine.
  const res = await fetch(`${broker}/${what}`, { signal: AbortSignal.timeout(170_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`starting the ${what} server failed: ${text}`);
  return JSON.parse(text) as T;
}

/** MLflow on PostgreSQL with 4 workers (started on first use). */
export function postgresMlflow(): Promise<PostgresMlflowInfo> {
  return ask<PostgresMlflowInfo>("postgres");
}

/** MLflow's basic-auth app with its users (started on first use). */
export function basicAuthServer(): Promise<BasicAuthInfo> {
  return ask<BasicAuthInfo>("basic-auth");
}

/** MLflow started with `--cors-allowed-origins <one test origin>` (started on first use). */
export function corsMlflow(): Promise<CorsMlflowInfo> {
  return ask<CorsMlflowInfo>("cors");
}

/** The `Authorization` header of a user. */
export function basicAuthHeader(who: Credentials): string {
  return `Basic ${Buffer.from(`${who.username}:${who.password}`).toString("base64")}`;
}

/**
 * One REST call to `baseUrl` as `who` (no credentials when undefined): the status and parsed
 * JSON body (undefined when not JSON). Never throws on HTTP status.
 */
export async function restAs(
  baseUrl: string,
  who: Credentials | undefined,
  method: string,
  apiPath: string,
  body?: unknown,
): Promise<{ status: number; json: unknown; text: string }> {
  const headers: Record<string, string> = {};
  if (who !== undefined) headers["Authorization"] = basicAuthHeader(who);
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const url = `${baseUrl}${apiPath.startsWith("/") ? apiPath : `/api/2.0/mlflow/${apiPath}`}`;
  const res = await fetch(url, { method, headers, signal: AbortSignal.timeout(30_000), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: parseJsonOrUndefined(text), text };
}

/** Sets a user's permission on an experiment as the admin (MLflow has no update: revoke, then grant). */
export async function grantExperiment(
  server: BasicAuthInfo,
  experimentId: string,
  username: string,
  permission: "READ" | "EDIT" | "MANAGE" | "NO_PERMISSIONS",
): Promise<void> {
  const resource = { username, resource_type: "experiment", resource_id: experimentId };
  await restAs(server.url, server.admin, "POST", "/api/3.0/mlflow/users/permissions/revoke", resource);
  const res = await restAs(server.url, server.admin, "POST", "/api/3.0/mlflow/users/permissions/grant", { ...resource, permission });
  if (res.status !== 200) throw new Error(`granting ${permission} to ${username} failed: HTTP ${res.status} ${res.text}`);
}

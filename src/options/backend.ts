/** Which store a tracking URI selects ({@link Backend}), and the `targets` option checked against it. */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { registeredScheme } from "../backends/schemes.js";
import { ValidationError } from "../errors.js";
import { hideUrlCredentials } from "../internal/redact.js";
import { canonicalServerUri } from "../remote/server-uri.js";

/**
 * The embedded local store.
 * @example `{ kind: "local", root: "/home/me/project/mltrail" }`
 */
export interface LocalBackend {
  /** Always `"local"`. */
  readonly kind: "local";
  /** Absolute path of the store folder. */
  readonly root: string;
}

/**
 * An MLflow-compatible tracking server.
 * @example `{ kind: "mlflow", url: "http://127.0.0.1:5000" }`
 */
export interface MlflowBackend {
  /** Always `"mlflow"`. */
  readonly kind: "mlflow";
  /**
   * Server URL: scheme and host lower case, no default port, trailing slash, `#…` fragment or
   * API path (credentials in it are moved to auth headers).
   */
  readonly url: string;
  /** The server's identity for replication progress: `url` with loopback hosts spelled `localhost`. */
  readonly key: string;
  /** Set when the given URI was changed in a way the user should hear about (an API path stripped). */
  readonly notice?: string;
}

/**
 * A backend of a scheme registered with `registerBackend` (docs/backends.md).
 * @example `{ kind: "external", scheme: "jsonl", uri: "jsonl:./runs" }`
 */
export interface ExternalBackend {
  /** Always `"external"`. */
  readonly kind: "external";
  /** The URI's scheme, lower case, e.g. `"jsonl"`. */
  readonly scheme: string;
  /** The tracking URI, with any password hidden. */
  readonly uri: string;
}

/**
 * Which store a tracker uses, derived from `trackingUri` (by its scheme: see docs/backends.md).
 * @example `tracker.options.backend.kind`
 */
export type Backend = LocalBackend | MlflowBackend | ExternalBackend;

/**
 * Parses a tracking URI into a backend.
 * @example `resolveBackend("./mltrail", "/home/me/project") // { kind: "local", root: "/home/me/project/mltrail" }`
 */
export function resolveBackend(uri: string, cwd: string): Backend {
  const shown = hideUrlCredentials(uri);
  if (/^https?:\/\//i.test(uri)) {
    try {
      return { kind: "mlflow", ...canonicalServerUri(uri) };
    } catch {
      throw new ValidationError(
        "options.trackingUri",
        shown,
        `must be a valid http(s) URL${uri.includes("@") ? " (a password holding / ? # or @ must be %-encoded)" : ""}`,
      );
    }
  }
  const scheme = registeredScheme(uri);
  if (scheme !== undefined) return { kind: "external", scheme, uri: shown };
  // "localhost:5000" is a server without its scheme, not a folder of that name.
  if (/^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\]):\d{1,5}(?:[/?#]|$)/i.test(uri)) {
    throw new ValidationError(
      "options.trackingUri",
      uri,
      `looks like a server without its scheme: write "http://${uri}" (or "./${uri}" for a folder of that name)`,
    );
  }
  if (/^file:/i.test(uri)) {
    try {
      return { kind: "local", root: fileURLToPath(uri) };
    } catch (err) {
      throw new ValidationError(
        "options.trackingUri",
        shown,
        `must be a valid file: URI of a local folder (${err instanceof Error ? err.message : String(err)})`,
      );
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) || /^(databricks|sqlite|postgresql|mysql)/i.test(uri)) {
    throw new ValidationError(
      "options.trackingUri",
      shown,
      "must be a folder path, a file: URI, an http(s) URL of an MLflow-compatible server, or a URI of a scheme registered with registerBackend",
    );
  }
  return { kind: "local", root: path.resolve(cwd, uri) };
}

/**
 * The `targets` option checked: each must receive records (a server or a registered scheme, not
 * a folder: the local run log is always written), carry no credentials (they come from `auth`
 * and the environment), and appear once; `trackingUri`'s own target is left out.
 */
export function resolveTargets(given: readonly string[], cwd: string, primary: Backend): string[] {
  const key = (b: Backend): string => (b.kind === "mlflow" ? b.url : b.kind === "local" ? b.root : b.uri);
  const seen = new Set([key(primary)]);
  const out: string[] = [];
  for (const [i, uri] of given.entries()) {
    const field = `options.targets[${i}]`;
    let backend: Backend;
    try {
      backend = resolveBackend(uri, cwd);
    } catch (err) {
      throw err instanceof ValidationError ? new ValidationError(field, uri.replace(/\/\/[^@/]*@/, "//***@"), err.rule) : err;
    }
    if (backend.kind === "local")
      throw new ValidationError(
        field,
        uri,
        "must be an http(s) MLflow URL, tensorboard:<folder>, dvc:<folder> or a registered scheme: the local run log is always written",
      );
    if (backend.kind === "mlflow" && (new URL(uri).username !== "" || new URL(uri).password !== ""))
      throw new ValidationError(field, backend.url, "must carry no credentials: give them with the auth option or MLFLOW_TRACKING_USERNAME/PASSWORD");
    if (seen.has(key(backend))) continue;
    seen.add(key(backend));
    out.push(backend.kind === "mlflow" ? backend.url : uri);
  }
  return out;
}

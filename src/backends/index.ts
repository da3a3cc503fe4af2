/**
 * The backend factory: the tracking URI's scheme picks the implementation. `http:`/`https:` →
 * MLflow (./mlflow); `file:` or a path → the local store (./local.ts, built once the store is
 * open); `tensorboard:` and `dvc:` → the file targets (./files.ts, registered at load); a scheme
 * registered with `registerBackend` → its factory (./schemes.ts).
 */
import { MltrailError, ValidationError } from "../errors.js";
import type { ResolvedOptions } from "../options.js";
import { mlflowBackend } from "./mlflow/index.js";
import "./files.js";
import { factoryOf } from "./schemes.js";
import type { TrackingBackend } from "./types.js";

export { localBackend } from "./local.js";
export type { BackendCapabilities, BackendQueries, ReplicationSink, SinkRun, TrackingBackend } from "./types.js";

/** Checks what a third party's factory returned, so a mistake names itself at `new Tracker`. */
function checked(scheme: string, backend: unknown): TrackingBackend {
  const b = backend as Partial<TrackingBackend> | undefined;
  const problem =
    b === null || typeof b !== "object"
      ? "did not return an object"
      : typeof b.kind !== "string" || typeof b.target !== "string" || b.target === ""
        ? "must return kind and target strings"
        : typeof b.capabilities !== "object" || b.capabilities === null
          ? "must declare capabilities"
          : typeof b.close !== "function"
            ? "must have close()"
            : b.capabilities.replication && typeof b.sink !== "function"
              ? "declares replication but has no sink()"
              : b.capabilities.queries && b.queries === undefined
                ? "declares queries but has no queries"
                : b.capabilities.registry && b.registry === undefined
                  ? "declares a registry but has no registry"
                  : undefined;
  if (problem !== undefined) throw new ValidationError(`backend factory for "${scheme}:"`, typeof backend, problem);
  return b as TrackingBackend;
}

/**
 * The backend `options.trackingUri` names, or undefined for the local store (the tracker opens
 * it as its run log and wraps it with {@link localBackend}). Makes no request. @internal
 */
export function createBackend(options: ResolvedOptions, onError: (error: MltrailError) => void): TrackingBackend | undefined {
  const backend = options.backend;
  switch (backend.kind) {
    case "local":
      return undefined;
    case "mlflow":
      return mlflowBackend(backend.url, options, onError);
    case "external": {
      const factory = factoryOf(backend.scheme);
      let made: unknown;
      try {
        made = factory({ uri: options.trackingUri, cwd: options.cwd, limits: options.limits, requestTimeoutMs: options.requestTimeoutMs, onError });
      } catch (err) {
        if (err instanceof MltrailError) throw err;
        throw new MltrailError(`the backend factory for "${backend.scheme}:" failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      return checked(backend.scheme, made);
    }
  }
}

/**
 * The registration point for backends of other URI schemes. Built-in schemes are resolved by
 * the options (`http:`/`https:` → MLflow; `file:` or a path → the local store); any other
 * scheme registered here (`jsonl:`, `tensorboard:`, …) is built by its factory.
 */
import { ValidationError } from "../errors.js";
import type { BackendFactory } from "./types.js";

/** Schemes mltrail resolves itself; they cannot be registered. */
const BUILT_IN = new Set(["http", "https", "file"]);

const factories = new Map<string, BackendFactory>();

/** Shape of a scheme name (RFC 3986), at least two characters so `C:\path` stays a path. */
const SCHEME = /^[a-z][a-z0-9+.-]+$/;

/**
 * Registers a backend for URIs of a scheme: `new Tracker({ trackingUri: "jsonl:./runs" })` then
 * builds it with `factory`. Registering a scheme again replaces its factory (the last one wins).
 * Throws ValidationError for a malformed scheme or one mltrail resolves itself (`http`, `https`, `file`).
 * @param scheme lower case, without the colon, e.g. `"jsonl"`.
 * @param factory builds the backend for one tracker; see docs/backends.md.
 * @example
 * ```ts
 * import { registerBackend } from "mltrail";
 * registerBackend("jsonl", (ctx) => jsonlBackend(ctx));
 * ```
 */
export function registerBackend(scheme: string, factory: BackendFactory): void {
  if (typeof scheme !== "string" || !SCHEME.test(scheme))
    throw new ValidationError("scheme", scheme, 'must be a lower-case URI scheme without the colon, e.g. "jsonl"');
  if (BUILT_IN.has(scheme)) throw new ValidationError("scheme", scheme, "is resolved by mltrail itself and cannot be registered");
  if (typeof factory !== "function") throw new ValidationError("factory", factory, "must be a function (context) => TrackingBackend");
  factories.set(scheme, factory);
}

/** The registered scheme of a URI (`"jsonl"` for `"jsonl:./runs"`), if any. @internal */
export function registeredScheme(uri: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]+):/i.exec(uri);
  const scheme = m?.[1]?.toLowerCase();
  return scheme !== undefined && factories.has(scheme) ? scheme : undefined;
}

/** The factory of a registered scheme. @internal */
export function factoryOf(scheme: string): BackendFactory {
  const factory = factories.get(scheme);
  if (factory === undefined) throw new ValidationError("options.trackingUri", `${scheme}:`, "names no registered backend (registerBackend)");
  return factory;
}

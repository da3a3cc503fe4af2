/**
 * Tracker options as given ({@link TrackerOptions}) and as resolved ({@link ResolvedOptions}:
 * frozen, every field present). Precedence for each field: the option, then its environment
 * variable, then the default. The types live in `options/types.ts`, the schema in
 * `options/schema.ts`, tracking URIs and targets in `options/backend.ts` and the resolution
 * in `options/resolve.ts`.
 *
 * @packageDocumentation
 */
export type { NamePolicy, TrackerOptions, Env, ResolvedOptions } from "./options/types.js";
export type { LocalBackend, MlflowBackend, ExternalBackend, Backend } from "./options/backend.js";
export { resolveBackend } from "./options/backend.js";
export { resolveOptions } from "./options/resolve.js";

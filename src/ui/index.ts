/**
 * `mltrail ui`: a live local dashboard over any backend, read through the tracker's query API.
 * Loaded only by the command; nothing in the SDK imports it.
 *
 * @packageDocumentation
 */
export { startUi } from "./server.js";
export type { UiOptions, UiServer } from "./server.js";
export type { UiTracker, RunRow } from "./api.js";

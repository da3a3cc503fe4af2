/**
 * The DVC target: DVCLive folders (`metrics.json`, TSV plots, `params.yaml`, `dvc.yaml`) that the
 * `dvc` CLI reads, and the export of existing runs. A function-level API with no tracker state.
 *
 * @packageDocumentation
 */
export { exportToDvc } from "./export.js";
export type { DvcExportOptions, DvcExportProgress, DvcExportResult, DvcRunExport } from "./export.js";

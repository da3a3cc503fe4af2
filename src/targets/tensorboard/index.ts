/**
 * The TensorBoard target: event files (TFRecord + `Event` protobufs, written by hand) and the
 * export of existing runs. A function-level API with no tracker state, so a backend can wrap it.
 *
 * @packageDocumentation
 */
export { exportToTensorBoard } from "./export.js";
export type { TensorBoardExportOptions, TensorBoardExportProgress, TensorBoardExportResult, TensorBoardRunExport, TensorBoardSource } from "./export.js";

/**
 * The tracker's delete and restore of runs and experiments (MLflow's lifecycle stage), and the
 * lifecycle stage a search asks for. The local store records them itself (store/lifecycle-ops.ts).
 */
import { ValidationError } from "./errors.js";
import type { RunViewType } from "./model/types.js";
import { RUN_VIEW_TYPES } from "./store/lifecycle.js";

/**
 * Checks a `runViewType`/`viewType` option: one of `"ACTIVE_ONLY"`, `"DELETED_ONLY"`, `"ALL"`.
 * @default "ACTIVE_ONLY" when undefined
 */
export function checkViewType(field: string, value: unknown): RunViewType {
  if (value === undefined) return "ACTIVE_ONLY";
  if (typeof value === "string" && (RUN_VIEW_TYPES as readonly string[]).includes(value)) return value as RunViewType;
  throw new ValidationError(field, value, `must be one of ${RUN_VIEW_TYPES.join(", ")}`);
}

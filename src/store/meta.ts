/**
 * The `run.json` and `experiment.json` documents, with their parsers. Parsing is strict
 * about types so a damaged file is reported instead of half-read.
 */
import { SpoolError } from "../errors.js";
import type { Experiment, RunStatus } from "../model/types.js";

/** Contents of `run.json`. */
export interface RunMeta {
  readonly format: "mltrail-run";
  readonly version: 1;
  readonly runId: string;
  readonly experimentId: string;
  readonly name: string;
  readonly startTime: number;
  readonly status: RunStatus;
  readonly endTime?: number;
  readonly parentRunId?: string;
  readonly description?: string;
  readonly user?: string;
  /** Client-side key of the run (tag `mltrail.runKey` on a server); the run id when absent. */
  readonly runKey?: string;
}

/** Contents of `experiment.json`. */
export interface ExperimentMeta {
  readonly format: "mltrail-experiment";
  readonly version: 1;
  readonly experimentId: string;
  readonly name: string;
  readonly creationTime: number;
  readonly lifecycleStage: "active" | "deleted";
  readonly tags: Readonly<Record<string, string>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses a `run.json` document. Throws {@link SpoolError} naming the file when it is damaged. */
export function parseRunMeta(raw: unknown, file: string): RunMeta {
  if (
    isRecord(raw) &&
    raw["format"] === "mltrail-run" &&
    typeof raw["runId"] === "string" &&
    typeof raw["experimentId"] === "string" &&
    typeof raw["name"] === "string" &&
    typeof raw["startTime"] === "number" &&
    typeof raw["status"] === "string"
  ) {
    if (raw["version"] !== 1) {
      throw new SpoolError(`run meta has format version ${String(raw["version"])}; this mltrail reads version 1 — upgrade mltrail`, { path: file });
    }
    return raw as unknown as RunMeta;
  }
  throw new SpoolError("run meta is damaged or not an mltrail run", { path: file });
}

/** Parses an `experiment.json` document. */
export function parseExperimentMeta(raw: unknown, file: string): ExperimentMeta {
  if (isRecord(raw) && raw["format"] === "mltrail-experiment" && typeof raw["experimentId"] === "string" && typeof raw["name"] === "string") {
    return raw as unknown as ExperimentMeta;
  }
  throw new SpoolError("experiment meta is damaged or not an mltrail experiment", { path: file });
}

/** The public view of an experiment document. */
export function toExperiment(meta: ExperimentMeta): Experiment {
  return { experimentId: meta.experimentId, name: meta.name, creationTime: meta.creationTime, tags: { ...meta.tags } };
}

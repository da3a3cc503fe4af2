/**
 * The `run.json` and `experiment.json` documents, with their parsers. Every document read
 * from disk is checked against a zod schema at this boundary, so a damaged file is reported
 * as a {@link CorruptDataError} naming it instead of being half-read.
 */
import { z } from "zod";
import { CorruptDataError, SpoolError } from "../errors.js";
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

const runMetaSchema = z.object({
  format: z.literal("mltrail-run"),
  version: z.literal(1),
  runId: z.string().min(1),
  experimentId: z.string().regex(/^\d+$/),
  name: z.string(),
  startTime: z.number(),
  status: z.enum(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]),
  endTime: z.number().optional(),
  parentRunId: z.string().optional(),
  description: z.string().optional(),
  user: z.string().optional(),
  runKey: z.string().optional(),
});

const experimentMetaSchema = z.object({
  format: z.literal("mltrail-experiment"),
  version: z.literal(1),
  experimentId: z.string().regex(/^\d+$/),
  name: z.string().min(1),
  creationTime: z.number(),
  lifecycleStage: z.enum(["active", "deleted"]),
  tags: z.record(z.string(), z.string()),
});

/** The first problem zod found, in words: `status: Invalid option …`. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid";
  return issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`;
}

function newerVersion(raw: unknown, format: string): unknown {
  if (typeof raw !== "object" || raw === null) return undefined;
  const doc = raw as Record<string, unknown>;
  return doc["format"] === format && typeof doc["version"] === "number" && doc["version"] > 1 ? doc["version"] : undefined;
}

/**
 * Parses a `run.json` document. Throws {@link CorruptDataError} naming the file when it is
 * damaged, {@link SpoolError} when a newer mltrail wrote it.
 */
export function parseRunMeta(raw: unknown, file: string): RunMeta {
  const version = newerVersion(raw, "mltrail-run");
  if (version !== undefined)
    throw new SpoolError(`run meta has format version ${String(version)}; this mltrail reads version 1 — upgrade mltrail`, { path: file });
  const parsed = runMetaSchema.safeParse(raw);
  if (!parsed.success) throw new CorruptDataError(`run meta is damaged or not an mltrail run (${firstIssue(parsed.error)})`, { path: file });
  return parsed.data as RunMeta;
}

/** Parses an `experiment.json` document. Throws {@link CorruptDataError} naming the file when it is damaged. */
export function parseExperimentMeta(raw: unknown, file: string): ExperimentMeta {
  const parsed = experimentMetaSchema.safeParse(raw);
  if (!parsed.success) throw new CorruptDataError(`experiment meta is damaged or not an mltrail experiment (${firstIssue(parsed.error)})`, { path: file });
  return parsed.data as ExperimentMeta;
}

/** The public view of an experiment document. */
export function toExperiment(meta: ExperimentMeta): Experiment {
  return {
    experimentId: meta.experimentId,
    name: meta.name,
    creationTime: meta.creationTime,
    tags: { ...meta.tags },
    ...(meta.lifecycleStage === "deleted" ? { deleted: true } : {}),
  };
}

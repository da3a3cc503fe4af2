/**
 * Lineage: where a model version or run came from — model version → run → datasets → code
 * and environment — as one typed graph, built from what the run recorded.
 *
 * @packageDocumentation
 */
import type { DatasetInfo } from "./artifacts/run-artifacts.js";
import type { ModelVersion } from "./models.js";
import type { RunRecord } from "./model/types.js";
import { ValidationError } from "./errors.js";
import { checkRunId } from "./model/validate.js";
import { MLFLOW_TAGS } from "./model/system-tags.js";
import { defined } from "./internal/defined.js";

/**
 * What `tracker.lineage` starts from: a model ref (`"churn@1.2.0"`, `"churn@champion"`, or
 * `{ model, ref }`), or a run (`{ runId }`).
 * @example `"churn@^1"` · `{ model: "churn", ref: "champion" }` · `{ runId: run.id }`
 */
export type LineageTarget =
  | string
  | {
      /** Model name, or `"name@ref"`. */
      readonly model: string;
      /** Version, range, alias or `latest`. @default "latest" */
      readonly ref?: string;
    }
  | {
      /** The run's id. */
      readonly runId: string;
    };

/** A lineage target, parsed. @internal */
export type ParsedLineageTarget =
  | { readonly kind: "run"; readonly runId: string }
  | { readonly kind: "model"; readonly name: string; readonly ref: string | undefined; readonly looksLikeRunId: boolean };

/**
 * Reads a {@link LineageTarget}: a string is always a model ref. Throws ValidationError for
 * anything else. @internal
 * @example `parseLineageTarget({ runId: "abc" }) // { kind: "run", runId: "abc" }`
 */
export function parseLineageTarget(target: unknown): ParsedLineageTarget {
  if (typeof target === "string") return { kind: "model", name: target, ref: undefined, looksLikeRunId: /^[0-9a-f]{32}$/.test(target) };
  if (typeof target === "object" && target !== null && !Array.isArray(target)) {
    const t = target as Record<string, unknown>;
    if ("runId" in t && !("model" in t)) return { kind: "run", runId: checkRunId("target.runId", t["runId"]) };
    if ("model" in t && !("runId" in t)) {
      if (typeof t["model"] !== "string") throw new ValidationError("target.model", t["model"], "must be a model name or ref string");
      if (t["ref"] !== undefined && typeof t["ref"] !== "string")
        throw new ValidationError("target.ref", t["ref"], "must be a string: a version, range, alias or latest");
      return { kind: "model", name: t["model"], ref: t["ref"] as string | undefined, looksLikeRunId: false };
    }
  }
  throw new ValidationError("target", target, "must be a model ref string, { model, ref } or { runId }");
}

/**
 * Where a model version or run came from.
 * @example `const l = await tracker.lineage("churn@1.2.0"); l.datasets[0].digest`
 */
export interface Lineage {
  /** The model version, when the lineage starts at one. */
  readonly modelVersion?: Pick<ModelVersion, "name" | "version" | "source" | "contentDigest" | "aliases" | "createdAt" | "author" | "rationale">;
  /** The run that produced it. */
  readonly run: {
    /** The run id. */
    readonly runId: string;
    /** Display name (`mlflow.runName`). */
    readonly name: string;
    /** Experiment the run belongs to. */
    readonly experimentId: string;
    /** Lifecycle status, a `RunStatus` such as `"FINISHED"`. */
    readonly status: string;
    /** Start time, ms since the epoch. */
    readonly startTime: number;
    /** Params, as strings. */
    readonly params: Readonly<Record<string, string>>;
    /** Latest value per metric key. */
    readonly metrics: Readonly<Record<string, number>>;
  };
  /** Dataset inputs of the run. */
  readonly datasets: readonly DatasetInfo[];
  /** The code version. */
  readonly code: {
    /** Git commit the run executed (tag `mlflow.source.git.commit`). Absent: not recorded. */
    readonly gitCommit?: string;
    /** Git branch (tag `mlflow.source.git.branch`). Absent: not recorded. */
    readonly gitBranch?: string;
    /** Whether the working tree had uncommitted changes (tag `mlflow.source.git.dirty`). Absent: not recorded. */
    readonly gitDirty?: boolean;
    /** Remote URL of the repository (tag `mlflow.source.git.repoURL`). Absent: not recorded. */
    readonly repoUrl?: string;
    /** The script or entry point that ran (tag `mlflow.source.name`). Absent: not recorded. */
    readonly entryScript?: string;
  };
  /** The environment the run executed in. */
  readonly environment: Readonly<Record<string, string>>;
}

const ENVIRONMENT_TAGS: Record<string, string> = {
  "mltrail.node.version": "node",
  "mltrail.platform": "platform",
  "mltrail.host": "host",
  [MLFLOW_TAGS.user]: "user",
  "mltrail.project.name": "project",
  "mltrail.project.version": "projectVersion",
  "mltrail.project.lockfile": "lockfile",
  "mltrail.project.lockfileSha256": "lockfileSha256",
  "mltrail.argv": "argv",
};

/** Builds a lineage from a run, its datasets and optionally the model version. @internal */
export function buildLineage(run: RunRecord, datasets: readonly DatasetInfo[], modelVersion: ModelVersion | undefined): Lineage {
  const tags = run.data.tags;
  const environment: Record<string, string> = {};
  for (const [tag, name] of Object.entries(ENVIRONMENT_TAGS)) {
    const value = tags[tag];
    if (value !== undefined) environment[name] = value;
  }
  const dirty = tags[MLFLOW_TAGS.gitDirty];
  return {
    ...(modelVersion === undefined
      ? {}
      : {
          modelVersion: {
            name: modelVersion.name,
            version: modelVersion.version,
            source: modelVersion.source,
            contentDigest: modelVersion.contentDigest,
            aliases: modelVersion.aliases,
            createdAt: modelVersion.createdAt,
            author: modelVersion.author,
            rationale: modelVersion.rationale,
          },
        }),
    run: {
      runId: run.info.runId,
      name: run.info.name,
      experimentId: run.info.experimentId,
      status: run.info.status,
      startTime: run.info.startTime,
      params: run.data.params,
      metrics: run.data.metrics,
    },
    datasets,
    code: {
      ...defined({ gitCommit: tags[MLFLOW_TAGS.gitCommit] }),
      ...defined({ gitBranch: tags[MLFLOW_TAGS.gitBranch] }),
      ...(dirty === undefined ? {} : { gitDirty: dirty === "true" }),
      ...defined({ repoUrl: tags[MLFLOW_TAGS.gitRepoUrl] }),
      ...defined({ entryScript: tags[MLFLOW_TAGS.sourceName] }),
    },
    environment,
  };
}

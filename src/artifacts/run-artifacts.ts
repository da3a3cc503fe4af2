/**
 * What `run.logArtifact`, `logArtifacts`, `logText`, `logJSON`, `logModel` and `logDataset`
 * do: copy (and hash) into the run's `artifacts/` folder, then append a journal record. The
 * record is what makes an artifact durable like a metric: replication uploads it from the
 * folder, after an outage or a crash too.
 */
import * as path from "node:path";
import { ValidationError } from "../errors.js";
import type { JournalWriter } from "../log/journal.js";
import type { DatasetRecord } from "../log/record.js";
import { checkKey, checkName } from "../model/validate.js";
import { mlmodelText } from "../registry/mlmodel.js";
import { checkSignature, type ModelSignature } from "../registry/signature.js";
import { dvcDigest, treeSha256 } from "./digest.js";
import { findDvcInfo } from "./dvc.js";
import { checkArtifactPath, joinArtifactPath } from "./paths.js";
import { stageData, stageFile } from "./staging.js";
import { checkSource, walkFiles } from "./walk.js";

/**
 * Where an artifact goes among the run's artifacts.
 * @example `{ artifactPath: "plots" }`
 */
export interface ArtifactOptions {
  /** Folder (relative, POSIX) under the run's artifact root. @default the root */
  readonly artifactPath?: string;
}

/**
 * A logged artifact file.
 * @example `{ path: "plots/loss.png", sha256: "…", size: 20480 }`
 */
export interface ArtifactInfo {
  /** Path relative to the run's artifact root. */
  readonly path: string;
  /** sha256 of the bytes, hex. */
  readonly sha256: string;
  /** Size in bytes. */
  readonly size: number;
}

/**
 * Options of `run.logModel`.
 * @example `{ artifactPath: "model", signature, flavor: "tfjs-layers" }`
 */
export interface LogModelOptions {
  /** Folder of the model among the run's artifacts. */
  readonly artifactPath: string;
  /** Input/output signature, used by the registry. @default none */
  readonly signature?: ModelSignature;
  /** A free name of the format, e.g. `"tfjs-layers"`, `"onnx"`. @default "files" */
  readonly flavor?: string;
}

/**
 * A logged model directory.
 * @example `{ artifactPath: "model", contentDigest: "sha256:…", files: [...] }`
 */
export interface LoggedModel {
  /** Folder of the model among the run's artifacts (the `artifactPath` option, normalized). */
  readonly artifactPath: string;
  /** One digest over all the model's files (relative paths and their sha256). */
  readonly contentDigest: string;
  /** Name of the model format, as given in the options (`"files"` when none was given). */
  readonly flavor: string;
  /** Every file logged, with its path relative to the artifact root, sha256 and size. */
  readonly files: readonly ArtifactInfo[];
}

/**
 * A dataset input.
 * @example `{ name: "churn-train", path: "data/train.csv", context: "training" }`
 */
export interface DatasetOptions {
  /** Dataset name. */
  readonly name: string;
  /** A local file or folder: its DVC md5 and sha256 are computed. @default none */
  readonly path?: string;
  /** A digest you already have (used when there is no `path`). @default none */
  readonly digest?: string;
  /** Where the data came from (URI or description). @default `path` */
  readonly source?: string;
  /** MLflow source type. @default "local" */
  readonly sourceType?: string;
  /** What the run used it for. @default none */
  readonly context?: "training" | "validation" | "test";
  /** Schema (JSON text or any JSON value). @default none */
  readonly schema?: unknown;
  /** Profile (row counts, …; JSON text or value). @default none */
  readonly profile?: unknown;
}

/**
 * A recorded dataset input: the run log's dataset record without its sequence number,
 * type and timestamp.
 * @example `(await tracker.getRunDatasets(runId))[0].digest`
 */
export type DatasetInfo = Omit<DatasetRecord, "s" | "t" | "ts">;

/** What the functions here need from a run. @internal */
export interface ArtifactContext {
  readonly runId: string;
  readonly artifactsDir: string;
  readonly writer: JournalWriter;
  readonly clock: () => number;
  /** Throws StateError when the run has ended. */
  checkOpen(): void;
  setTag(key: string, value: string): void;
}

function append(ctx: ArtifactContext, fields: Record<string, unknown>): void {
  ctx.checkOpen();
  const s = ctx.writer.nextSeq();
  ctx.writer.append(JSON.stringify({ s, ...fields, ts: ctx.clock() }), s);
}

async function record(ctx: ArtifactContext, rel: string, stage: () => Promise<{ sha256: string; size: number }>): Promise<ArtifactInfo> {
  ctx.checkOpen();
  const staged = await stage();
  append(ctx, { t: "a", p: rel, sha256: staged.sha256, size: staged.size });
  return { path: rel, ...staged };
}

/** `run.logArtifact`. @internal */
export async function logArtifact(ctx: ArtifactContext, localPath: string, options: ArtifactOptions = {}): Promise<ArtifactInfo> {
  if (typeof localPath !== "string" || localPath === "") throw new ValidationError("localPath", localPath, "must be the path of a file");
  await checkSource("localPath", localPath, "file", " (use logArtifacts for a folder)");
  const rel = checkArtifactPath(joinArtifactPath(options.artifactPath, path.basename(localPath)));
  return record(ctx, rel, () => stageFile(localPath, ctx.artifactsDir, rel));
}

/** `run.logArtifacts`: every file under `dir`, keeping the folder structure. @internal */
export async function logArtifacts(ctx: ArtifactContext, dir: string, options: ArtifactOptions = {}): Promise<ArtifactInfo[]> {
  ctx.checkOpen();
  await checkSource("dir", dir, "folder");
  const base = options.artifactPath === undefined ? undefined : checkArtifactPath(options.artifactPath);
  // Every path is checked before the first file is staged, so a bad name records nothing.
  const files = (await walkFiles(dir, { field: "dir" })).map(({ file, rel }) => ({ file, rel: checkArtifactPath(joinArtifactPath(base, rel)) }));
  const out: ArtifactInfo[] = [];
  for (const { file, rel } of files) {
    out.push(await record(ctx, rel, () => stageFile(file, ctx.artifactsDir, rel)));
  }
  return out;
}

/** `run.logText` / `run.logJSON`. @internal */
export async function logData(ctx: ArtifactContext, data: string, artifactPath: string): Promise<ArtifactInfo> {
  const rel = checkArtifactPath(artifactPath);
  return record(ctx, rel, () => stageData(data, ctx.artifactsDir, rel));
}

/** `run.logModel`: the files, plus one content digest recorded as tag `mltrail.model/<artifactPath>`. @internal */
export async function logModel(ctx: ArtifactContext, dir: string, options: LogModelOptions): Promise<LoggedModel> {
  const artifactPath = checkArtifactPath(options.artifactPath);
  const signature = options.signature === undefined ? undefined : checkSignature(options.signature);
  const flavor = options.flavor ?? "files";
  const files = await logArtifacts(ctx, dir, { artifactPath });
  const contentDigest = `sha256:${treeSha256(files.map((f) => ({ relpath: f.path.slice(artifactPath.length + 1), sha256: f.sha256 })))}`;
  const meta = { contentDigest, flavor, files: files.length, ...(signature === undefined ? {} : { signature }) };
  const text = JSON.stringify(meta);
  const key = `mltrail.model/${artifactPath}`;
  checkKey("tag", key);
  ctx.setTag(key, text.length <= 8000 ? text : JSON.stringify({ contentDigest, flavor, files: files.length }));
  // MLflow's description of the model (signature included), unless the folder brings its own.
  const mlmodel = joinArtifactPath(artifactPath, "MLmodel");
  if (!files.some((f) => f.path === mlmodel)) await logData(ctx, mlmodelText({ artifactPath, flavor, contentDigest, signature, now: ctx.clock() }), mlmodel);
  return { artifactPath, contentDigest, flavor, files };
}

function jsonText(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text === undefined) throw new ValidationError(field, value, "must be JSON text or a JSON value");
  return text;
}

/** `run.logDataset`. @internal */
export async function logDataset(ctx: ArtifactContext, options: DatasetOptions): Promise<DatasetInfo> {
  ctx.checkOpen();
  const name = checkName("dataset name", options.name, 500);
  if (options.context !== undefined && !["training", "validation", "test"].includes(options.context)) {
    throw new ValidationError("dataset context", options.context, "must be training, validation or test");
  }
  let digest = options.digest;
  let sha256: string | undefined;
  let dvcMd5: string | undefined;
  if (options.path !== undefined) {
    await checkSource("dataset path", options.path, "file or folder");
    const dvc = await dvcDigest(options.path);
    digest = dvc.md5;
    sha256 = dvc.sha256;
    dvcMd5 = (await findDvcInfo(options.path))?.md5;
  }
  if (digest === undefined || digest === "") throw new ValidationError("dataset", options.name, "needs a path (to compute its digest) or a digest");
  const info: DatasetInfo = {
    name,
    digest,
    ...(sha256 === undefined ? {} : { sha256 }),
    ...(dvcMd5 === undefined ? {} : { dvcMd5 }),
    ...((options.source ?? options.path) === undefined ? {} : { source: (options.source ?? options.path) as string }),
    sourceType: options.sourceType ?? "local",
    ...(options.context === undefined ? {} : { context: options.context }),
    ...(jsonText("dataset schema", options.schema) === undefined ? {} : { schema: jsonText("dataset schema", options.schema) as string }),
    ...(jsonText("dataset profile", options.profile) === undefined ? {} : { profile: jsonText("dataset profile", options.profile) as string }),
  };
  append(ctx, { t: "d", ...info });
  return info;
}

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
import { checkOptions, checkRequiredOptions } from "../model/args.js";
import { checkKey, checkName } from "../model/validate.js";
import { mlmodelText } from "../registry/mlmodel.js";
import { checkSignature, type ModelSignature } from "../registry/signature.js";
import { readArchitectureDigest } from "./architecture.js";
import { dvcDigest, treeSha256 } from "./digest.js";
import { findDvcInfo } from "./dvc.js";
import { checkArtifactPath, checkUserArtifactPath, joinArtifactPath } from "./paths.js";
import { stageData, stageDataSync, stageFile, type StagedFile, type StageOptions } from "./staging.js";
import { checkSource, walkFiles } from "./walk.js";
import { defined } from "../internal/defined.js";

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
  /**
   * The digest of the model's topology without its weights, when the folder holds a TF.js
   * `model.json` or a Keras `config.json` (`architectureDigestOf`); the registry uses it to
   * release retrained weights of an unchanged architecture as a patch. Absent otherwise.
   */
  readonly architectureDigest?: string;
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
  /** The run's current value of a tag, when set. */
  getTag?(key: string): string | undefined;
}

function append(ctx: ArtifactContext, fields: Record<string, unknown>): void {
  ctx.checkOpen();
  const s = ctx.writer.nextSeq();
  ctx.writer.append(JSON.stringify({ s, ...fields, ts: ctx.clock() }), s);
}

/**
 * Stages one file and records it. The rename into place and the journal record happen in the
 * same synchronous step, so with concurrent writes to one path the file on disk is always the
 * one the run's last record for that path describes (the call that finishes last wins).
 */
async function record(ctx: ArtifactContext, rel: string, stage: (options: StageOptions) => Promise<StagedFile>): Promise<ArtifactInfo> {
  ctx.checkOpen();
  const staged = await stage({
    beforePlace: () => ctx.checkOpen(),
    afterPlace: (s) => append(ctx, { t: "a", p: rel, sha256: s.sha256, size: s.size }),
  });
  return { path: rel, ...staged };
}

/** `run.logArtifact`. @internal */
export async function logArtifact(ctx: ArtifactContext, localPath: string, options?: ArtifactOptions): Promise<ArtifactInfo> {
  const opts = checkOptions<ArtifactOptions>("options", options);
  if (typeof localPath !== "string" || localPath === "") throw new ValidationError("localPath", localPath, "must be the path of a file");
  const rel = checkUserArtifactPath(joinArtifactPath(opts.artifactPath, path.basename(localPath)));
  await checkSource("localPath", localPath, "file", " (use logArtifacts for a folder)");
  return record(ctx, rel, (o) => stageFile(localPath, ctx.artifactsDir, rel, o));
}

/** `run.logArtifacts`: every file under `dir`, keeping the folder structure. @internal */
export async function logArtifacts(ctx: ArtifactContext, dir: string, options?: ArtifactOptions): Promise<ArtifactInfo[]> {
  ctx.checkOpen();
  const opts = checkOptions<ArtifactOptions>("options", options);
  if (typeof dir !== "string" || dir === "") throw new ValidationError("dir", dir, "must be the path of a folder");
  await checkSource("dir", dir, "folder");
  const base = opts.artifactPath === undefined ? undefined : checkArtifactPath(opts.artifactPath);
  // Every path is checked before the first file is staged, so a bad name records nothing.
  const files = (await walkFiles(dir, { field: "dir" })).map(({ file, rel }) => ({ file, rel: checkUserArtifactPath(joinArtifactPath(base, rel)) }));
  const out: ArtifactInfo[] = [];
  for (const { file, rel } of files) {
    out.push(await record(ctx, rel, (o) => stageFile(file, ctx.artifactsDir, rel, { ...o, sourceField: "dir" })));
  }
  return out;
}

/** `run.logText` / `run.logJSON` (and the media calls, with bytes). @internal */
export async function logData(ctx: ArtifactContext, data: string | Uint8Array, artifactPath: string): Promise<ArtifactInfo> {
  const rel = checkUserArtifactPath(artifactPath);
  return record(ctx, rel, (o) => stageData(data, ctx.artifactsDir, rel, o));
}

/**
 * {@link logData} in one synchronous step, for exit paths that cannot await (the console
 * capture's last part when the run ends or the process dies). @internal
 */
export function logDataSync(ctx: ArtifactContext, data: string, artifactPath: string): ArtifactInfo {
  const rel = checkUserArtifactPath(artifactPath);
  ctx.checkOpen();
  const staged = stageDataSync(data, ctx.artifactsDir, rel);
  append(ctx, { t: "a", p: rel, sha256: staged.sha256, size: staged.size });
  return { path: rel, ...staged };
}

/**
 * `JSON.stringify` that throws a ValidationError naming `field` for what JSON cannot hold:
 * a circular reference, a bigint, a throwing `toJSON`, or a value with no JSON form at all.
 */
export function jsonOf(field: string, value: unknown, indent?: number): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, null, indent);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const rule = /circular/i.test(reason)
      ? "must be JSON-serialisable: it holds a circular reference"
      : /bigint/i.test(reason)
        ? "must be JSON-serialisable: it holds a bigint (convert it to a number or a string first)"
        : `must be JSON-serialisable (${reason})`;
    const err = new ValidationError(field, value, rule);
    err.cause = error;
    throw err;
  }
  if (text === undefined) throw new ValidationError(field, value, "must be JSON-serialisable (undefined, a function or a symbol has no JSON form)");
  return text;
}

/** `run.logJSON`: the value pretty-printed. @internal */
export function logJson(ctx: ArtifactContext, value: unknown, artifactPath: string): Promise<ArtifactInfo> {
  try {
    return logData(ctx, `${jsonOf("value", value, 2)}\n`, artifactPath);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** `run.logModel`: the files, plus one content digest recorded as tag `mltrail.model/<artifactPath>`. @internal */
export async function logModel(ctx: ArtifactContext, dir: string, options: LogModelOptions): Promise<LoggedModel> {
  const opts = checkRequiredOptions<LogModelOptions>("logModel options", options);
  const artifactPath = checkUserArtifactPath(opts.artifactPath);
  const signature = opts.signature === undefined ? undefined : checkSignature(opts.signature);
  if (opts.flavor !== undefined && (typeof opts.flavor !== "string" || opts.flavor === ""))
    throw new ValidationError("flavor", opts.flavor, "must be a non-empty string");
  const flavor = opts.flavor ?? "files";
  const key = `mltrail.model/${artifactPath}`;
  checkKey("tag", key); // before any file is logged: a path too long for the tag records nothing
  const files = await logArtifacts(ctx, dir, { artifactPath });
  const contentDigest = `sha256:${treeSha256(files.map((f) => ({ relpath: f.path.slice(artifactPath.length + 1), sha256: f.sha256 })))}`;
  const architectureDigest = await readArchitectureDigest(dir);
  const digests = { contentDigest, ...defined({ architectureDigest }) };
  const meta = { ...digests, flavor, files: files.length, ...defined({ signature }) };
  const text = JSON.stringify(meta);
  ctx.setTag(key, text.length <= 8000 ? text : JSON.stringify({ ...digests, flavor, files: files.length }));
  // MLflow's description of the model (signature included), unless the folder brings its own.
  const mlmodel = joinArtifactPath(artifactPath, "MLmodel");
  if (!files.some((f) => f.path === mlmodel)) await logData(ctx, mlmodelText({ artifactPath, flavor, contentDigest, signature, now: ctx.clock() }), mlmodel);
  return { artifactPath, ...digests, flavor, files };
}

function jsonText(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : jsonOf(field, value);
}

/** `run.logDataset`. @internal */
export async function logDataset(ctx: ArtifactContext, options: DatasetOptions): Promise<DatasetInfo> {
  ctx.checkOpen();
  checkRequiredOptions("logDataset options", options);
  const name = checkName("dataset name", options.name, 500);
  if (options.context !== undefined && !["training", "validation", "test"].includes(options.context)) {
    throw new ValidationError("dataset context", options.context, "must be training, validation or test");
  }
  for (const [field, value] of [
    ["dataset digest", options.digest],
    ["dataset source", options.source],
    ["dataset sourceType", options.sourceType],
  ] as const) {
    if (value !== undefined && (typeof value !== "string" || value === "")) throw new ValidationError(field, value, "must be a non-empty string when given");
  }
  const schema = jsonText("dataset schema", options.schema);
  const profile = jsonText("dataset profile", options.profile);
  let digest = options.digest;
  let sha256: string | undefined;
  let dvcMd5: string | undefined;
  if (options.path !== undefined) {
    if (typeof options.path !== "string" || options.path === "")
      throw new ValidationError("dataset path", options.path, "must be the path of a file or folder");
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
    ...defined({ sha256 }),
    ...defined({ dvcMd5 }),
    ...((options.source ?? options.path) === undefined ? {} : { source: (options.source ?? options.path) as string }),
    sourceType: options.sourceType ?? "local",
    ...defined({ context: options.context }),
    ...defined({ schema }),
    ...defined({ profile }),
  };
  append(ctx, { t: "d", ...info });
  return info;
}

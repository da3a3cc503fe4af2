/**
 * TensorFlow.js integration (`mltrail/tfjs`): a training callback, model save / load through
 * the run's artifacts and the registry, and model signatures. `@tensorflow/tfjs` is an
 * optional peer dependency: this module loads without it and imports it only inside the
 * functions that need it. tfjs-node is not needed (nor used).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Tracker } from "mltrail";
 * import { mltrailCallback, saveModel, loadModel } from "mltrail/tfjs";
 *
 * const tracker = new Tracker({ experiment: "tfjs" });
 * await tracker.withRun({ name: "dense" }, async (run) => {
 *   await model.fit(xs, ys, { epochs: 10, callbacks: [mltrailCallback(run)] });
 *   const saved = await saveModel(run, model, { artifactPath: "model" });
 *   await tracker.registerModel("churn", { runId: run.id, ...saved });
 * });
 * const loaded = await loadModel(tracker, "churn@^1");
 * ```
 *
 * @module mltrail/tfjs
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { StateError, ValidationError, architectureDigestOf, type ModelSignature, type ModelVersion } from "../index.js";
import { callbackOn, type CallbackRun, type MltrailCallback, type MltrailCallbackOptions } from "./tfjs-callback.js";
import { loadTfjs, parseRunsUri } from "./tfjs-artifacts.js";
import { dirLoadHandler, dirSaveHandler, findModelDir, loadCallbackBase } from "./tfjs-io.js";
import { signatureFromModel, type SignatureOptions } from "./tfjs-signature.js";
import type { LayersModelLike } from "./tfjs-types.js";

export type { MltrailCallback, MltrailCallbackOptions, CallbackRun } from "./tfjs-callback.js";
export { signatureFromModel, isGeneratedLayerName } from "./tfjs-signature.js";
export type { SignatureOptions } from "./tfjs-signature.js";
export type { FitParams, LayersModelLike, LogValue, OptimizerLike, SymbolicTensorLike, TfLogs } from "./tfjs-types.js";

/**
 * A TF.js training callback that logs to a run: every value in `logs` (loss, metrics, `val_*`,
 * custom metrics) with step = epoch; with `logEvery: "batch"` or N, batch values as
 * `batch/<key>` with a global batch step; training params; the model summary as the text
 * artifact `model_summary.txt`. Logging is synchronous (`run.logMetrics`); nothing is awaited
 * per batch, and each epoch end lets the event loop turn once (TF.js's `fit` never does), so
 * the run log commits and replication proceeds during training. With a `tf.Callback` the batch values are scalar tensors read with
 * `dataSync()` (free on the CPU backend; one GPU sync per logged batch on WebGL).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Tracker } from "mltrail";
 * import { mltrailCallback } from "mltrail/tfjs";
 *
 * const tracker = new Tracker({ experiment: "tfjs" });
 * await tracker.withRun({ name: "dense" }, async (run) => {
 *   await model.fit(xs, ys, { epochs: 10, batchSize: 32, callbacks: [mltrailCallback(run, { logEvery: 10 })] });
 * });
 * ```
 */
export function mltrailCallback(run: CallbackRun, options: MltrailCallbackOptions = {}): MltrailCallback {
  return callbackOn(run, options, loadCallbackBase());
}

/**
 * What `run.logModel` returns: where the model went and the digest of its files.
 *
 * @example
 * ```ts
 * const logged: LoggedModelLike = { artifactPath: "model", contentDigest: "sha256:9f2c…" };
 * ```
 */
export interface LoggedModelLike {
  /** Folder of the model among the run's artifacts. */
  readonly artifactPath: string;
  /** One digest over all the model's files, `sha256:<hex>`. */
  readonly contentDigest: string;
  /** The digest of the model's topology without weights, when the SDK computed one. */
  readonly architectureDigest?: string;
}

/**
 * The part of a `Run` {@link saveModel} uses: `logModel` from the artifacts API.
 *
 * @example
 * ```ts
 * const run: ModelRun = await tracker.startRun({ name: "train" });
 * ```
 */
export interface ModelRun {
  /** The run id. */
  readonly id: string;
  /** Logs the model folder `dir` among the run's artifacts (`run.logModel`); without it, `saveModel` throws a `StateError`. */
  logModel?(dir: string, options: { readonly artifactPath: string; readonly signature?: ModelSignature; readonly flavor?: string }): Promise<LoggedModelLike>;
}

/**
 * The part of a `Tracker` {@link loadModel} uses: registry resolution and artifact download.
 *
 * @example
 * ```ts
 * const source: ModelSource = new Tracker({ experiment: "serving" });
 * ```
 */
export interface ModelSource {
  /** Resolves a registry reference such as `"churn@^1"` to one model version (`tracker.getModelVersion`). */
  getModelVersion(nameOrRef: string, ref?: string): Promise<ModelVersion>;
  /** Downloads a run's artifact file or folder into `destDir` and returns the local path (`tracker.downloadArtifacts`); without it, `loadModel` throws a `StateError`. */
  downloadArtifacts?(runId: string, artifactPath: string, destDir: string): Promise<string>;
}

/**
 * Options of {@link saveModel}.
 *
 * @example
 * ```ts
 * const options: SaveModelOptions = { artifactPath: "model", signatureOptions: { labels: ["stay", "churn"] } };
 * ```
 */
export interface SaveModelOptions {
  /** Path of the model in the run's artifacts. @default "model" (what `registerModel` assumes) */
  readonly artifactPath?: string;
  /** The signature to record. @default `signatureFromModel(model, signatureOptions)` */
  readonly signature?: ModelSignature;
  /** Options for the inferred signature (names, labels). @default {} */
  readonly signatureOptions?: SignatureOptions;
}

/**
 * What {@link saveModel} returns; spread it into `tracker.registerModel(name, { runId, ...saved })`
 * so the registry gets the files' digest (identical files: no new version) and the signature
 * (a breaking change requires a major release).
 *
 * @example
 * ```ts
 * const saved: SavedModel = { artifactPath: "model", contentDigest: "sha256:9f2c…", architectureDigest: "sha256:77e0…", signature };
 * ```
 */
export interface SavedModel {
  /** Folder of the model among the run's artifacts. */
  readonly artifactPath: string;
  /** One digest over the model's files (`model.json`, `weights.bin`), `sha256:<hex>`. */
  readonly contentDigest: string;
  /** The signature recorded with the model: the given one, or the one inferred from the model. */
  readonly signature: ModelSignature;
  /**
   * The digest of the model's topology (layers, their configs and connections) without its
   * weights ({@link architectureDigestOf} of `model.json`): the registry releases retrained
   * weights of the same architecture as a patch, and a changed architecture as a minor.
   */
  readonly architectureDigest: string;
}

/**
 * Saves a TF.js LayersModel into the run's artifacts: `model.json` + `weights.bin` (the
 * standard TF.js layout, written through a `tf.io` save handler, no tfjs-node needed), logged
 * with `run.logModel` as flavor `tfjs-layers` with its signature. Returns the artifact path,
 * the content digest of the files, the architecture digest of the topology and the signature:
 * released with `registerModel`, the same model retrained (another learning rate, more
 * epochs) is a patch, an extra layer a minor, a changed input a major.
 *
 * @example
 * ```ts
 * const saved = await saveModel(run, model, { artifactPath: "model" });
 * const mv = await tracker.registerModel("churn", { runId: run.id, ...saved, rationale: "first model" });
 * ```
 */
export async function saveModel(run: ModelRun, model: LayersModelLike, options: SaveModelOptions = {}): Promise<SavedModel> {
  const artifactPath = options.artifactPath ?? "model";
  if (typeof artifactPath !== "string" || artifactPath.trim() === "")
    throw new ValidationError("options.artifactPath", artifactPath, "must be a non-empty path");
  if (run === null || typeof run !== "object" || typeof run.logModel !== "function") {
    throw new StateError("saveModel needs run.logModel (the artifacts API of mltrail): this run has none");
  }
  const signature = options.signature ?? signatureFromModel(model, options.signatureOptions);
  const tf = await loadTfjs();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "mltrail-tfjs-save-"));
  try {
    await model.save(dirSaveHandler(tf, dir));
    const logged = await run.logModel(dir, { artifactPath, signature, flavor: "tfjs-layers" });
    const architectureDigest = logged.architectureDigest ?? architectureDigestOf(JSON.parse(await fs.readFile(path.join(dir, "model.json"), "utf8")));
    if (architectureDigest === undefined) throw new StateError("saveModel wrote a model.json without a layers topology");
    return { artifactPath: logged.artifactPath ?? artifactPath, contentDigest: logged.contentDigest, architectureDigest, signature };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Options of {@link loadModel}.
 *
 * @example
 * ```ts
 * const options: LoadModelOptions = { destDir: "./models/churn" };
 * ```
 */
export interface LoadModelOptions {
  /** Keep the downloaded files here. @default a temporary directory, removed once the model is loaded */
  readonly destDir?: string;
}

/**
 * Loads a registered model version back into TF.js: resolves `name@range|alias|version` in the
 * registry, downloads its files (`runs:/<runId>/<path>`) from the run's artifacts (local store
 * or tracking server) and loads them with `tf.loadLayersModel` through a file-reading IOHandler
 * (no tfjs-node). The type parameter narrows the result, e.g. `loadModel<tf.LayersModel>(…)`.
 *
 * @example
 * ```ts
 * import type * as tf from "@tensorflow/tfjs";
 * const model = await loadModel<tf.LayersModel>(tracker, "churn@^1");
 * const p = model.predict(tf.tensor2d([[0.1, 0.2, 0.3, 0.4]]));
 * ```
 */
export async function loadModel<M extends LayersModelLike = LayersModelLike>(tracker: ModelSource, ref: string, options: LoadModelOptions = {}): Promise<M> {
  if (tracker === null || typeof tracker !== "object" || typeof tracker.downloadArtifacts !== "function") {
    throw new StateError("loadModel needs tracker.downloadArtifacts (the artifacts API of mltrail): this tracker has none");
  }
  const mv = await tracker.getModelVersion(ref);
  const parsed = parseRunsUri(mv.source);
  if (parsed === undefined)
    throw new ValidationError(
      `model version ${mv.name}@${mv.version} source`,
      mv.source,
      "must be a runs:/<runId>/<artifactPath> URI to be loaded by loadModel",
    );
  const tf = await loadTfjs();
  const dest = options.destDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), "mltrail-tfjs-load-")));
  try {
    const local = await tracker.downloadArtifacts(parsed.runId, parsed.artifactPath, dest);
    const dir = await findModelDir(local, parsed.artifactPath);
    return (await tf.loadLayersModel(dirLoadHandler(tf, dir))) as unknown as M;
  } finally {
    if (options.destDir === undefined) await fs.rm(dest, { recursive: true, force: true });
  }
}

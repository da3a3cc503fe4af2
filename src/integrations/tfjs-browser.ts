/**
 * TensorFlow.js integration in the browser (`mltrail/tfjs` under the `browser` export
 * condition): the same training callback as in Node, on the browser `Run` of `mltrail/browser`,
 * and `loadModel`, which reads a model's `model.json` and weights from the tracking server
 * (MLflow's `get-artifact` endpoint, which serves any artifact store the server reaches) into
 * TF.js through a `tf.io` IOHandler. Saving a model from a page is not offered: train in the
 * page, log metrics; release models from Node.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Tracker } from "mltrail/browser";
 * import { mltrailCallback, loadModel } from "mltrail/tfjs";
 *
 * const tracker = new Tracker({ trackingUri: "https://mlflow.example.com", experiment: "in-browser" });
 * await tracker.withRun({ name: "dense" }, async (run) => {
 *   await model.fit(xs, ys, { epochs: 10, callbacks: [mltrailCallback(run)] });
 * });
 * const served = await loadModel<tf.LayersModel>(tracker, "churn@^1");
 * ```
 *
 * @module mltrail/tfjs (browser)
 */
import * as tf from "@tensorflow/tfjs";
import { StateError, ValidationError } from "../errors.js";
import { createFetchHttpClient, type FetchHttpClient } from "../remote/fetch-http.js";
import type { HttpAuth } from "../remote/http-types.js";
import { modelLoadHandler, parseRunsUri } from "./tfjs-artifacts.js";
import { callbackOn, type CallbackRun, type MltrailCallback, type MltrailCallbackOptions } from "./tfjs-callback.js";
import type { LayersModelLike } from "./tfjs-types.js";

export type { MltrailCallback, MltrailCallbackOptions, CallbackRun } from "./tfjs-callback.js";
export { signatureFromModel, isGeneratedLayerName } from "./tfjs-signature.js";
export type { SignatureOptions } from "./tfjs-signature.js";
export type { FitParams, LayersModelLike, LogValue, OptimizerLike, SymbolicTensorLike, TfLogs } from "./tfjs-types.js";

/**
 * A TF.js training callback that logs to a browser run: the same as Node's `mltrailCallback`
 * (epoch values with step = epoch, batch values per `logEvery`, training params, the model
 * summary when the run can write text). It is a `tf.Callback`, so TF.js hands it the model.
 *
 * @example
 * ```ts
 * await model.fit(xs, ys, { epochs: 5, callbacks: [mltrailCallback(run, { logEvery: "batch" })] });
 * ```
 */
export function mltrailCallback(run: CallbackRun, options: MltrailCallbackOptions = {}): MltrailCallback {
  return callbackOn(run, options, tf.Callback as unknown as new () => object);
}

/**
 * What {@link loadModel} needs of a browser `Tracker`: registry resolution, and where the
 * server is (`tracker.options`). Credentials are read from there when the call is made, never
 * stored.
 *
 * @example
 * ```ts
 * const source: BrowserModelSource = new Tracker({ trackingUri, experiment: "serving" });
 * ```
 */
export interface BrowserModelSource {
  /** Resolves `"name@range"`, `"name@alias"` or `"name@1.2.0"` to a version whose `source` is `runs:/<runId>/<path>`. Not needed for a `runs:/` reference. */
  getModelVersion?(ref: string): Promise<{ readonly name: string; readonly version: string; readonly source: string }>;
  /** The tracker's options: its `trackingUri` and `auth` reach the server. */
  readonly options?: { readonly trackingUri: string; readonly auth?: HttpAuth };
}

/**
 * Options of {@link loadModel}.
 * @example `{ trackingUri: "https://mlflow.example.com", auth: { token } }`
 */
export interface BrowserLoadModelOptions {
  /** The tracking server. @default the source's `options.trackingUri` */
  readonly trackingUri?: string;
  /** Credentials (token, headers, header provider). @default the source's `options.auth` */
  readonly auth?: HttpAuth;
  /** Timeout of each file download, ms. @default 60000 */
  readonly timeoutMs?: number;
}

function checkRelative(name: string): string {
  const parts = name.split("/");
  if (name.startsWith("/") || parts.some((p) => p === ".." || p === "")) throw new StateError(`model.json names a weights file outside its directory: ${name}`);
  return name;
}

/**
 * Loads a TF.js LayersModel from the tracking server into the page: `ref` is a registry
 * reference (`"churn@^1"`, resolved with `source.getModelVersion`) or `runs:/<runId>/<path>`.
 * Reads `<path>/model.json` and the weight files it names through the server's `get-artifact`
 * endpoint (so the server needs the page's origin in `--cors-allowed-origins`), and returns
 * `tf.loadLayersModel` of them. The type parameter narrows the result.
 *
 * @throws ValidationError for a reference without a `runs:/` source or a missing tracking URI;
 *   ApiError / ConnectionError from the server (404: no model files at that path).
 * @example
 * ```ts
 * const model = await loadModel<tf.LayersModel>(tracker, "churn@^1");
 * const p = model.predict(tf.tensor2d([[0.1, 0.2, 0.3, 0.4]]));
 * ```
 */
export async function loadModel<M extends LayersModelLike = LayersModelLike>(
  source: BrowserModelSource,
  ref: string,
  options: BrowserLoadModelOptions = {},
): Promise<M> {
  if (typeof ref !== "string" || ref.trim() === "") throw new ValidationError("ref", ref, 'must be "name@range" or "runs:/<runId>/<path>"');
  let runsUri = ref;
  if (!ref.startsWith("runs:/")) {
    if (typeof source?.getModelVersion !== "function") throw new StateError("loadModel needs source.getModelVersion to resolve a registry reference");
    const mv = await source.getModelVersion(ref);
    runsUri = mv.source;
  }
  const parsed = parseRunsUri(runsUri);
  if (parsed === undefined) throw new ValidationError("model version source", runsUri, "must be a runs:/<runId>/<artifactPath> URI to be loaded by loadModel");
  const trackingUri = options.trackingUri ?? source?.options?.trackingUri;
  if (trackingUri === undefined) throw new ValidationError("options.trackingUri", trackingUri, "is needed when the source has no options.trackingUri");
  const auth = options.auth ?? source?.options?.auth ?? {};
  const http: FetchHttpClient = createFetchHttpClient({ ...auth, trackingUri, timeoutMs: options.timeoutMs ?? 60_000 });
  const read = async (name: string): Promise<Uint8Array> => {
    const query = { run_uuid: parsed.runId, path: `${parsed.artifactPath}/${checkRelative(name)}` };
    return (await http.getBytes("/get-artifact", { query })).body;
  };
  return (await tf.loadLayersModel(modelLoadHandler(tf, read))) as unknown as M;
}

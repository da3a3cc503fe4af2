/**
 * TF.js model files on disk without tfjs-node (Node only): a save handler that writes
 * `model.json` + `weights.bin` (the standard TF.js layout) and a load handler that reads them
 * back, and `tf.Callback` found through `require`.
 *
 * @internal
 * @packageDocumentation
 */
import * as fs from "node:fs/promises";
import { createRequire } from "node:module";
import * as path from "node:path";
import type * as TF from "@tensorflow/tfjs";
import { StateError } from "../index.js";
import { joinWeights, modelLoadHandler, WEIGHTS_FILE, type Tfjs } from "./tfjs-artifacts.js";
import { defined } from "../internal/defined.js";
import type { CallbackBase } from "./tfjs-callback.js";

/** An IOHandler (for `model.save`) writing `model.json` and `weights.bin` into `dir`. */
export function dirSaveHandler(tf: Tfjs, dir: string): TF.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    if (artifacts.modelTopology instanceof ArrayBuffer) throw new StateError("saveModel supports LayersModels (JSON topology), not GraphModels");
    const weights = joinWeights(artifacts.weightData);
    const modelJson: TF.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as object,
      ...defined({ format: artifacts.format }),
      ...defined({ generatedBy: artifacts.generatedBy }),
      ...(artifacts.convertedBy == null ? {} : { convertedBy: artifacts.convertedBy }),
      ...defined({ trainingConfig: artifacts.trainingConfig }),
      ...defined({ userDefinedMetadata: artifacts.userDefinedMetadata }),
      weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
    };
    const json = JSON.stringify(modelJson);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, "model.json"), json);
    await fs.writeFile(path.join(dir, WEIGHTS_FILE), weights);
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: "JSON",
        modelTopologyBytes: Buffer.byteLength(JSON.stringify(artifacts.modelTopology)),
        weightSpecsBytes: Buffer.byteLength(JSON.stringify(artifacts.weightSpecs ?? [])),
        weightDataBytes: weights.byteLength,
      },
    };
  });
}

/** An IOHandler (for `tf.loadLayersModel`) reading `model.json` and its weight files from `dir`. */
export function dirLoadHandler(tf: Tfjs, dir: string): TF.io.IOHandler {
  return modelLoadHandler(tf, async (name) => {
    const file = path.resolve(dir, name);
    if (path.relative(dir, file).startsWith("..")) throw new StateError(`model.json names a weights file outside its directory: ${name}`);
    return fs.readFile(file);
  });
}

/** The directory holding `model.json` at or under `local` (what a download returned). */
export async function findModelDir(local: string, artifactPath: string): Promise<string> {
  const candidates = [local, path.join(local, path.basename(artifactPath)), path.join(local, artifactPath), path.dirname(local)];
  for (const dir of candidates) {
    const ok = await fs
      .stat(path.join(dir, "model.json"))
      .then((s) => s.isFile())
      .catch(() => false);
    if (ok) return dir;
  }
  throw new StateError(`no model.json found in the downloaded artifacts at ${local}`);
}

let callbackBase: CallbackBase | null | undefined;

/** `tf.Callback` when `@tensorflow/tfjs` can be required synchronously (Node), else null. */
export function loadCallbackBase(): CallbackBase | null {
  if (callbackBase !== undefined) return callbackBase;
  callbackBase = null;
  try {
    const req = typeof require === "function" ? require : createRequire(import.meta.url);
    const tf = req("@tensorflow/tfjs") as { Callback?: CallbackBase };
    if (typeof tf.Callback === "function") callbackBase = tf.Callback;
  } catch {
    // Not installed, or no synchronous loader here: the plain-object callback is used.
  }
  return callbackBase;
}

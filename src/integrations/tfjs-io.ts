/**
 * TF.js model files on disk without tfjs-node: a save handler that writes `model.json` +
 * `weights.bin` (the standard TF.js layout) and a load handler that reads them back.
 *
 * @internal
 * @packageDocumentation
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type * as TF from "@tensorflow/tfjs";
import { StateError } from "../index.js";
import { defined } from "../internal/defined.js";

/** The `@tensorflow/tfjs` module. */
export type Tfjs = typeof TF;

/** Name of the weights file written next to `model.json`. */
export const WEIGHTS_FILE = "weights.bin";

/** Loads `@tensorflow/tfjs` (the optional peer dependency) or says how to get it. */
export async function loadTfjs(): Promise<Tfjs> {
  try {
    const mod = (await import("@tensorflow/tfjs")) as Tfjs & { default?: Tfjs };
    return typeof mod.loadLayersModel === "function" ? mod : (mod.default ?? mod);
  } catch (err) {
    throw new StateError(`mltrail/tfjs needs @tensorflow/tfjs: install it (npm install @tensorflow/tfjs): ${(err as Error).message}`);
  }
}

function joinWeights(data: TF.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (!Array.isArray(data)) return new Uint8Array(data);
  const total = data.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out;
}

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
  return {
    load: async () => {
      const modelJson = JSON.parse(await fs.readFile(path.join(dir, "model.json"), "utf8")) as TF.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: TF.io.WeightsManifestEntry[] = [];
        const buffers: Uint8Array[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const file = path.resolve(dir, p);
            if (path.relative(dir, file).startsWith("..")) throw new StateError(`model.json names a weights file outside its directory: ${p}`);
            buffers.push(await fs.readFile(file));
          }
        }
        const joined = joinWeights(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
        return [specs, joined.buffer as ArrayBuffer];
      });
    },
  };
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

/** `runs:/<runId>/<artifactPath>` → its parts. @internal */
export function parseRunsUri(source: string): { runId: string; artifactPath: string } | undefined {
  const m = /^runs:\/+([^/]+)\/(.+)$/.exec(source);
  return m === null ? undefined : { runId: m[1] as string, artifactPath: (m[2] as string).replace(/\/+$/, "") };
}

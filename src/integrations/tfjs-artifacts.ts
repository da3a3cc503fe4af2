/**
 * The node-free part of TF.js model files, shared by the Node entry (files on disk) and the
 * browser entry (files fetched from the server): loading `@tensorflow/tfjs`, joining weight
 * buffers, a load IOHandler over any file reader, and `runs:/` URIs.
 *
 * @internal
 * @packageDocumentation
 */
import type * as TF from "@tensorflow/tfjs";
import { StateError } from "../errors.js";

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

/** One buffer of TF.js weight data (one buffer or several). */
export function joinWeights(data: TF.io.WeightData | undefined): Uint8Array {
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

/**
 * An IOHandler (for `tf.loadLayersModel`) reading `model.json` and the weight files its
 * manifest names through `read` (a name relative to the model's folder, `./` removed).
 */
export function modelLoadHandler(tf: Tfjs, read: (name: string) => Promise<Uint8Array>): TF.io.IOHandler {
  return {
    load: async () => {
      const modelJson = JSON.parse(new TextDecoder().decode(await read("model.json"))) as TF.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: TF.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const b = await read(p.replace(/^(\.\/)+/, ""));
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
        }
        return [specs, joinWeights(buffers).buffer as ArrayBuffer];
      });
    },
  };
}

/** `runs:/<runId>/<artifactPath>` → its parts. @internal */
export function parseRunsUri(source: string): { runId: string; artifactPath: string } | undefined {
  const m = /^runs:\/+([^/]+)\/(.+)$/.exec(source);
  return m === null ? undefined : { runId: m[1] as string, artifactPath: (m[2] as string).replace(/\/+$/, "") };
}

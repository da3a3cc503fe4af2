/**
 * Adapts a TensorFlow.js model to the explainers' `predict` contract. `@tensorflow/tfjs` is
 * imported lazily, so `mltrail/explain` loads without it.
 */
import { StateError, ValidationError } from "../index.js";
import type { PredictFn } from "./validate.js";

/** The part of a TF.js tensor the adapter uses. */
export interface TensorLike {
  /** The values as nested arrays. */
  array(): Promise<unknown>;
  /** Frees the tensor's memory. */
  dispose(): void;
}

/** The part of a TF.js `LayersModel` / `GraphModel` the adapter uses: `predict(tensor) → tensor`. */
export interface PredictingModelLike {
  /** One output tensor for an input tensor. */
  predict(x: never): unknown;
}

interface TfjsMin {
  tensor2d(values: number[][]): TensorLike;
}

async function loadTfjs(): Promise<TfjsMin> {
  try {
    const mod = (await import("@tensorflow/tfjs")) as unknown as TfjsMin & { default?: TfjsMin };
    return typeof mod.tensor2d === "function" ? mod : (mod.default ?? mod);
  } catch (err) {
    throw new StateError(`tfjsPredict needs @tensorflow/tfjs: install it (npm install @tensorflow/tfjs): ${(err as Error).message}`);
  }
}

/**
 * A `predict` function over a TF.js model: each batch becomes one 2-D tensor and one
 * `model.predict` call (split into chunks of `batchSize` rows), and the tensors are disposed.
 *
 * @param model - A single-input, single-output TF.js model.
 * @param options - `batchSize`: most rows per `model.predict` call. @default 8192
 * @example
 * ```ts
 * const e = await kernelShap(tfjsPredict(model), rows, { background });
 * ```
 */
export function tfjsPredict(model: PredictingModelLike, options: { readonly batchSize?: number } = {}): PredictFn {
  if (model === null || typeof model !== "object" || typeof model.predict !== "function")
    throw new ValidationError("model", model, "must be a TF.js model with predict(tensor)");
  const size = options.batchSize ?? 8192;
  if (!Number.isInteger(size) || size < 1) throw new ValidationError("options.batchSize", size, "must be an integer >= 1");
  return async (batch) => {
    const tf = await loadTfjs();
    const out: number[][] = [];
    for (let at = 0; at < batch.length; at += size) {
      const input = tf.tensor2d(batch.slice(at, at + size));
      let result: unknown;
      try {
        result = (model.predict as (x: TensorLike) => unknown)(input);
      } finally {
        input.dispose();
      }
      if (result === null || typeof result !== "object" || typeof (result as TensorLike).array !== "function") {
        throw new ValidationError("model.predict result", result, "must be one tensor (multi-output models: wrap predict yourself)");
      }
      const tensor = result as TensorLike;
      try {
        out.push(...((await tensor.array()) as number[][]));
      } finally {
        tensor.dispose();
      }
    }
    return out;
  };
}

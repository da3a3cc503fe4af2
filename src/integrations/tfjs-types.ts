/**
 * Structural types for the TensorFlow.js objects the integration touches. They describe only
 * what mltrail reads, so `@tensorflow/tfjs` (an optional peer dependency) is never needed to
 * type-check or load this module: a real `tf.LayersModel` satisfies {@link LayersModelLike}.
 *
 * @packageDocumentation
 */

/**
 * A value in the `logs` TF.js hands to callbacks: a number, or a scalar tensor (read with
 * `dataSync()`) when the callback is a `tf.Callback` subclass.
 *
 * @example
 * ```ts
 * const v: LogValue = 0.25;
 * ```
 */
export type LogValue =
  | number
  | {
      /** Reads the tensor's values synchronously; mltrail logs the first one when it is a number. */
      dataSync(): ArrayLike<number | string> | Uint8Array;
    };

/**
 * The `logs` object TF.js passes to `onEpochEnd` / `onBatchEnd` (`loss`, `acc`, `val_*`, custom
 * metrics; batch logs also carry `batch` and `size`, which are not metrics).
 *
 * @example
 * ```ts
 * const logs: TfLogs = { loss: 0.31, acc: 0.9, val_loss: 0.35 };
 * ```
 */
export interface TfLogs {
  readonly [key: string]: LogValue | undefined;
}

/**
 * A symbolic tensor of a model's inputs or outputs (`model.inputs[i]`).
 *
 * @example
 * ```ts
 * const t: SymbolicTensorLike = { name: "features", dtype: "float32", shape: [null, 4] };
 * ```
 */
export interface SymbolicTensorLike {
  /** TF.js's name of the tensor, `<layer name>/<op>`, e.g. `"dense_Dense1/BiasAdd"`. */
  readonly name: string;
  /** Element type, e.g. `"float32"`, `"int32"`. */
  readonly dtype: string;
  /** Dimensions; `null` for the batch dimension and any other variable-size one. */
  readonly shape: readonly (number | null)[];
}

/**
 * The optimizer of a compiled model (`model.optimizer`).
 *
 * @example
 * ```ts
 * const opt: OptimizerLike = { getClassName: () => "Adam", getConfig: () => ({ learningRate: 0.01 }) };
 * ```
 */
export interface OptimizerLike {
  /** The optimizer's class name, logged as the param `optimizer`, e.g. `"Adam"`. */
  getClassName?(): string;
  /** The optimizer's settings; its `learningRate` is logged as the param `learning_rate`. */
  getConfig?(): object;
}

/**
 * What mltrail reads from a TF.js `LayersModel` (`tf.sequential()`, `tf.model()`,
 * `tf.loadLayersModel()`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * const model: LayersModelLike = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 1 })] });
 * ```
 */
export interface LayersModelLike {
  /** The model's input tensors, in order; they make the signature's inputs. */
  readonly inputs: readonly SymbolicTensorLike[];
  /** The model's output tensors, in order; they make the signature's outputs. */
  readonly outputs: readonly SymbolicTensorLike[];
  /** Names of the input layers, in order. */
  readonly inputNames?: readonly string[];
  /** Names of the output layers, in order. */
  readonly outputNames?: readonly string[];
  /** The model's layers; their count (input layers excluded) is logged as the param `layers`. */
  readonly layers: readonly unknown[];
  /** Set once the model is compiled. */
  readonly optimizer?: OptimizerLike | undefined;
  /** Total number of weights (trainable or not), logged as the param `total_params`. */
  countParams(): number;
  /** Prints the layer table through `printFn`, one line per call; mltrail keeps it as `model_summary.txt`. */
  summary(lineLength?: number, positions?: number[], printFn?: (message?: string) => void): void;
  /** Saves the model through a `tf.io` IOHandler or to a URL (`saveModel` passes a handler writing `model.json` + `weights.bin`). */
  save(handlerOrUrl: object | string): Promise<unknown>;
}

/**
 * The training parameters TF.js gives callbacks through `setParams` (`epochs`, `batchSize`,
 * `steps` per epoch, `samples`; `batchSize` and `samples` are null in `fitDataset`).
 *
 * @example
 * ```ts
 * const p: FitParams = { epochs: 10, batchSize: 32, steps: 4, samples: 128 };
 * ```
 */
export interface FitParams {
  /** Number of epochs of the fit; logged as the param `epochs`. */
  readonly epochs?: number | null;
  /** Samples per batch; logged as the param `batch_size`. `null` in `fitDataset`. */
  readonly batchSize?: number | null;
  /** Batches per epoch, when known (`batchesPerEpoch` of `fitDataset`); `null` or absent in `fit`. */
  readonly steps?: number | null;
  /** Number of training samples. `null` in `fitDataset`. */
  readonly samples?: number | null;
  /** Epoch the fit starts at (`initialEpoch` of `fit`): TF.js numbers epochs from it, and so do the steps of epoch metrics. `null` in `fitDataset`. */
  readonly initialEpoch?: number | null;
  readonly [key: string]: unknown;
}

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
export type LogValue = number | { dataSync(): ArrayLike<number | string> | Uint8Array };

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
  readonly name: string;
  readonly dtype: string;
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
  getClassName?(): string;
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
  readonly inputs: readonly SymbolicTensorLike[];
  readonly outputs: readonly SymbolicTensorLike[];
  /** Names of the input layers, in order. */
  readonly inputNames?: readonly string[];
  /** Names of the output layers, in order. */
  readonly outputNames?: readonly string[];
  readonly layers: readonly unknown[];
  /** Set once the model is compiled. */
  readonly optimizer?: OptimizerLike | undefined;
  countParams(): number;
  summary(lineLength?: number, positions?: number[], printFn?: (message?: string) => void): void;
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
  readonly epochs?: number | null;
  readonly batchSize?: number | null;
  readonly steps?: number | null;
  readonly samples?: number | null;
  readonly initialEpoch?: number | null;
  readonly [key: string]: unknown;
}

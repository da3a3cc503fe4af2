/**
 * A registry signature from a TF.js LayersModel's inputs and outputs. Pure: no TF.js needed.
 *
 * @packageDocumentation
 */
import { ValidationError } from "../errors.js";
import type { ModelSignature, TensorSpec } from "../registry/signature.js";
import type { LayersModelLike, SymbolicTensorLike } from "./tfjs-types.js";

/**
 * Options of {@link signatureFromModel}.
 *
 * @example
 * ```ts
 * const options: SignatureOptions = { inputNames: ["features"], outputNames: ["churn"], labels: ["stay", "churn"] };
 * ```
 */
export interface SignatureOptions {
  /** Names for the inputs, in order, instead of the model's. @default the input layers' names (see {@link signatureFromModel}) */
  readonly inputNames?: readonly string[];
  /** Names for the outputs, in order, instead of the model's. @default the output layers' names (see {@link signatureFromModel}) */
  readonly outputNames?: readonly string[];
  /** The classifier's output labels, in index order. @default none */
  readonly labels?: readonly string[];
}

/**
 * True for a layer name TF.js made up: `dense_Dense3`, `conv2d_Conv2D1`, `input2`, and the
 * `<layer>_input` a Sequential model derives from one. These count up per process, so they
 * would make every rebuilt model look like a new signature.
 *
 * @example
 * ```ts
 * isGeneratedLayerName("dense_Dense3"); // true
 * isGeneratedLayerName("dense_Dense3_input"); // true
 * isGeneratedLayerName("features"); // false
 * ```
 */
export function isGeneratedLayerName(name: string): boolean {
  const base = name.endsWith("_input") ? name.slice(0, -"_input".length) : name;
  if (/^input\d+$/.test(base)) return true;
  const m = /^([a-z0-9_]+)_([A-Za-z][A-Za-z0-9]*?)(\d+)$/.exec(base);
  return m !== null && (m[1] as string).replace(/_/g, "") === (m[2] as string).toLowerCase();
}

function specs(
  side: "input" | "output",
  tensors: readonly SymbolicTensorLike[],
  layerNames: readonly string[] | undefined,
  given: readonly string[] | undefined,
): TensorSpec[] {
  if (given !== undefined && given.length !== tensors.length) {
    throw new ValidationError(`options.${side}Names`, given, `must name all ${tensors.length} ${side}s of the model, in order`);
  }
  return tensors.map((t, i) => {
    const own = layerNames?.[i] ?? t.name.split("/")[0] ?? t.name;
    const name = given?.[i] ?? (isGeneratedLayerName(own) ? `${side}_${i}` : own);
    return { name, dtype: t.dtype, shape: t.shape.map((d) => (d === null || d < 0 ? null : d)) };
  });
}

/**
 * The registry signature of a TF.js LayersModel: one {@link TensorSpec} per input and output
 * with its dtype and shape (`null` for the batch dimension and any other variable one). Pass
 * it to `tracker.registerModel(name, { signature })` and the registry infers breaking changes
 * (a changed input shape requires a major release).
 *
 * Names are the input and output layers' names when you chose them (`tf.input({ name })`,
 * `tf.layers.dense({ name })`); names TF.js generated (`dense_Dense1`), which differ each time
 * a model is rebuilt, become positional: `input_0`, `output_0`, …
 *
 * @example
 * ```ts
 * const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 1 })] });
 * signatureFromModel(model);
 * // { inputs: [{ name: "input_0", dtype: "float32", shape: [null, 4] }],
 * //   outputs: [{ name: "output_0", dtype: "float32", shape: [null, 1] }] }
 * ```
 */
export function signatureFromModel(model: LayersModelLike, options: SignatureOptions = {}): ModelSignature {
  if (model === null || typeof model !== "object" || !Array.isArray(model.inputs) || !Array.isArray(model.outputs)) {
    throw new ValidationError("model", model, "must be a TF.js LayersModel (with inputs and outputs)");
  }
  const signature: ModelSignature = {
    inputs: specs("input", model.inputs, model.inputNames, options.inputNames),
    outputs: specs("output", model.outputs, model.outputNames, options.outputNames),
  };
  return options.labels === undefined ? signature : { ...signature, labels: [...options.labels] };
}

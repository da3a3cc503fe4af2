/**
 * `mltrail/explain`: model-agnostic explanations of any `predict(batch)` function (a TF.js
 * model through `tfjsPredict`): Kernel SHAP attributions and permutation importance, seeded
 * and reproducible. The core package never imports this entry.
 *
 * @example
 * ```ts
 * import { kernelShap, permutationImportance, tfjsPredict } from "mltrail/explain";
 *
 * const predict = tfjsPredict(model);
 * const shap = await kernelShap(predict, test.slice(0, 100), { background: train.slice(0, 50), featureNames, seed: 1 });
 * const perm = await permutationImportance(predict, test, yTest, { metric: "mse", nRepeats: 5, featureNames });
 * ```
 *
 * @packageDocumentation
 */
export { kernelShap } from "./kernel-shap.js";
export type { KernelShapOptions, ShapExplanation } from "./kernel-shap.js";
export { permutationImportance } from "./permutation.js";
export type { MetricFn, MetricName, PermutationImportance, PermutationImportanceOptions } from "./permutation.js";
export { tfjsPredict } from "./tfjs.js";
export type { PredictingModelLike, TensorLike } from "./tfjs.js";
export type { PredictFn } from "./validate.js";
export { logExplanation, loadExplanation, globalImportance, explanationPath, EXPLANATION_FORMAT } from "./log.js";
export type { Explanation, StoredExplanation, ExplanationRun, ExplanationSource, LogExplanationOptions, LoggedExplanation, ReleaseLike } from "./log.js";
export { compareExplanations, compareReleaseExplanations } from "./compare.js";
export { compareImportances } from "../index.js";
export type { CompareExplanationsOptions, ExplanationDiff, ExplanationFlag, FeatureChange } from "../index.js";

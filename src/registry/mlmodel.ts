/**
 * The `MLmodel` file written next to a logged model, in MLflow's format, so MLflow's UI and
 * clients (`mlflow.models.Model.load`, `get_model_info`) see the model's signature:
 *
 * ```yaml
 * artifact_path: model
 * flavors:
 *   mltrail: { flavor: tfjs-layers, content_digest: "sha256:…", labels: [stay, churn] }
 * model_uuid: 0f9c…
 * utc_time_created: '2026-12-02 09:07:44.859000'
 * signature:
 *   inputs: '[{"name": "age", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]'
 *   outputs: '[…]'
 * ```
 *
 * Each input and output is an MLflow tensor spec: the dtype as a NumPy dtype name (unknown
 * dtypes become `object`), `null` dimensions as `-1` and an undeclared shape as `[-1]`. Pure.
 *
 * @packageDocumentation
 */
import { randomUUID } from "node:crypto";
import { stringify } from "yaml";
import type { ModelSignature, TensorSpec } from "./signature.js";

const NUMPY_DTYPES = new Set([
  "bool",
  "int8",
  "int16",
  "int32",
  "int64",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "float16",
  "float32",
  "float64",
  "complex64",
  "complex128",
  "str",
  "bytes",
  "object",
]);
const DTYPE_ALIASES: Readonly<Record<string, string>> = { string: "str", boolean: "bool", float: "float32", double: "float64", int: "int32", long: "int64" };

/** A dtype name NumPy (and so MLflow) understands. */
function numpyDtype(dtype: string): string {
  const d = DTYPE_ALIASES[dtype] ?? dtype;
  return NUMPY_DTYPES.has(d) ? d : "object";
}

/** One spec list as MLflow's schema JSON, or null when empty (MLflow refuses an empty schema). */
function schemaJson(specs: readonly TensorSpec[]): string | null {
  if (specs.length === 0) return null;
  return JSON.stringify(
    specs.map((s) => ({ name: s.name, type: "tensor", "tensor-spec": { dtype: numpyDtype(s.dtype), shape: (s.shape ?? [null]).map((d) => d ?? -1) } })),
  );
}

/** MLflow's `utc_time_created`: `YYYY-MM-DD HH:MM:SS.ffffff` in UTC. */
function utcText(ms: number): string {
  return `${new Date(ms).toISOString().replace("T", " ").replace("Z", "")}000`;
}

/**
 * The text of an `MLmodel` file for a model logged at `artifactPath`.
 * @example `mlmodelText({ artifactPath: "model", flavor: "onnx", contentDigest, signature, now: Date.now() })`
 */
export function mlmodelText(model: {
  readonly artifactPath: string;
  readonly flavor: string;
  readonly contentDigest: string;
  readonly signature: ModelSignature | undefined;
  readonly now: number;
}): string {
  const { signature } = model;
  const labels = signature?.labels ?? [];
  return stringify({
    artifact_path: model.artifactPath,
    flavors: { mltrail: { flavor: model.flavor, content_digest: model.contentDigest, ...(labels.length === 0 ? {} : { labels: [...labels] }) } },
    model_uuid: randomUUID().replace(/-/g, ""),
    utc_time_created: utcText(model.now),
    ...(signature === undefined || signature.inputs.length === 0
      ? {}
      : { signature: { inputs: schemaJson(signature.inputs), outputs: schemaJson(signature.outputs), params: null } }),
  });
}

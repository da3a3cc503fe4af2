/**
 * The architecture digest of a model: a digest of its topology (layers, their configs and
 * connections) without its weights, so that a retrained model with the same architecture
 * can be told apart from a new architecture (README, "Model releases with semantic versions", rule 2). Pure: the
 * caller reads the file.
 *
 * @packageDocumentation
 */
import { createHash } from "node:crypto";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Top-level keys of a topology that describe the tooling or training, not the architecture. */
const NOT_ARCHITECTURE = new Set(["keras_version", "backend", "training_config", "compile_config", "trainingConfig"]);
/** Keys inside which a string may name a layer. */
const REFERENCES = new Set(["name", "inbound_nodes", "input_layers", "output_layers", "keras_history"]);
/** Layer config keys that only shape training (the starting weights, their updates), not what the model computes. */
const TRAINING_ONLY = /(_initializer|_regularizer|_constraint)$|^trainable$/;

function isObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The Keras-style topology inside a TF.js `model.json` or a Keras JSON config, or undefined. */
function topologyOf(json: unknown): { [key: string]: Json } | undefined {
  if (!isObject(json)) return undefined;
  if ("modelTopology" in json) {
    if (json["format"] === "graph-model") return undefined; // a GraphDef: node names come from the converter
    return topologyOf(json["modelTopology"]);
  }
  if (isObject(json["model_config"])) return topologyOf(json["model_config"]);
  return typeof json["class_name"] === "string" && isObject(json["config"]) ? json : undefined;
}

/** Every layer name, in order of first appearance (depth first), mapped to a positional id. */
function layerIds(topology: Json): Map<string, string> {
  const ids = new Map<string, string>();
  const add = (name: Json | undefined): void => {
    if (typeof name === "string" && !ids.has(name)) ids.set(name, `#${ids.size}`);
  };
  const walk = (v: Json): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    if (!isObject(v)) return;
    const layers = v["layers"];
    if (Array.isArray(layers)) {
      for (const layer of layers) {
        if (!isObject(layer)) continue;
        add(layer["name"]);
        if (isObject(layer["config"])) add(layer["config"]["name"]);
      }
    }
    Object.values(v).forEach(walk);
  };
  walk(topology);
  return ids;
}

function canonical(v: Json, ids: ReadonlyMap<string, string>, inReference: boolean): Json {
  if (typeof v === "string") return inReference ? (ids.get(v) ?? v) : v;
  if (Array.isArray(v)) return v.map((x) => canonical(x, ids, inReference));
  if (!isObject(v)) return v;
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(v).sort()) {
    if (TRAINING_ONLY.test(key)) continue;
    out[key] = canonical(v[key] as Json, ids, inReference || REFERENCES.has(key));
  }
  return out;
}

/**
 * The architecture digest (`sha256:<hex>`) of a Keras-style model topology: a TF.js
 * LayersModel's `model.json` (what `saveModel` writes; its `weightsManifest` and weight files
 * are left out), a Keras `model.to_json()` or a Keras 3 `config.json`. `undefined` for
 * anything else (a TF.js GraphModel, an unknown layout): then pass `architectureDigest` to
 * `registerModel` yourself.
 *
 * Two models built the same way have the same digest, whatever they were trained with: layer
 * names are replaced by their position (TF.js counts generated names up per process:
 * `dense_Dense1`, `dense_Dense3`), the model's own name, the tool versions, the training
 * config, initializers, regularizers, constraints and `trainable` are left out. Layer
 * classes, their other configs (units, activation, shapes, dtypes…) and the connections
 * between layers are in.
 *
 * @param modelJson - The parsed JSON file.
 * @example
 * ```ts
 * const digest = architectureDigestOf(JSON.parse(fs.readFileSync("model/model.json", "utf8")));
 * await tracker.registerModel("churn", { runId, contentDigest, architectureDigest: digest });
 * ```
 */
export function architectureDigestOf(modelJson: unknown): string | undefined {
  const topology = topologyOf(modelJson);
  if (topology === undefined) return undefined;
  const kept: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(topology)) {
    if (NOT_ARCHITECTURE.has(key)) continue;
    if (key === "config" && isObject(value)) {
      const { name: _modelName, ...rest } = value; // the model's own name (`sequential_1`) is not its architecture
      kept[key] = rest;
    } else kept[key] = value;
  }
  const text = JSON.stringify(canonical(kept, layerIds(kept), false));
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

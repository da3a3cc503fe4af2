/**
 * The architecture digest (src/registry/architecture.ts, src/artifacts/architecture.ts): equal
 * for models built the same way (whatever TF.js named their layers, whatever they were
 * trained with), different when a layer, a layer's config or a connection changes; read
 * from a model folder's `model.json` or Keras `config.json`, absent for anything else.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { architectureDigestOf } from "../../src/index.js";
import { readArchitectureDigest } from "../../src/artifacts/architecture.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** The `model.json` TF.js writes for `model` (topology + weights manifest). */
async function modelJson(model: tf.LayersModel): Promise<Record<string, unknown>> {
  let out: Record<string, unknown> = {};
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      out = {
        format: a.format,
        generatedBy: a.generatedBy,
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ["./weights.bin"], weights: a.weightSpecs }],
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  return out;
}

function sequential(units: number[], activation: "relu" | "tanh" = "relu", lr = 0.01): tf.LayersModel {
  const m = tf.sequential();
  for (const [i, u] of units.entries()) m.add(tf.layers.dense({ units: u, activation, ...(i === 0 ? { inputShape: [3] } : {}) }));
  m.compile({ optimizer: tf.train.adam(lr), loss: "meanSquaredError" });
  return m;
}

function functional(skip: boolean, hiddenName?: string): tf.LayersModel {
  const x = tf.input({ shape: [3], name: "x" });
  const h = tf.layers.dense({ units: 3, ...(hiddenName === undefined ? {} : { name: hiddenName }) }).apply(x) as tf.SymbolicTensor;
  const merged = skip ? (tf.layers.add().apply([h, x]) as tf.SymbolicTensor) : (tf.layers.add().apply([h, h]) as tf.SymbolicTensor);
  return tf.model({ inputs: x, outputs: tf.layers.dense({ units: 1, name: "p" }).apply(merged) as tf.SymbolicTensor });
}

const digest = async (m: tf.LayersModel): Promise<string | undefined> => architectureDigestOf(await modelJson(m));

describe("architectureDigestOf on TF.js models", () => {
  it("is equal for the same build, whatever the generated names, the weights and the learning rate", async () => {
    const a = sequential([4, 1]);
    const b = sequential([4, 1], "relu", 0.5);
    const ja = await modelJson(a);
    const jb = await modelJson(b);
    expect(JSON.stringify(ja)).not.toEqual(JSON.stringify(jb)); // dense_Dense1 vs dense_Dense3…
    expect(architectureDigestOf(ja)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(architectureDigestOf(ja)).toBe(architectureDigestOf(jb));
    // The weights manifest and a training config are not the architecture.
    expect(architectureDigestOf({ ...ja, weightsManifest: [], trainingConfig: { optimizer_config: { lr: 1 } } })).toBe(architectureDigestOf(ja));
  });

  it.each([
    ["an extra hidden layer", () => sequential([4, 4, 1])],
    ["more units", () => sequential([5, 1])],
    ["another activation", () => sequential([4, 1], "tanh")],
  ])("differs for %s", async (_name, other) => {
    expect(await digest(other())).not.toBe(await digest(sequential([4, 1])));
  });

  it("follows connections: a skip connection is another architecture; a renamed layer is not", async () => {
    const plain = await digest(functional(false));
    expect(await digest(functional(false))).toBe(plain);
    expect(await digest(functional(false, "hidden"))).toBe(plain);
    expect(await digest(functional(true))).not.toBe(plain);
  });
});

describe("architectureDigestOf on other layouts", () => {
  const keras2 = (name: string, units: number, training: object) => ({
    modelTopology: {
      keras_version: "2.13.1",
      backend: "tensorflow",
      model_config: {
        class_name: "Sequential",
        config: {
          name,
          layers: [
            { class_name: "Dense", config: { name: `dense_${name}`, units, kernel_initializer: { class_name: "GlorotUniform", config: { seed: null } } } },
          ],
        },
      },
      training_config: training,
    },
    weightsManifest: [],
  });
  const keras3 = (inputName: string, units: number) => ({
    module: "keras",
    class_name: "Functional",
    config: {
      name: "functional",
      layers: [
        {
          module: "keras.layers",
          class_name: "InputLayer",
          name: inputName,
          config: { batch_shape: [null, 3], dtype: "float32", name: inputName },
          inbound_nodes: [],
        },
        {
          module: "keras.layers",
          class_name: "Dense",
          name: "dense",
          config: { name: "dense", units, dtype: { module: "keras", class_name: "DTypePolicy", config: { name: "float32" } } },
          inbound_nodes: [{ args: [{ class_name: "__keras_tensor__", config: { shape: [null, 3], keras_history: [inputName, 0, 0] } }], kwargs: {} }],
        },
      ],
      input_layers: [[inputName, 0, 0]],
      output_layers: [["dense", 0, 0]],
    },
    compile_config: { optimizer: { config: { learning_rate: 0.001 } } },
  });

  it("reads a converted Keras model.json (model_config) without its training config", () => {
    const a = architectureDigestOf(keras2("sequential_1", 4, { optimizer_config: { learning_rate: 0.1 } }));
    expect(a).toMatch(/^sha256:/);
    expect(architectureDigestOf(keras2("sequential_7", 4, { optimizer_config: { learning_rate: 0.9 } }))).toBe(a);
    expect(architectureDigestOf(keras2("sequential_1", 8, {}))).not.toBe(a);
  });

  it("reads a Keras 3 config.json: layer names and the compile config aside, units count", () => {
    const a = architectureDigestOf(keras3("input_layer", 4));
    expect(architectureDigestOf({ ...keras3("input_layer_3", 4), compile_config: {} })).toBe(a);
    expect(architectureDigestOf(keras3("input_layer", 5))).not.toBe(a);
  });

  it.each([
    ["a TF.js GraphModel", { format: "graph-model", modelTopology: { node: [] } }],
    ["a Hugging Face config", { architectures: ["BertModel"], hidden_size: 768 }],
    ["an array", []],
    ["a string", "model"],
    ["null", null],
  ])("is undefined for %s", (_name, json) => {
    expect(architectureDigestOf(json)).toBeUndefined();
  });
});

describe("readArchitectureDigest of a model folder", () => {
  function folder(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mltrail-arch-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    return dir;
  }

  it("reads model.json, else config.json; an opaque or unreadable folder has none", async () => {
    const json = await modelJson(sequential([2, 1]));
    expect(await readArchitectureDigest(folder({ "model.json": JSON.stringify(json), "weights.bin": "x" }))).toBe(architectureDigestOf(json));
    expect(await readArchitectureDigest(folder({ "model.json": "{not json", "config.json": JSON.stringify(json.modelTopology) }))).toBe(
      architectureDigestOf(json),
    );
    expect(await readArchitectureDigest(folder({ "model.onnx": "\u0008\u0007" }))).toBeUndefined();
    expect(await readArchitectureDigest(folder({ "model.json": "{not json" }))).toBeUndefined();
  });
});

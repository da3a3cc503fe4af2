/**
 * The kinds of change a model release can have, as a table both stores run (the local store
 * in test/unit/registry-bump-local.test.ts, the real MLflow server in
 * test/integration/registry-bump-mlflow.test.ts): a baseline release 1.0.0 of a tiny real
 * TF.js model, then one change, and the version (or the refusal) each must give.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { expect } from "vitest";
import { ValidationError } from "../../src/index.js";
import type { Bump, BumpPolicy, ChangeCategory, ModelVersion, Tracker } from "../../src/index.js";
import { saveModel } from "../../src/integrations/tfjs.js";

/** How one release is trained. */
export interface Training {
  /** Named inputs, concatenated. */
  readonly inputs: readonly string[];
  /** Hidden dense layers. */
  readonly hidden: number;
  /** Learning rate (a hyperparameter, logged as param `lr`). */
  readonly lr: number;
  /** Digest of the training data, logged as dataset `train`. */
  readonly data: string;
  /** Not a TF.js model: a file of bytes, logged with `run.logModel`, with no architecture facts. */
  readonly opaque?: boolean;
  /** Passed to `registerModel` for an opaque model. */
  readonly architectureDigest?: string;
}

/** One row of the table. */
export interface BumpCase {
  readonly name: string;
  readonly baseline?: Partial<Training>;
  readonly change: Partial<Training>;
  readonly options?: { readonly bump?: Bump; readonly bumpPolicy?: BumpPolicy };
  /** The version the second release gets, and the categories of change it lists. */
  readonly expected: { readonly version: string; readonly categories: readonly ChangeCategory[] } | { readonly refused: RegExp };
}

const BASE: Training = { inputs: ["age", "income"], hidden: 1, lr: 0.01, data: "md5:d1", opaque: false };

/** The table: the founding convention (architecture → minor, hyperparameters → patch) and the strict policy. */
export const BUMP_CASES: readonly BumpCase[] = [
  { name: "TF.js model retrained with another learning rate", change: { lr: 0.05 }, expected: { version: "1.0.1", categories: ["weights", "params"] } },
  { name: "an extra hidden layer", change: { hidden: 2 }, expected: { version: "1.1.0", categories: ["architecture", "weights"] } },
  { name: "new training data", change: { data: "md5:d2" }, expected: { version: "1.1.0", categories: ["weights", "data"] } },
  { name: "a removed input", change: { inputs: ["age"] }, expected: { version: "2.0.0", categories: ["signature", "architecture", "weights"] } },
  {
    name: "a patch asked for an extra layer",
    change: { hidden: 2 },
    options: { bump: "patch" },
    expected: { refused: /architecture changed → minor required, got patch/ },
  },
  {
    name: "opaque model, new weights, no architecture facts: a patch is refused with how to prove the architecture",
    baseline: { opaque: true },
    change: { opaque: true, lr: 0.05 },
    options: { bump: "patch" },
    expected: { refused: /weights changed; architecture unknown → minor required, got patch .*pass architectureDigest/ },
  },
  {
    name: "opaque model, new weights, no architecture facts: minor inferred",
    baseline: { opaque: true },
    change: { opaque: true, lr: 0.05 },
    expected: { version: "1.1.0", categories: ["weights", "params"] },
  },
  {
    name: "opaque model with the same architectureDigest: a patch",
    baseline: { opaque: true, architectureDigest: "net-v1" },
    change: { opaque: true, architectureDigest: "net-v1", lr: 0.05 },
    expected: { version: "1.0.1", categories: ["weights", "params"] },
  },
  {
    name: "strict policy: another learning rate is a minor",
    change: { lr: 0.05 },
    options: { bumpPolicy: "strict" },
    expected: { version: "1.1.0", categories: ["weights", "params"] },
  },
  {
    name: "strict policy: an extra hidden layer is a minor",
    change: { hidden: 2 },
    options: { bumpPolicy: "strict" },
    expected: { version: "1.1.0", categories: ["architecture", "weights"] },
  },
  {
    name: "strict policy: a removed input is major",
    change: { inputs: ["age"] },
    options: { bumpPolicy: "strict" },
    expected: { version: "2.0.0", categories: ["signature", "architecture", "weights"] },
  },
];

function build(t: Training): tf.LayersModel {
  const inputs = t.inputs.map((name) => tf.input({ shape: [1], name }));
  let x = inputs.length === 1 ? (inputs[0] as tf.SymbolicTensor) : (tf.layers.concatenate().apply(inputs) as tf.SymbolicTensor);
  for (let i = 0; i < t.hidden; i++) x = tf.layers.dense({ units: 4, activation: "relu" }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs, outputs: tf.layers.dense({ units: 1, name: "p" }).apply(x) as tf.SymbolicTensor });
  model.compile({ optimizer: tf.train.sgd(t.lr), loss: "meanSquaredError" });
  return model;
}

async function train(model: tf.LayersModel, t: Training): Promise<void> {
  const xs = t.inputs.map((_, i) => tf.randomUniform([16, 1], -1, 1, "float32", 11 + i));
  const ys = xs.reduce((a, b) => a.add(b));
  await model.fit(xs, ys, { epochs: 1, batchSize: 16, verbose: 0 });
}

/** Trains and releases one model version as `t` says. */
export async function release(tracker: Tracker, model: string, t: Training, options: BumpCase["options"] = {}): Promise<ModelVersion> {
  const { runId, saved } = await tracker.withRun({ name: "train", params: { lr: t.lr } }, async (run) => {
    await run.logDataset({ name: "train", digest: t.data, context: "training" });
    let saved: { artifactPath: string; contentDigest: string; architectureDigest?: string };
    if (t.opaque === true) {
      const dir = mkdtempSync(path.join(os.tmpdir(), "mltrail-opaque-"));
      try {
        writeFileSync(path.join(dir, "model.bin"), `weights trained with lr ${t.lr} on ${t.data} at ${Math.random()}`);
        // The digests are passed on: a server-backed tracker may not have the run's model tag yet.
        const { artifactPath, contentDigest, architectureDigest } = await run.logModel(dir, { artifactPath: "model" });
        expect(architectureDigest).toBeUndefined();
        saved = { artifactPath, contentDigest, ...(t.architectureDigest === undefined ? {} : { architectureDigest: t.architectureDigest }) };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else {
      const m = build(t);
      await train(m, t);
      saved = await saveModel(run, m);
    }
    return { runId: run.id, saved };
  });
  // The registry reads the run's params and datasets from the store: on a server, once they arrived.
  await tracker.flush({ timeoutMs: 60_000 });
  return tracker.registerModel(model, { runId, ...saved, ...options, rationale: "bump table" });
}

/** Runs one row: baseline 1.0.0, then the change; checks the version, the change list and the audit entry. */
export async function checkBumpCase(tracker: Tracker, model: string, c: BumpCase): Promise<ModelVersion | undefined> {
  const base = { ...BASE, ...c.baseline };
  expect((await release(tracker, model, base)).version).toBe("1.0.0");
  const next = release(tracker, model, { ...base, ...c.change }, c.options);
  if ("refused" in c.expected) {
    const err = await next.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(c.expected.refused);
    expect((await tracker.listModelVersions(model)).map((v) => v.version)).toEqual(["1.0.0"]);
    return undefined;
  }
  const mv = await next;
  expect(mv.version).toBe(c.expected.version);
  expect(mv.changeDetails?.map((d) => d.category)).toEqual(c.expected.categories);
  expect(mv.changeDetails?.map((d) => d.description)).toEqual(mv.changes);
  const audit = (await tracker.modelHistory(model)).filter((e) => e.action === "release");
  expect(audit.map((e) => e.bump)).toEqual(["initial", mv.bump]);
  expect(audit[1]?.changes).toEqual(mv.changeDetails?.map((d) => `${d.category}: ${d.description}`));
  return mv;
}

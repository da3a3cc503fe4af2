/**
 * Explanations across releases: two TF.js versions of a churn model are trained and released,
 * each with its Kernel SHAP explanation stored in its run and recorded in its release. The
 * second version is trained on data where a column leaks the label;
 * `tracker.compareExplanations` between the releases flags that column (as does
 * `mltrail models explain-diff churn-explained@1.0.0 churn-explained@1.1.0`).
 *
 * Run it with `npx tsx examples/explain-leak.ts` (needs the pure-JS `@tensorflow/tfjs`). Set
 * MLFLOW_TRACKING_URI to log to a folder or an MLflow server instead of ./mltrail.
 */
import * as tf from "@tensorflow/tfjs";
import { Tracker } from "mltrail";
import { kernelShap, logExplanation, tfjsPredict } from "mltrail/explain";
import { saveModel } from "mltrail/tfjs";

const MODEL = process.env["MLTRAIL_EXAMPLE_MODEL"] ?? "churn-explained";
const features = ["tenure", "spend", "tickets", "last_login", "account_closed"];
await tf.setBackend("cpu");

let s = 7;
const rand = (): number => {
  s = (s * 1103515245 + 12345) % 2 ** 31;
  return (s / 2 ** 31) * 2 - 1;
};
const x = Array.from({ length: 400 }, () => features.map(() => rand()));
const churn = x.map(([tenure = 0, spend = 0, tickets = 0]) => (tickets - tenure - 0.5 * spend + 0.3 * rand() > 0 ? 1 : 0));
/** Version 2's pipeline broke: `account_closed` is filled from the label itself. */
const leaky = x.map((row, i) => row.map((v, j) => (j === 4 ? (churn[i] ?? 0) * 2 - 1 : v)));

const tracker = new Tracker({ experiment: "explain-leak" });
for (const [version, data] of [
  ["1", x],
  ["2", leaky],
] as const) {
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [features.length], units: 8, activation: "relu" }), tf.layers.dense({ units: 1, activation: "sigmoid" })],
  });
  model.compile({ optimizer: tf.train.adam(0.05), loss: "binaryCrossentropy" });
  await model.fit(tf.tensor2d(data), tf.tensor2d(churn.map((c) => [c])), { epochs: 30, verbose: 0 });
  await tracker.withRun({ name: `churn v${version}` }, async (run) => {
    const shap = await kernelShap(tfjsPredict(model), data.slice(0, 40), { background: data.slice(200, 230), featureNames: features, seed: 1 });
    await logExplanation(run, shap, { name: "shap" });
    const saved = await saveModel(run, model, { artifactPath: "model" });
    const mv = await tracker.registerModel(MODEL, {
      runId: run.id,
      ...saved,
      ...(version === "2" ? { bump: "minor" as const } : {}),
      rationale: `v${version}`,
    });
    const recorded = (mv.explanations ?? []).map((e) => `${e.name} (${e.method}, ${e.digest.slice(0, 19)}…)`).join(", ");
    console.log(`released ${MODEL}@${mv.version} with explanation ${recorded}`);
  });
}
const versions = await tracker.listModelVersions(MODEL);
const [previous, latest] = versions.slice(-2).map((v) => `${MODEL}@${v.version}`);
const diff = await tracker.compareExplanations(previous ?? "", latest ?? "", { rankMoved: 2, shareChanged: 0.1 });
console.log(diff.verdict);
for (const c of diff.features)
  console.log(
    `  ${c.feature.padEnd(15)} rank ${c.rankA}→${c.rankB}  share ${(c.shareA * 100).toFixed(0)}%→${(c.shareB * 100).toFixed(0)}%  ${c.flags.join(",")}`,
  );
const report = await tracker.report({ model: MODEL, output: process.env["MLTRAIL_EXAMPLE_REPORT"] ?? "explain-leak-report.html" });
console.log(`report: ${report.path}`);
console.log(diff.flagged.some((c) => c.feature === "account_closed") ? "leak caught: account_closed" : "leak missed");
await tracker.close();

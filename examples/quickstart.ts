/**
 * Quickstart: a simulated training run logged to the embedded default store (./mltrail),
 * then read back through the query API. Run it with `npm run quickstart`.
 *
 * Set MLFLOW_TRACKING_URI to log somewhere else (a folder, or an MLflow server URL).
 */
import { createHash } from "node:crypto";
import { Tracker, type ModelSignature } from "mltrail";

const tracker = new Tracker({ experiment: "quickstart" });

// A tiny "training loop": loss decays, accuracy rises, with a little noise.
async function train(lr: number, epochs: number): Promise<string> {
  return tracker.withRun({ params: { lr, epochs, optimizer: "adam" }, tags: { example: "quickstart" } }, async (run) => {
    let loss = 1.0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let batch = 0; batch < 50; batch++) {
        loss *= 1 - lr * 0.2 * (0.5 + Math.random());
        run.logMetric("batch_loss", loss, { step: epoch * 50 + batch });
      }
      run.logMetrics({ loss, acc: 1 - loss / 2, val_loss: loss * 1.1 }, { step: epoch });
      await new Promise((resolve) => setTimeout(resolve, 5)); // stand-in for real work
    }
    run.setTag("stage", "done");
    return run.id;
  });
}

const ids = [await train(0.01, 10), await train(0.03, 10)];

const best = await tracker.searchRuns({ filter: "tags.example = 'quickstart'", orderBy: ["metrics.loss ASC"], maxResults: 1 });
const top = best[0];
const { backend } = tracker.options;
const where = backend.kind === "local" ? `the local store at ${backend.root}` : backend.kind === "mlflow" ? `the tracking server ${backend.url}` : backend.uri;
console.log(`Logged ${ids.length} runs to ${where} (experiment "${tracker.options.experiment}").`);
for (const id of ids) {
  const { info, data } = await tracker.getRun(id);
  const history = await tracker.getMetricHistory(id, "batch_loss");
  console.log(
    `  ${info.name.padEnd(22)} ${info.status.padEnd(9)} lr=${data.params["lr"] ?? "?"} loss=${data.metrics["loss"]?.toFixed(4)} acc=${data.metrics["acc"]?.toFixed(4)} (${history.length} batch_loss points)`,
  );
}
if (top !== undefined) console.log(`Best run by loss: ${top.info.name} (${top.info.runId})`);
// Release the first model as 1.0.0, then the retrained one: new weights make it a minor release.
const signature: ModelSignature = {
  inputs: [
    { name: "tenure_months", dtype: "float32" },
    { name: "plan", dtype: "string" },
  ],
  outputs: [{ name: "churn_probability", dtype: "float32" }],
};
const weightsDigest = async (runId: string) => {
  const { data } = await tracker.getRun(runId);
  return `sha256:${createHash("sha256").update(JSON.stringify(data.metrics)).digest("hex")}`; // stand-in for the model files
};
const first = await tracker.registerModel("quickstart-churn", {
  runId: ids[0] as string,
  signature,
  contentDigest: await weightsDigest(ids[0] as string),
  rationale: "first baseline",
  aliases: ["champion"],
});
const second = await tracker.registerModel("quickstart-churn", {
  runId: ids[1] as string,
  signature,
  contentDigest: await weightsDigest(ids[1] as string),
  rationale: "retrained with a higher learning rate",
});
console.log(`Released quickstart-churn ${first.version} (${first.aliases.join(", ")}) and ${second.version} (${second.changes.join("; ")}).`);
console.log(`quickstart-churn@^1 resolves to ${(await tracker.getModelVersion("quickstart-churn@^1")).version}.`);
console.log("Registry history:");
for (const entry of await tracker.modelHistory("quickstart-churn")) {
  console.log(
    `  ${new Date(entry.at).toISOString()}  ${entry.by}  ${entry.action} ${entry.version ?? ""}${entry.alias === undefined ? "" : ` alias ${entry.alias}`}  ${entry.reason ?? ""}`,
  );
}
// With TensorFlow.js installed (the pure-JS @tensorflow/tfjs), train a tiny model with the
// mltrail callback, save it into the run's artifacts and release it from its logged files.
const tf = await import("@tensorflow/tfjs").catch(() => undefined);
if (tf !== undefined) {
  const { mltrailCallback, saveModel } = await import("mltrail/tfjs");
  await tf.setBackend("cpu");
  await tracker.withRun({ name: "tfjs-tiny", tags: { example: "quickstart-tfjs" } }, async (run) => {
    const xs = tf.tensor2d(Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i)]));
    const ys = tf.tensor2d(Array.from({ length: 64 }, (_, i) => [Math.sin(i) > 0 ? 1 : 0]));
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, activation: "sigmoid" })] });
    model.compile({ optimizer: tf.train.adam(0.1), loss: "binaryCrossentropy", metrics: ["accuracy"] });
    await model.fit(xs, ys, { epochs: 5, batchSize: 16, verbose: 0, callbacks: [mltrailCallback(run, { logModelSummary: false })] });
    const saved = await saveModel(run, model, { artifactPath: "model" });
    const mv = await tracker.registerModel("quickstart-tfjs", { runId: run.id, ...saved, rationale: "TF.js quickstart" });
    console.log(`TF.js: trained 5 epochs with the callback, released quickstart-tfjs ${mv.version} (${saved.contentDigest.slice(0, 19)}…).`);
  });
}

const stats = tracker.stats();
console.log(`Records logged: ${stats.logged}, durable: ${stats.durable}, pending: ${stats.pending}.`);
await tracker.close();

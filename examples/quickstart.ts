/**
 * Quickstart: a simulated training run logged to the embedded default store (./mltrail),
 * then read back through the query API. Run it with `npm run quickstart`.
 *
 * Set MLFLOW_TRACKING_URI to log somewhere else (a folder, or an MLflow server URL).
 */
import { Tracker } from "mltrail";

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
const where = backend.kind === "local" ? `the local store at ${backend.root}` : `the tracking server ${backend.url}`;
console.log(`Logged ${ids.length} runs to ${where} (experiment "${tracker.options.experiment}").`);
for (const id of ids) {
  const { info, data } = await tracker.getRun(id);
  const history = await tracker.getMetricHistory(id, "batch_loss");
  console.log(
    `  ${info.name.padEnd(22)} ${info.status.padEnd(9)} lr=${data.params["lr"] ?? "?"} loss=${data.metrics["loss"]?.toFixed(4)} acc=${data.metrics["acc"]?.toFixed(4)} (${history.length} batch_loss points)`,
  );
}
if (top !== undefined) console.log(`Best run by loss: ${top.info.name} (${top.info.runId})`);
const stats = tracker.stats();
console.log(`Records logged: ${stats.logged}, durable: ${stats.durable}, pending: ${stats.pending}.`);
await tracker.close();

// Trains a small TF.js model in the page (y = 2·x − 1 with noise) and logs it to an MLflow
// server: epoch metrics and training params through the mltrail/tfjs callback, plus a param and
// a tag of our own. Records go to IndexedDB first, so a reload or a lost network loses nothing:
// the next load of this page sends whatever is still pending.
import * as tf from "@tensorflow/tfjs";
import { Tracker } from "mltrail/browser";
import { mltrailCallback } from "mltrail/tfjs";

const form = document.getElementById("train");
const status = document.getElementById("status");
const log = document.getElementById("log");

// ?mlflow=<uri>&experiment=<name>&epochs=<n> pre-fill the form.
const query = new URLSearchParams(location.search);
for (const [param, field] of [
  ["mlflow", "trackingUri"],
  ["experiment", "experiment"],
  ["epochs", "epochs"],
]) {
  const value = query.get(param);
  if (value !== null) form.elements[field].value = value;
}

/** The training data: 200 points of y = 2x − 1 plus a little noise. */
function data() {
  const xs = tf.randomUniform([200, 1], -1, 1, "float32", 42);
  const noise = tf.randomNormal([200, 1], 0, 0.05, "float32", 7);
  const ys = xs.mul(2).sub(1).add(noise);
  return { xs, ys };
}

async function train(trackingUri, experiment, epochs) {
  const tracker = new Tracker({ trackingUri, experiment });
  tracker.on("error", (error) => {
    log.textContent += `tracking: ${error.message}\n`;
  });
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 8, activation: "relu" }), tf.layers.dense({ units: 1 })] });
  model.compile({ optimizer: tf.train.adam(0.05), loss: "meanSquaredError", metrics: ["mae"] });
  const { xs, ys } = data();
  const run = await tracker.withRun({ name: "dense-in-page", params: { dataset: "y=2x-1+noise", samples: 200 } }, async (run) => {
    run.setTag("page", location.pathname);
    await model.fit(xs, ys, {
      epochs,
      batchSize: 32,
      validationSplit: 0.2,
      callbacks: [
        mltrailCallback(run),
        // A plain { onEpochEnd } object would not do here: TF.js takes a list that starts with a
        // tf.Callback (mltrailCallback is one) as it is, so every entry must be a tf.Callback.
        new tf.CustomCallback({
          onEpochEnd: (epoch, logs) => {
            log.textContent += `epoch ${epoch}: loss ${logs.loss.toFixed(4)}\n`;
          },
        }),
      ],
    });
    return run;
  });
  // withRun ended the run; wait until the server has all of it (it stays in IndexedDB until then).
  const { pending } = await tracker.flush({ timeoutMs: 60_000 });
  tf.dispose([xs, ys]);
  return { run, pending };
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = form.querySelector("button");
  button.disabled = true;
  status.dataset.state = "training";
  status.textContent = "Training…";
  try {
    const { run, pending } = await train(form.elements.trackingUri.value, form.elements.experiment.value, Number(form.elements.epochs.value));
    status.dataset.runKey = run.key;
    status.dataset.state = pending === 0 ? "done" : "pending";
    status.textContent =
      pending === 0
        ? `Run "${run.name}" is on the server (experiment "${run.experiment}", run id ${run.remoteId}).`
        : `Run "${run.name}" ended; ${pending} records are still waiting for the server and will be sent on the next load of this page.`;
  } catch (error) {
    status.dataset.state = "failed";
    status.textContent = `Failed: ${error.message}`;
  } finally {
    button.disabled = false;
  }
});

await tf.ready();
status.textContent = `Ready (TF.js ${tf.version.tfjs}, backend ${tf.getBackend()}).`;
form.querySelector("button").disabled = false;

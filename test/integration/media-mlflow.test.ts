/**
 * Images by step, tables and figures against the real MLflow server, read back by MLflow's own
 * Python client: the image files parse as MLflow's UI parses them (key, step, thumbnail), PIL
 * decodes the pixels logged, and `mlflow.load_table` returns the rows.
 */
import { afterEach, describe, expect, it } from "vitest";
import { uniqueName } from "../support/mlflow.js";
import { runMlflowPython } from "../support/mlflow-python.js";
import { newTracker, tempDir } from "../fixtures/replication/harness.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Seen {
  images: { key: string; step: number; compressed: boolean; size: number[]; first: number[] }[];
  loggedImages: string;
  table: Record<string, unknown>[];
  figure: string;
}

describe("images, tables and figures on the MLflow server", () => {
  it("MLflow's Python client reads images by step (PIL), the table (load_table) and the figure", async () => {
    const spool = tempDir("media-mlflow");
    const t = newTracker(spool.dir, uniqueName("media"));
    cleanups.push(spool.cleanup, async () => void (await t.close({ timeoutMs: 5000 })));
    const run = await t.startRun({ name: "media" });
    for (const step of [0, 1]) {
      const data = new Uint8Array(3 * 2 * 4).fill(step * 100 + 10);
      await run.logImage({ data, width: 3, height: 2 }, "val/samples", { step });
    }
    await run.logTable(
      [
        { text: "hi", score: 0.9 },
        { text: "yo", score: 0.1 },
      ],
      "eval/preds.json",
    );
    await run.logFigure('<svg xmlns="http://www.w3.org/2000/svg"><circle r="3"/></svg>', "plots/c.svg");
    await run.end();
    expect(await t.flush({ timeoutMs: 60_000 })).toMatchObject({ pending: 0, rejected: 0 });

    const seen = await runMlflowPython<Seen>(`
import json, os, tempfile, mlflow
from mlflow import MlflowClient
from PIL import Image
c = MlflowClient()
run_id = ${JSON.stringify(run.id)}
r = c.get_run(run_id)
images = []
with tempfile.TemporaryDirectory() as d:
    for f in c.list_artifacts(run_id, "images"):
        name = os.path.basename(f.path).rsplit(".", 1)[0]
        key, s, step, ts, t, uid = name.split("+")[:6]
        img = Image.open(c.download_artifacts(run_id, f.path, d)).convert("RGBA")
        images.append({"key": key.replace("~", "/"), "step": int(step), "compressed": name.endswith("+compressed"), "size": list(img.size), "first": list(img.getpixel((0, 0)))})
    figure = open(c.download_artifacts(run_id, "plots/c.svg", d)).read()
table = c.load_table(r.info.experiment_id, "eval/preds.json", run_ids=[run_id])
print(json.dumps({"images": sorted(images, key=lambda i: (i["step"], i["compressed"])), "loggedImages": r.data.tags.get("mlflow.loggedImages"), "table": table.to_dict(orient="records"), "figure": figure}))
`);
    expect(seen.loggedImages).toBe("True");
    expect(seen.images).toEqual([
      { key: "val/samples", step: 0, compressed: false, size: [3, 2], first: [10, 10, 10, 10] },
      { key: "val/samples", step: 0, compressed: true, size: [3, 2], first: [10, 10, 10, 10] },
      { key: "val/samples", step: 1, compressed: false, size: [3, 2], first: [110, 110, 110, 110] },
      { key: "val/samples", step: 1, compressed: true, size: [3, 2], first: [110, 110, 110, 110] },
    ]);
    expect(seen.table).toEqual([
      { text: "hi", score: 0.9 },
      { text: "yo", score: 0.1 },
    ]);
    expect(seen.figure).toContain("<circle");
  });
});

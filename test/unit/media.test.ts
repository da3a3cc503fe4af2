/**
 * `run.logImage`, `run.logTable` and `run.logFigure` on the LOCAL store: MLflow's image layout
 * by step (full image, thumbnail within 256 px, `mlflow.loggedImages`), PNG bytes that decode
 * back to the pixels given (raw RGBA, grey floats, a real TF.js tensor), tables in pandas'
 * split format appended like `mlflow.log_table`, figures, and rejected input storing nothing.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { Tracker } from "../../src/index.js";
import { decodePng, encodePng, pngSize } from "../../src/media/png.js";
import type { Run } from "../../src/run.js";

let tmp: string;
let tracker: Tracker;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-media-"));
  tracker = new Tracker({ trackingUri: path.join(tmp, "store"), experiment: "media", captureContext: false, handleExit: false, logLevel: "error" });
});
afterEach(async () => {
  await tracker.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const artifacts = (run: Run): string => path.join(tmp, "store", "experiments", run.experimentId, "runs", run.id, "artifacts");

/** Pixels of a PNG read with zlib by hand (IDAT, filters None/Up only, as our encoder writes). */
function inflatePixels(png: Buffer): Uint8Array {
  const size = pngSize(png);
  if (size === undefined) throw new Error("not a PNG");
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    if (png.toString("latin1", at + 4, at + 8) === "IDAT") idat.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = size.width * 4;
  const out = new Uint8Array(stride * size.height);
  for (let y = 0; y < size.height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x] as number;
      out[y * stride + x] = filter === 2 && y > 0 ? (v + (out[(y - 1) * stride + x] as number)) & 0xff : v;
    }
  }
  return out;
}

function gradient(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([i % 256, (i * 7) % 256, (i * 13) % 256, 255 - (i % 50)], i * 4);
  return data;
}

describe("logImage", () => {
  it("stores images by key and step in MLflow's layout, with a thumbnail and the loggedImages tag", async () => {
    const run = await tracker.startRun();
    const data = gradient(300, 20);
    const first = await run.logImage({ data, width: 300, height: 20 }, "val/samples", { step: 3, timestamp: 1_700_000_000_000 });
    await run.logImage({ data: gradient(4, 4), width: 4, height: 4 }, "val/samples", { step: 4 });
    await run.end();
    expect(first.path).toMatch(/^images\/val~samples\+step\+3\+timestamp\+1700000000000\+[0-9a-f-]{36}\.png$/);
    expect(first.thumbnailPath).toBe(first.path.replace(/\.png$/, "+compressed.png"));
    const files = fs.readdirSync(path.join(artifacts(run), "images")).sort();
    expect(files).toHaveLength(4);
    expect(files.filter((f) => f.includes("+step+4+"))).toHaveLength(2);
    const full = fs.readFileSync(path.join(artifacts(run), first.path));
    expect(inflatePixels(full)).toEqual(data);
    expect(pngSize(fs.readFileSync(path.join(artifacts(run), first.thumbnailPath as string)))).toEqual({ width: 256, height: 17 });
    const stored = await tracker.getRun(run.id);
    expect(stored.data.tags["mlflow.loggedImages"]).toBe("True");
    expect((await tracker.listArtifacts(run.id, "images")).map((e) => e.path).sort()).toEqual(files.map((f) => `images/${f}`));
  });

  it("encodes a TF.js tensor (floats in [0, 1]) and grey floats the way MLflow scales them", async () => {
    const run = await tracker.startRun();
    const tensor = tf.tensor3d([0, 0.5, 1, 1, 0.25, 0], [2, 1, 3]);
    const fromTensor = await run.logImage(tensor, "tensor", { step: 1 });
    const grey = await run.logImage({ data: new Float32Array([-1, 1]), width: 2, height: 1 }, "grey.png");
    tensor.dispose();
    const rgba = inflatePixels(fs.readFileSync(path.join(artifacts(run), fromTensor.path)));
    expect([...rgba]).toEqual([0, 128, 255, 255, 255, 64, 0, 255]);
    // Out-of-range floats are rescaled from their min and max, as MLflow does.
    expect([...inflatePixels(fs.readFileSync(path.join(artifacts(run), grey.path)))]).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
    expect(grey.path).toBe("grey.png");
    await run.end();
  });

  it("keeps encoded PNG and JPEG bytes as given, and makes thumbnails of large PNGs", async () => {
    const run = await tracker.startRun();
    const png = encodePng({ data: gradient(600, 300), width: 600, height: 300 });
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const byKey = await run.logImage(png, "big");
    const file = await run.logImage(jpeg, "photos/cat.jpg");
    expect(fs.readFileSync(path.join(artifacts(run), byKey.path)).equals(png)).toBe(true);
    expect(byKey.step).toBe(0);
    expect(pngSize(fs.readFileSync(path.join(artifacts(run), byKey.thumbnailPath as string)))).toEqual({ width: 256, height: 128 });
    expect(decodePng(fs.readFileSync(path.join(artifacts(run), byKey.thumbnailPath as string)))?.data.length).toBe(256 * 128 * 4);
    expect(fs.readFileSync(path.join(artifacts(run), file.path)).equals(jpeg)).toBe(true);
    await run.end();
  });

  it("rejects bad input with a ValidationError and stores nothing", async () => {
    const run = await tracker.startRun();
    const px = { data: new Uint8Array(16), width: 2, height: 2 };
    await expect(run.logImage(Buffer.from("GIF89a"), "x")).rejects.toThrow(ValidationError);
    await expect(run.logImage({ data: new Uint8Array(5), width: 2, height: 2 }, "x")).rejects.toThrow(/data/);
    await expect(run.logImage({ data: new Int32Array([300]), width: 1, height: 1 }, "x")).rejects.toThrow(/\[0, 255\]/);
    await expect(run.logImage(px, "bad+key")).rejects.toThrow(/image key/);
    await expect(run.logImage(px, "x.png", { step: 1 })).rejects.toThrow(/step and timestamp need a key/);
    await expect(run.logImage(Buffer.from([0xff, 0xd8, 0xff]), "jpeg-by-step")).rejects.toThrow(/PNG/);
    await expect(run.logImage(px, "x", { step: 1.5 })).rejects.toThrow(ValidationError);
    await expect(run.logImage({ shape: [2, 2, 2], dataSync: () => new Float32Array(8) }, "x")).rejects.toThrow(/shape/);
    await run.end();
    expect(fs.existsSync(path.join(artifacts(run), "images"))).toBe(false);
    await expect(run.logImage(px, "late")).rejects.toThrow(/ended/);
  });
});

describe("logTable and logFigure", () => {
  it("writes pandas' split JSON, appends like mlflow.log_table and lists the table in mlflow.loggedArtifacts", async () => {
    const run = await tracker.startRun();
    await run.logTable(
      [
        { text: "a", score: 0.5 },
        { text: "b", extra: [1, 2], score: Number.NaN },
      ],
      "eval/preds.json",
    );
    await run.logTable({ columns: ["text", "label"], data: [["c", 1]] }, "eval/preds.json");
    await run.logTable([{ k: 1 }], "other.json");
    const table = JSON.parse(fs.readFileSync(path.join(artifacts(run), "eval", "preds.json"), "utf8")) as unknown;
    expect(table).toEqual({
      columns: ["text", "score", "extra", "label"],
      data: [
        ["a", 0.5, null, null],
        ["b", null, [1, 2], null],
        ["c", null, null, 1],
      ],
    });
    const tags = (await tracker.getRun(run.id)).data.tags;
    expect(tags["mlflow.loggedArtifacts"]).toBe('[{"path": "eval/preds.json", "type": "table"}, {"path": "other.json", "type": "table"}]');
    await expect(run.logTable([{ a: 1 }], "t.csv")).rejects.toThrow(/\.json/);
    await expect(run.logTable([{ a: 1 }], "dir/a,b.json")).rejects.toThrow(/must not contain/);
    await expect(run.logTable({ columns: ["a"], data: [[1, 2]] }, "t.json")).rejects.toThrow(/row 0/);
    await expect(run.logTable([{ a: 1n }], "t.json")).rejects.toThrow(/bigint/);
    expect(fs.existsSync(path.join(artifacts(run), "t.json"))).toBe(false);
    await run.end();
  });

  it("stores SVG and HTML figures and rejects other paths", async () => {
    const run = await tracker.startRun();
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5"/></svg>';
    const info = await run.logFigure(svg, "plots/roc.svg");
    await run.logFigure("<html><body>chart</body></html>", "plots/roc.html");
    expect(fs.readFileSync(path.join(artifacts(run), info.path), "utf8")).toBe(svg);
    await expect(run.logFigure(svg, "plots/roc.png")).rejects.toThrow(/\.svg or \.html/);
    await expect(run.logFigure("<div/>", "x.svg")).rejects.toThrow(/<svg>/);
    await run.end();
    expect((await tracker.listArtifacts(run.id, "plots")).map((e) => e.path).sort()).toEqual(["plots/roc.html", "plots/roc.svg"]);
  });
});

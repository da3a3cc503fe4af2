/**
 * Helpers of the dashboard tests: a tiny valid PNG, a seeded store, the `mltrail ui` command
 * started from the built package (its URL read from stdout), and headless Chromium.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { crc32, deflateSync } from "node:zlib";
import { Tracker } from "../../src/index.js";

export const root = path.resolve(import.meta.dirname, "../..");
export const cli = path.join(root, "dist", "cli", "main.js");
export { CHROMIUM_ARGS, executablePath, haveChromium } from "./chromium.js";

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A `size`×`size` RGB PNG: a red-to-blue gradient. */
export function png(size: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc(size * (1 + size * 3));
  for (let y = 0; y < size; y++) {
    const row = y * (1 + size * 3);
    for (let x = 0; x < size; x++) raw.set([Math.round((255 * x) / size), 80, Math.round((255 * y) / size)], row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** What {@link seedStore} made. */
export interface Seeded {
  readonly parent: string;
  readonly children: string[];
  readonly imageRun: string;
  readonly xssRun: string;
}

/** A store with a parent and two child runs, a run with an image and a JSON artifact, a hostile run, and a model with two releases. */
export async function seedStore(store: string): Promise<Seeded> {
  const tracker = new Tracker({ trackingUri: store, experiment: "churn", captureContext: false, handleExit: false });
  const parent = await tracker.startRun({ name: "sweep", params: { kind: "sweep" } });
  const children: string[] = [];
  for (const [i, lr] of [0.1, 0.01].entries()) {
    const run = await tracker.startRun({
      name: `lr=${lr}`,
      params: { lr, epochs: 20 },
      parentRunId: parent.id,
      tags: { "mlflow.source.git.commit": `${i}abc1234def5678` },
    });
    for (let s = 0; s < 300; s++) run.logMetrics({ loss: Math.exp(-s * lr) + 0.02 * Math.sin(s), acc: 1 - Math.exp(-s * lr) / 2 }, { step: s });
    run.logMetric("final_score", 0.8 + i * 0.05);
    await run.end();
    children.push(run.id);
  }
  await parent.end();
  const dir = fs.mkdtempSync(path.join(store, "..", "ui-art-"));
  fs.writeFileSync(path.join(dir, "confusion.png"), png(48));
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ layers: [64, 32], note: "<b>bold</b>" }));
  const image = await tracker.startRun({ name: "with-image", params: { lr: 0.05 } });
  image.logMetric("acc", 0.9, { step: 0 });
  await image.logArtifact(path.join(dir, "confusion.png"), { artifactPath: "plots" });
  await image.logArtifact(path.join(dir, "config.json"));
  await image.end();
  const xss = await tracker.startRun({
    name: `<img src=x onerror="console.error('xss-name')">`,
    params: { lr: 0.2 },
    tags: { note: "<script>console.error('xss-tag')</script>" },
  });
  xss.logMetric("loss", 0.5, { step: 0 });
  await xss.end();
  await tracker.registerModel("churn-clf", { runId: children[0] as string, rationale: "first release", aliases: ["champion"] });
  await tracker.registerModel("churn-clf", {
    runId: children[1] as string,
    bump: "minor",
    rationale: "lower learning rate",
    changes: [{ description: "new weights", bump: "minor" }],
  });
  await tracker.deprecate("churn-clf", "1.0.0", { reason: "superseded" });
  await tracker.close();
  return { parent: parent.id, children, imageRun: image.id, xssRun: xss.id };
}

/** A running `mltrail ui`. */
export interface UiProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `mltrail ui` from the built package on a free port; resolves once it printed its URL. */
export async function startUiProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<UiProcess> {
  const child = spawn(process.execPath, [cli, "ui", "--port", "0", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr?.on("data", (d: Buffer) => void (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`mltrail ui exited with ${code}: ${err}`)));
  });
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

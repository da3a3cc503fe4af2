/**
 * TensorBoard and DVC as live targets, at the sink: records handed over batch by batch (as the
 * replicator does, across a restart of the process, i.e. a new sink on the same folder) are read
 * back by each tool's own reader: TensorBoard's EventAccumulator (every scalar: step, float32
 * value, wall time; HParams; status) and the dvc CLI (summary, params, every plotted point).
 * Includes NaN/±Infinity, -0, non-ASCII keys and a 100k-point history.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Metric } from "../../src/model/types.js";
import { MLFLOW_LIMITS } from "../../src/model/limits.js";
import { DvcSink } from "../../src/targets/dvc/sink.js";
import { TensorBoardSink } from "../../src/targets/tensorboard/sink.js";
// @ts-expect-error: plain ESM script without type declarations
import { ensureDvcVenv } from "../../scripts/dvc-venv.mjs";
// @ts-expect-error: plain ESM script without type declarations
import { ensureTensorboardVenv } from "../../scripts/tensorboard-venv.mjs";

const exec = promisify(execFile);
const big = { maxBuffer: 512 * 1024 * 1024 };
const SPECIALS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1, -0, 1e40, -2.5];
const run = { runId: "r-0001", runKey: "r-0001", name: "naïve/run", experimentName: "vision ü", startTime: 1_764_670_000_000, user: undefined };

/** The run's records as the replicator would hand them over: `batches` batches, then the end. */
function records(): Metric[] {
  const out: Metric[] = [];
  for (const [i, v] of SPECIALS.entries()) out.push({ key: "loss/训练", value: v, step: i, timestamp: 1_764_670_000_100 + i });
  for (let i = 0; i < 100_000; i++) out.push({ key: "acc", value: i / 100_000, step: i, timestamp: 1_764_670_001_000 + i });
  return out;
}

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-live-"));
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

type Sink = TensorBoardSink | DvcSink;

/** Hands the run to `make()`'s sinks in 8 batches, the process "restarting" (a new sink) halfway. */
async function replicate(make: () => Sink): Promise<void> {
  const points = records();
  const chunk = Math.ceil(points.length / 8);
  let sink = make();
  const exp = await sink.experimentId(run.experimentName);
  expect(await sink.findRun(exp, run)).toBeUndefined();
  const id = await sink.createRun(exp, run);
  for (let b = 0; b < 8; b++) {
    if (b === 4) {
      sink.close();
      sink = make();
      expect(await sink.findRun(exp, run)).toBe(id);
    }
    const params =
      b === 0
        ? [
            { key: "lr", value: "0.001" },
            { key: "学习率", value: "0.1x" },
          ]
        : b === 5
          ? [{ key: "late", value: "yes" }]
          : [];
    await sink.logBatch(id, { metrics: points.slice(b * chunk, (b + 1) * chunk), params, tags: b === 1 ? [{ key: "note", value: "données ✓" }] : [] });
  }
  // A new process resuming from its saved cursor knows only the id.
  sink.close();
  sink = make();
  await sink.endRun(id, "FINISHED", 1_764_670_200_000);
  sink.close();
}

describe("live targets read back by their own tools", () => {
  it("TensorBoard: every scalar, the HParams session and its status", async () => {
    const python = ((await ensureTensorboardVenv()) as { python: string }).python;
    const out = path.join(work, "tb");
    await replicate(() => new TensorBoardSink(out, MLFLOW_LIMITS));
    const folder = path.join("vision ü", "naïve_run");
    expect(fs.readdirSync(path.join(out, folder)).filter((f) => f.includes(".tfevents.")).length).toBe(3);
    const { stdout } = await exec(python, [path.join(import.meta.dirname, "tensorboard-export.py"), out], big);
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const f32 = (hex: string) => Buffer.from(hex, "hex").readFloatLE(0);
    const f64 = (hex: string) => Buffer.from(hex, "hex").readDoubleLE(0);
    for (const key of ["loss/训练", "acc"]) {
      const want = records().filter((m) => m.key === key);
      const got = lines.filter((l) => l["tag"] === key && l["run"] === folder);
      expect(got.length, key).toBe(want.length);
      for (const [i, w] of want.entries()) {
        const g = got[i] as { step: number; value: string; wall: string };
        if (g.step !== w.step || !Object.is(f32(g.value), Math.fround(w.value)) || f64(g.wall) !== w.timestamp / 1000) {
          expect({ step: g.step, value: f32(g.value), wall: f64(g.wall) }, `${key} ${i}`).toEqual({
            step: w.step,
            value: Math.fround(w.value),
            wall: w.timestamp / 1000,
          });
        }
      }
    }
    // The params known at the first metric; the late one is not in TensorBoard's first session summary.
    expect(lines.find((l) => "hparams" in l)).toEqual({
      run: folder,
      group: run.runId,
      hparams: { lr: ["number_value", 0.001], 学习率: ["string_value", "0.1x"] },
    });
    expect(lines.find((l) => "status" in l)).toEqual({ run: folder, status: 1 });
    expect(lines).toContainEqual({ run: folder, text: "tags/note", value: "données ✓" });
  }, 300_000);

  it("DVC: the summary, every param and every plotted point", async () => {
    const { dvc } = (await ensureDvcVenv()) as { dvc: string };
    const repo = path.join(work, "repo");
    fs.mkdirSync(repo);
    const env = { ...process.env, DVC_NO_ANALYTICS: "1", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
    await exec("git", ["init", "-q"], { cwd: repo });
    await exec(dvc, ["init", "-q"], { cwd: repo, env });
    await exec("git", ["commit", "-qm", "dvc init"], { cwd: repo, env });
    await replicate(() => new DvcSink(path.join(repo, "dvclive"), MLFLOW_LIMITS));
    const show = async (...args: string[]) => JSON.parse((await exec(dvc, [...args, "--json"], { cwd: repo, env, ...big })).stdout) as unknown;
    const base = "dvclive/vision ü/naïve_run";
    expect(await show("metrics", "show")).toEqual({
      "": { data: { [`${base}/metrics.json`]: { data: { loss: { 训练: -2.5 }, acc: 0.99999, step: 99_999 } } } },
    });
    expect(await show("params", "diff", "--all")).toEqual({
      [`${base}/params.yaml`]: { lr: { old: null, new: 0.001 }, 学习率: { old: null, new: "0.1x" }, late: { old: null, new: "yes" } },
    });
    const plots = (await show("plots", "show")) as { data: Record<string, { content: { data: { values: Record<string, string>[] } } }[]> };
    const pyFloat = (s: string) => (s === "nan" ? Number.NaN : s === "inf" ? Infinity : s === "-inf" ? -Infinity : Number(s));
    for (const [key, file, column] of [
      ["loss/训练", "loss/训练.tsv", "训练"],
      ["acc", "acc.tsv", "acc"],
    ] as const) {
      const want = records().filter((m) => m.key === key);
      const got = plots.data[`${base}/plots/metrics/${file}`]?.[0]?.content.data.values ?? [];
      expect(got.length, key).toBe(want.length);
      for (const [i, w] of want.entries()) {
        const g = got[i] as Record<string, string>;
        if (Number(g["step"]) !== w.step || Number(g["timestamp"]) !== w.timestamp || !Object.is(pyFloat(g[column] as string), w.value)) {
          expect(g, `${key} ${i}`).toMatchObject({ step: String(w.step), timestamp: String(w.timestamp), [column]: String(w.value) });
        }
      }
    }
  }, 300_000);
});

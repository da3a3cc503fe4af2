/**
 * Oracle test of the TensorBoard export: runs logged locally (non-ASCII keys, NaN/±Infinity,
 * values float32 cannot hold exactly, a 100k-point history) are exported with
 * `mltrail sync --to tensorboard:<dir>` (the built CLI), then read back by TensorBoard's own
 * `EventAccumulator` from a cached venv (scripts/tensorboard-venv.mjs, installed on first use).
 * Every point must come back: step, value rounded to float32, wall time to the bit.
 */
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportToTensorBoard, Tracker, type Metric } from "../../src/index.js";
// @ts-expect-error: plain ESM script without type declarations
import { ensureTensorboardVenv } from "../../scripts/tensorboard-venv.mjs";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const main = path.join(root, "dist", "cli", "main.js");
const reader = path.join(import.meta.dirname, "tensorboard-export.py");

interface ScalarLine {
  run: string;
  tag: string;
  step: number;
  wall: string;
  value: string;
}
type Line =
  | ScalarLine
  | { run: string; hparams: Record<string, [string, unknown]>; group: string }
  | { run: string; status: number }
  | { run: string; text: string; value: string };

let python: string;
let work: string;
let store: string;
let tracker: Tracker;
const runIds: Record<string, string> = {};

async function readBack(dir: string): Promise<Line[]> {
  const { stdout } = await exec(python, [reader, dir], { maxBuffer: 512 * 1024 * 1024 });
  return stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
}

const f32 = (hex: string): number => Buffer.from(hex, "hex").readFloatLE(0);
const f64 = (hex: string): number => Buffer.from(hex, "hex").readDoubleLE(0);

beforeAll(async () => {
  if (!fs.existsSync(main)) throw new Error("dist/cli/main.js is missing: run `npx tsup` first (npm test does)");
  python = ((await ensureTensorboardVenv()) as { python: string }).python;
  work = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-tb-"));
  store = path.join(work, "store");
  tracker = new Tracker({ trackingUri: store, experiment: "vision ü", captureContext: false, handleExit: false });
  await tracker.withRun({ name: "naïve/run" }, async (run) => {
    runIds["special"] = run.id;
    run.logParams({ lr: 0.001, optimizer: "adam", 学习率: "0.1x", layers: 3 });
    run.setTag("note", "données ✓");
    const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1, -0, 1e40, 1e-46, 3.4028235677973366e38, -2.5];
    for (const [i, v] of specials.entries()) run.logMetric("loss/训练", v, { step: i * 1_000_000_007, timestamp: 1_764_670_000_123 + i });
    // Out-of-order steps: TensorBoard would drop the later lower step unless written in step order.
    run.logMetric("epoch λ", 0.5, { step: 5 });
    run.logMetric("epoch λ", 0.25, { step: 2 });
  });
  await tracker.withRun({ name: "long" }, async (run) => {
    runIds["long"] = run.id;
    for (let i = 0; i < 100_000; i++) run.logMetric("acc", i / 100_000, { step: i, timestamp: 1_764_670_000_000 + i * 7 });
    await run.end({ status: "FAILED" });
  });
  await tracker.flush();
}, 15 * 60_000);

afterAll(async () => {
  await tracker?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("TensorBoard export read back by TensorBoard's EventAccumulator", () => {
  it("returns every scalar exactly (step, float32 value, wall time), params, status and tags", async () => {
    const out = path.join(work, "tb");
    const { stdout } = await exec(process.execPath, [main, "sync", "--dir", store, "--to", `tensorboard:${out}`, "--json"], { cwd: root });
    expect(JSON.parse(stdout)).toMatchObject({ points: 100_000 + 11 });
    const lines = await readBack(out);
    for (const [name, runId] of Object.entries(runIds)) {
      const run = await tracker.getRun(runId);
      const folder = path.join("vision ü", name === "special" ? "naïve_run" : "long");
      const histories = await tracker.getMetricHistories(runId);
      for (const [key, history] of Object.entries(histories)) {
        const got = lines.filter((l): l is ScalarLine => "tag" in l && l.run === folder && l.tag === key);
        const want = [...history].sort((a: Metric, b: Metric) => a.step - b.step);
        expect(got.length, `${folder} ${key}`).toBe(want.length);
        for (let i = 0; i < want.length; i++) {
          const w = want[i] as Metric;
          const g = got[i] as ScalarLine;
          if (g.step !== w.step || !Object.is(f32(g.value), Math.fround(w.value)) || f64(g.wall) !== w.timestamp / 1000) {
            expect({ step: g.step, value: f32(g.value), wall: f64(g.wall) }, `${key} point ${i}`).toEqual({
              step: w.step,
              value: Math.fround(w.value),
              wall: w.timestamp / 1000,
            });
          }
        }
      }
      const status = lines.find((l) => "status" in l && l.run === folder);
      expect(status, folder).toEqual({ run: folder, status: run.info.status === "FINISHED" ? 1 : 2 });
    }
    expect(lines.find((l) => "hparams" in l && l.run === path.join("vision ü", "naïve_run"))).toEqual({
      run: path.join("vision ü", "naïve_run"),
      group: runIds["special"],
      hparams: { lr: ["number_value", 0.001], optimizer: ["string_value", "adam"], 学习率: ["string_value", "0.1x"], layers: ["number_value", 3] },
    });
    expect(lines).toContainEqual({ run: path.join("vision ü", "naïve_run"), text: "tags/note", value: "données ✓" });
  });

  it("shows the runs in a live TensorBoard's HParams tab with their params, status and final metrics", async () => {
    // Its own runs: TensorBoard's session groups hold the step as int32 (see the README).
    const live = new Tracker({ trackingUri: store, experiment: "hparams é", captureContext: false, handleExit: false });
    await live.withRun({ name: "ok" }, async (run) => {
      run.logParams({ lr: 0.001, optimizer: "adam", 学习率: "0.1x", layers: 3 });
      run.logMetric("loss λ", Number.NaN, { step: 1 });
      run.logMetric("acc", 0.5, { step: 2 });
    });
    await live.withRun({ name: "failed" }, async (run) => {
      run.logMetric("acc", 0.25, { step: 7 });
      await run.end({ status: "FAILED" });
    });
    await live.close();
    const out = path.join(work, "tb-live");
    await exportToTensorBoard(tracker, { outDir: out, experiment: "hparams é" });
    // The module, not the venv's `tensorboard` script: a script's shebang breaks when the cached venv moves.
    const server = spawn(python, ["-m", "tensorboard.main", "--logdir", out, "--host", "127.0.0.1", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = "";
        const onData = (chunk: Buffer): void => {
          text += chunk.toString();
          const m = /TensorBoard [\d.]+ at (http:\/\/127\.0\.0\.1:\d+)\//.exec(text);
          if (m) resolve(m[1] as string);
        };
        server.stdout.on("data", onData);
        server.stderr.on("data", onData);
        server.on("exit", (code) => reject(new Error(`tensorboard exited (${code}): ${text}`)));
        server.on("error", reject);
      });
      const post = async (route: string, body: unknown): Promise<unknown> => {
        const res = await fetch(`${url}/data/plugin/hparams/${route}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        // Until its plugins are loaded the server answers with its HTML page.
        return (res.headers.get("content-type") ?? "").includes("json") ? res.json() : {};
      };
      const statuses = ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"];
      // The server loads the log directory in the background: wait until both runs are in.
      let groups: { sessions: { name: string; status: string }[]; hparams: Record<string, unknown> }[] = [];
      const deadline = Date.now() + 60_000;
      while (groups.length < 2 && Date.now() < deadline) {
        const body = (await post("session_groups", {
          experimentName: "",
          allowedStatuses: statuses,
          startIndex: 0,
          sliceSize: 10,
          colParams: [{ hparam: "lr" }, { hparam: "layers" }],
        })) as { sessionGroups?: typeof groups };
        groups = body.sessionGroups ?? [];
        if (groups.length < 2) await new Promise((r) => setTimeout(r, 200));
      }
      const byRun = Object.fromEntries(groups.map((g) => [g.sessions[0]?.name, { status: g.sessions[0]?.status, hparams: g.hparams }]));
      expect(byRun).toEqual({
        [path.join("hparams é", "ok")]: { status: "STATUS_SUCCESS", hparams: { lr: 0.001, optimizer: "adam", 学习率: "0.1x", layers: 3 } },
        [path.join("hparams é", "failed")]: { status: "STATUS_FAILURE", hparams: {} },
      });
      const experiment = (await post("experiment", { experimentName: "" })) as { metricInfos?: { name: { tag: string } }[] };
      expect(experiment.metricInfos?.map((m) => m.name.tag).sort()).toEqual(["acc", "loss λ"]);
    } finally {
      if (server.exitCode === null) server.kill();
    }
  }, 120_000);

  it("explains a missing folder or run log instead of exporting nothing", async () => {
    const fail = (args: string[]) =>
      exec(process.execPath, [main, "sync", ...args], { cwd: root }).then(
        () => "",
        (e: { code: number; stderr: string }) => `${e.code} ${e.stderr}`,
      );
    expect(await fail(["--dir", store, "--to", "tensorboard:"])).toMatch(/^1 .*give a folder after "tensorboard:"/s);
    expect(await fail(["--dir", path.join(work, "nope"), "--to", `tensorboard:${path.join(work, "x")}`])).toMatch(/^1 .*no local run log to export/s);
    expect(fs.existsSync(path.join(work, "x"))).toBe(false);
  });

  it("replaces a run's earlier export instead of doubling its points", async () => {
    const out = path.join(work, "tb-again");
    const first = await exportToTensorBoard(tracker, { outDir: out, runIds: [runIds["special"] as string] });
    const second = await exportToTensorBoard(tracker, { outDir: out, runIds: [runIds["special"] as string] });
    expect(second.runs[0]?.file).not.toBe(first.runs[0]?.file);
    const files = fs.readdirSync(second.runs[0]?.dir as string).filter((f) => f.includes(".tfevents."));
    expect(files).toEqual([path.basename(second.runs[0]?.file as string)]);
    const scalars = (await readBack(out)).filter((l) => "tag" in l);
    expect(scalars).toHaveLength(11);
  });
});

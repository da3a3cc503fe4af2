/**
 * Oracle test of the DVC export: runs logged locally (non-ASCII keys, NaN/±Infinity, -0, a
 * 100k-point history, keys that cannot all nest) are exported with `mltrail sync --to dvc:<dir>`
 * (the built CLI) into a git repository where `dvc init` ran, then read back by the real `dvc`
 * CLI from a cached venv (scripts/dvc-venv.mjs): `dvc metrics show`, `dvc params diff`,
 * `dvc plots show`, and, for two runs committed one after the other, `dvc metrics diff`,
 * `dvc params diff`, `dvc plots diff` and `dvc exp show`. DVCLive itself writes the same run
 * alongside, and both folders must have the same shape.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { exportToDvc, Tracker } from "../../src/index.js";
// @ts-expect-error: plain ESM script without type declarations
import { ensureDvcVenv } from "../../scripts/dvc-venv.mjs";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const main = path.join(root, "dist", "cli", "main.js");

let dvcBin: string;
let python: string;
let work: string;
let repo: string;
let store: string;
let tracker: Tracker;
const runIds: Record<string, string> = {};
const SPECIALS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1, -0, 1e40, 5e-324, 1.7976931348623157e308, -2.5];

const env = { ...process.env, DVC_NO_ANALYTICS: "1", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
const big = { maxBuffer: 512 * 1024 * 1024 };
const run = (file: string, args: string[], cwd = repo) => exec(file, args, { cwd, env, ...big }).then((r) => r.stdout);
const dvc = async (...args: string[]): Promise<unknown> => JSON.parse(await run(dvcBin, args));
const git = (...args: string[]) => run("git", args);
const sync = (...args: string[]) => run(process.execPath, [main, "sync", "--dir", store, ...args]);

/** A value of a DVCLive TSV or summary as Python's `float()` reads it. */
function pyFloat(v: unknown): number {
  if (typeof v === "number") return v;
  const s = String(v);
  return s === "nan" ? Number.NaN : s === "inf" ? Number.POSITIVE_INFINITY : s === "-inf" ? Number.NEGATIVE_INFINITY : Number(s);
}

beforeAll(async () => {
  if (!fs.existsSync(main)) throw new Error("dist/cli/main.js is missing: run `npx tsup` first (npm test does)");
  ({ dvc: dvcBin, python } = (await ensureDvcVenv()) as { dvc: string; python: string });
  work = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-dvc-"));
  repo = path.join(work, "repo");
  store = path.join(work, "store");
  fs.mkdirSync(repo);
  await git("init", "-q");
  await run(dvcBin, ["init", "-q"]);
  await git("commit", "-qm", "dvc init");
  tracker = new Tracker({ trackingUri: store, experiment: "vision ü", captureContext: false, handleExit: false });
  await tracker.withRun({ name: "naïve/run" }, async (r) => {
    runIds["special"] = r.id;
    r.logParams({ lr: 0.001, optimizer: "adam", 学习率: "0.1x", layers: 3, flag: true, version: "1e3", tricky: "yes" });
    for (const [i, v] of SPECIALS.entries()) r.logMetric("loss/训练", v, { step: i * 1_000_000_007, timestamp: 1_764_670_000_123 + i });
    r.logMetric("a", 1, { step: 0 });
    r.logMetric("a/b", 2, { step: 0 });
    r.logMetric("val:acc", 0.75, { step: 3 });
  });
  await tracker.withRun({ name: "long" }, async (r) => {
    runIds["long"] = r.id;
    for (let i = 0; i < 100_000; i++) r.logMetric("acc", i / 100_000, { step: i, timestamp: 1_764_670_000_000 + i * 7 });
  });
  for (const [name, lr, final] of [
    ["baseline", 0.1, 0.5],
    ["tuned", 0.01, 0.25],
  ] as const) {
    const t = new Tracker({ trackingUri: store, experiment: "diff", captureContext: false, handleExit: false });
    await t.withRun({ name }, async (r) => {
      runIds[name] = r.id;
      r.logParams({ lr, epochs: 2 });
      r.logMetric("loss", 1, { step: 0 });
      r.logMetric("loss", final, { step: 1 });
    });
    await t.close();
  }
  await tracker.flush();
}, 15 * 60_000);

afterAll(async () => {
  await tracker?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("DVC export read back by the dvc CLI", () => {
  it("gives back every summary value, param and plotted point (step, value, timestamp)", async () => {
    const out = await sync("--to", "dvc:runs", "--json");
    expect(JSON.parse(out)).toMatchObject({ points: 100_000 + SPECIALS.length + 3 + 4 });
    const folder = (name: string) => path.posix.join("runs", name === "special" ? "vision ü/naïve_run" : name === "long" ? "vision ü/long" : `diff/${name}`);
    const metrics = (await dvc("metrics", "show", "--json")) as Record<string, { data: Record<string, { data: Record<string, unknown> }> }>;
    const params = (await dvc("params", "diff", "--all", "--json")) as Record<string, Record<string, { old: unknown; new: unknown }>>;
    const plots = (await dvc("plots", "show", "--json")) as { data: Record<string, { content: { data: { values: Record<string, string>[] } } }[]> };
    for (const [name, runId] of Object.entries(runIds)) {
      const record = await tracker.getRun(runId);
      const summary = metrics[""]?.data[`${folder(name)}/metrics.json`]?.data;
      const histories = await tracker.getMetricHistories(runId);
      // Every latest value, found where DVC shows it (nested by "/", or whole when it cannot nest).
      for (const [key, value] of Object.entries(record.data.metrics)) {
        const parts = key.split("/");
        const nested = parts.reduce<unknown>((node, p) => (node as Record<string, unknown> | undefined)?.[p], summary);
        const got = typeof nested === "number" || typeof nested === "string" ? nested : summary?.[key];
        expect(Object.is(pyFloat(got), value), `${name} ${key}: ${String(got)}`).toBe(true);
      }
      const maxStep = Math.max(...Object.values(histories).flatMap((h) => h.map((m) => m.step)));
      expect(summary?.["step"], name).toBe(maxStep);
      // Every param, with its type where it reads as one.
      const got = Object.fromEntries(Object.entries(params[`${folder(name)}/params.yaml`] ?? {}).map(([k, v]) => [k, String(v.new)]));
      expect(got, name).toEqual(record.data.params);
      // Every point of every history, in logged order.
      for (const [key, history] of Object.entries(histories)) {
        const file = `${folder(name)}/plots/metrics/${key.replace(/:/g, "%3A")}.tsv`;
        const values = plots.data[file]?.[0]?.content.data.values ?? [];
        const column = key.slice(key.lastIndexOf("/") + 1);
        expect(values.length, file).toBe(history.length);
        for (const [i, m] of history.entries()) {
          const v = values[i] as Record<string, string>;
          if (Number(v["step"]) !== m.step || Number(v["timestamp"]) !== m.timestamp || !Object.is(pyFloat(v[column]), m.value)) {
            expect(v, `${file} row ${i}`).toEqual({ step: String(m.step), timestamp: String(m.timestamp), [column]: String(m.value), rev: "workspace" });
          }
        }
      }
    }
    expect(params[`${folder("special")}/params.yaml`]).toMatchObject({
      lr: { new: 0.001 },
      layers: { new: 3 },
      flag: { new: true },
      version: { new: "1e3" },
      tricky: { new: "yes" },
    });
  }, 120_000);

  it("diffs two runs committed one after the other, and records one as a DVC experiment", async () => {
    await sync("--to", "dvc:dvclive", "--run", runIds["baseline"] as string);
    await git("add", "-A");
    await git("commit", "-qm", "baseline");
    await sync("--to", "dvc:dvclive", "--run", runIds["tuned"] as string);
    expect(await dvc("metrics", "diff", "--json")).toEqual({ "dvclive/metrics.json": { loss: { old: 0.5, new: 0.25, diff: -0.25 } } });
    expect(await dvc("params", "diff", "--json")).toEqual({ "dvclive/params.yaml": { lr: { old: 0.1, new: 0.01, diff: 0.01 - 0.1 } } });
    const plots = (await dvc("plots", "diff", "--json", "HEAD")) as { data: Record<string, { content: { data: { values: Record<string, string>[] } } }[]> };
    const loss = (plots.data["dvclive/plots/metrics/loss.tsv"]?.[0]?.content.data.values ?? []).map((v) => [v["rev"], v["step"], v["loss"]]);
    expect(loss).toEqual(
      expect.arrayContaining([
        ["HEAD", "1", "0.5"],
        ["workspace", "1", "0.25"],
      ]),
    );
    await run(dvcBin, ["exp", "save", "-n", "tuned"]);
    const table = (await dvc("exp", "show", "--json")) as {
      name: string | null;
      data: { metrics: Record<string, { data: unknown }>; params: Record<string, { data: unknown }> };
      experiments: { revs: { name: string; data: { metrics: Record<string, { data: unknown }>; params: Record<string, { data: unknown }> } }[] }[] | null;
    }[];
    const baseline = table.find((row) => row.experiments !== null && row.experiments.length > 0);
    expect(baseline?.data.metrics["dvclive/metrics.json"]?.data).toEqual({ loss: 0.5, step: 1 });
    const exp = baseline?.experiments?.[0]?.revs[0];
    expect(exp?.name).toBe("tuned");
    expect(exp?.data.metrics["dvclive/metrics.json"]?.data).toEqual({ loss: 0.25, step: 1 });
    expect(exp?.data.params["dvclive/params.yaml"]?.data).toEqual({ lr: 0.01, epochs: 2 });
  }, 120_000);

  it("writes the folder DVCLive writes for the same run", async () => {
    const ours = path.join(work, "ours");
    await exportToDvc(tracker, { outDir: ours, runIds: [runIds["special"] as string] });
    const theirs = path.join(work, "theirs");
    const script = `
import json, sys
from dvclive import Live
spec = json.load(sys.stdin)
with Live(sys.argv[1], dvcyaml=sys.argv[1] + "/dvc.yaml", save_dvc_exp=False) as live:
    live.log_params(spec["params"])
    for key, v in spec["points"]:
        live.log_metric(key, float(v), timestamp=True)
`;
    const record = await tracker.getRun(runIds["special"] as string);
    const histories = await tracker.getMetricHistories(runIds["special"] as string);
    // DVCLive cannot log both `a` and `a/b` (its summary nesting fails on the pair); mltrail keeps
    // "a/b" whole in the summary. DVCLive is given the rest.
    const points = Object.entries(histories)
      .filter(([k]) => k !== "a/b")
      .flatMap(([k, h]) => h.map((m) => [k, String(m.value)]));
    let stderr = "";
    const child = execFile(python, ["-c", script, theirs], { cwd: work, env }, (_e, _o, e) => {
      stderr = e;
    });
    child.stdin?.end(JSON.stringify({ params: record.data.params, points }));
    await new Promise<void>((resolve, reject) => child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`dvclive exited ${code}: ${stderr}`)))));
    const files = (dir: string) =>
      (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile() && !f.startsWith(".mltrail")).sort();
    // The same files, but for `:` in a name (written `%3A`: Windows forbids it).
    const mine = files(ours).filter((f) => f !== path.join("plots", "metrics", "a", "b.tsv"));
    expect(mine).toEqual(files(theirs).map((f) => f.replace(/:/g, "%3A")));
    expect(mine).toContain(path.join("plots", "metrics", "loss", "训练.tsv"));
    expect(parse(fs.readFileSync(path.join(ours, "dvc.yaml"), "utf8"))).toEqual(parse(fs.readFileSync(path.join(theirs, "dvc.yaml"), "utf8")));
    for (const f of mine.filter((f) => f.endsWith(".tsv"))) {
      const header = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), "utf8").split("\n")[0];
      expect(header(ours, f), f).toBe(header(theirs, f.replace(/%3A/g, ":")));
    }
  }, 120_000);

  it("refuses a folder holding DVCLive files it did not write, and replaces its own", async () => {
    const foreign = path.join(work, "foreign");
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, "metrics.json"), "{}\n");
    await expect(exportToDvc(tracker, { outDir: foreign, runIds: [runIds["tuned"] as string] })).rejects.toThrow(/metrics\.json that mltrail did not write/);
    expect(fs.readFileSync(path.join(foreign, "metrics.json"), "utf8")).toBe("{}\n");
    const again = path.join(work, "again");
    await exportToDvc(tracker, { outDir: again, runIds: [runIds["special"] as string] });
    await exportToDvc(tracker, { outDir: again, runIds: [runIds["tuned"] as string] });
    expect(fs.readdirSync(path.join(again, "plots", "metrics"))).toEqual(["loss.tsv"]);
    expect(
      fs
        .readFileSync(path.join(again, "plots", "metrics", "loss.tsv"), "utf8")
        .trim()
        .split("\n"),
    ).toHaveLength(3);
  });
});

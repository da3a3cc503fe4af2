/**
 * The CLI as an MLflow user expects it (`node dist/cli/main.js`; build first with `npx tsup`):
 * `runs list` with params, duration and parent; `runs show` with the experiment's name,
 * datasets and artifacts; `models register` and `models list` with latest versions and
 * aliases; one table style everywhere; download progress with rate and ETA.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const main = path.join(root, "dist", "cli", "main.js");
let store: string;
let parentId: string;
let childId: string;

async function cli(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  // FORCE_COLOR left out, not emptied: Node 22+ warns on stderr when it is set next to NO_COLOR.
  const { FORCE_COLOR: _force, ...env } = process.env;
  return exec(process.execPath, [main, ...args], {
    cwd: store,
    env: { ...env, NO_COLOR: "1", TZ: "UTC", MLFLOW_TRACKING_URI: store },
  });
}

/** The cells of the row whose first cell is `first`, split on the table's two-space gaps. */
function row(out: string, first: string): string[] | undefined {
  return out
    .split("\n")
    .map((l) => l.split(/ {2,}/).map((c) => c.trim()))
    .find((cells) => cells[0] === first);
}

beforeAll(async () => {
  if (!fs.existsSync(main)) throw new Error("dist/cli/main.js is missing: run `npx tsup` first (npm test does)");
  store = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-cli-parity-"));
  const data = path.join(store, "train.csv");
  fs.writeFileSync(data, "x,y\n1,0\n2,1\n");
  const modelDir = path.join(store, "model-src");
  fs.mkdirSync(modelDir);
  // Four equal files: the download's progress crosses each quarter once.
  for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(modelDir, `part-${i}.bin`), Buffer.alloc(256 * 1024, i));
  const tracker = new Tracker({ trackingUri: store, experiment: "parity", captureContext: false, handleExit: false });
  const parent = await tracker.startRun({ name: "sweep", params: { grid: "lr" } });
  const child = await tracker.startRun({ name: "trial-1", parentRunId: parent.id, params: { lr: 0.1, epochs: 3, optimizer: "adam", seed: 7 } });
  child.logMetric("acc", 0.9, { step: 1 });
  await child.logDataset({ name: "train", path: data, context: "training" });
  await child.logModel(modelDir, { artifactPath: "model" });
  await child.logText("hello", "notes/readme.txt");
  await child.end();
  await parent.end();
  parentId = parent.id;
  childId = child.id;
  await tracker.close();
}, 60_000);

afterAll(() => fs.rmSync(store, { recursive: true, force: true }));

describe("mltrail CLI parity", () => {
  it("runs list: params, duration and the parent of nested runs", async () => {
    const { stdout } = await cli(["runs", "list", "-e", "parity"]);
    const header = row(stdout, "id");
    expect(header).toEqual(["id", "name", "status", "started", "duration", "parent", "params", "metrics"]);
    const child = row(stdout, childId);
    expect(child?.[1]).toBe("trial-1");
    expect(child?.[4]).toMatch(/^\d+(ms|s)$/);
    expect(child?.[5]).toBe(parentId);
    expect(child?.[6]).toBe("lr=0.1 epochs=3 optimizer=adam …+1");
    expect(child?.[7]).toBe("acc=0.9");
    expect(row(stdout, parentId)?.[5]).toBe("-");
  });

  it("runs show: the experiment's name, datasets and artifacts", async () => {
    const { stdout } = await cli(["runs", "show", childId]);
    expect(row(stdout, "experiment")?.[1]).toMatch(/^parity \(\d+\)$/);
    expect(row(stdout, "parent")?.[1]).toBe(parentId);
    expect(row(stdout, "duration")?.[1]).toMatch(/^\d+(ms|s)$/);
    const dataset = row(stdout, "train");
    expect(dataset?.[1]).toBe("training");
    expect(dataset?.[2]).toMatch(/^[0-9a-f]{32}$/);
    expect(row(stdout, "model/")).toEqual(["model/"]); // a folder has no size
    expect(row(stdout, "notes/")).toBeDefined();
  });

  it("models register, then models list shows the latest version and aliases", async () => {
    const first = await cli(["models", "register", "churn", "--run", childId, "-r", "baseline", "-a", "champion"]);
    expect(first.stdout).toMatch(/^registered churn 1\.0\.0 .* as champion\n$/);
    const json = JSON.parse((await cli(["models", "register", "churn", "--run", childId, "--json"])).stdout) as { version: string };
    expect(json.version).toBe("1.0.0"); // the same content makes no new version
    const { stdout } = await cli(["models", "list"]);
    expect(row(stdout, "model")).toEqual(["model", "latest", "aliases", "versions", "last release"]);
    const churn = row(stdout, "churn");
    expect(churn?.slice(0, 4)).toEqual(["churn", "1.0.0", "champion→1.0.0", "1"]);
    const bad = await cli(["models", "register", "churn", "--run", childId, "--bump", "huge"]).catch((e: { stderr: string; code: number }) => e);
    expect("code" in bad && bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bump.*must be major, minor or patch/);
  });

  it("one table style: every listing has a dashed rule under its header and no box drawing", async () => {
    const outputs = await Promise.all([
      cli(["experiments"]),
      cli(["runs", "list", "-e", "parity"]),
      cli(["runs", "show", childId]),
      cli(["artifacts", "list", childId, "model"]),
      cli(["models", "list", "churn"]),
      cli(["models", "history", "churn"]),
      cli(["compare", parentId, childId]),
    ]);
    for (const { stdout } of outputs) {
      expect(stdout).not.toMatch(/[┌│─┼└]/);
      expect(stdout.split("\n")[1]).toMatch(/^-+( {2}-+)*$/);
    }
  });

  it("runs delete / restore, experiments delete / restore, gc", async () => {
    const tracker = new Tracker({ trackingUri: store, experiment: "trash", captureContext: false, handleExit: false });
    const ids: string[] = [];
    for (const name of ["keep", "drop"]) {
      const run = await tracker.startRun({ name });
      await run.end();
      ids.push(run.id);
    }
    await tracker.close();
    const [keep, drop] = ids as [string, string];
    expect((await cli(["runs", "delete", drop])).stdout).toBe(`deleted run ${drop}\n`);
    expect(row((await cli(["runs", "list", "-e", "trash"])).stdout, drop)).toBeUndefined();
    expect(row((await cli(["runs", "list", "-e", "trash", "--view", "DELETED_ONLY"])).stdout, drop)?.[2]).toBe("FINISHED (deleted)");
    expect(row((await cli(["runs", "show", drop])).stdout, "status")?.[1]).toMatch(/deleted/);
    await cli(["runs", "restore", drop]);
    expect(row((await cli(["runs", "list", "-e", "trash"])).stdout, drop)?.[2]).toBe("FINISHED");
    expect((await cli(["experiments", "delete", "trash"])).stdout).toMatch(/^deleted experiment trash \(\d+\) and its runs/);
    expect(row((await cli(["experiments"])).stdout, "trash")).toBeUndefined();
    expect((await cli(["experiments", "--view", "ALL"])).stdout).toMatch(/trash \(deleted\)/);
    await cli(["experiments", "restore", "trash"]);
    expect(row((await cli(["runs", "list", "-e", "trash"])).stdout, keep)).toBeDefined();
    await cli(["runs", "delete", drop]);
    expect(JSON.parse((await cli(["gc", "--older-than", "1d", "--json"])).stdout)).toEqual({ runs: [], experiments: [], skipped: [] });
    expect((await cli(["gc"])).stdout).toBe("removed 1 run(s) and 0 experiment(s) for good\n");
    expect(row((await cli(["runs", "list", "-e", "trash", "--view", "ALL"])).stdout, drop)).toBeUndefined();
    const gone = await cli(["runs", "restore", drop]).catch((e: { stderr: string }) => e);
    expect(gone.stderr).toMatch(/not found/);
  });

  it("artifacts get: plain progress lines with rate and ETA when stderr is not a terminal", async () => {
    const dest = path.join(store, "downloaded");
    const { stdout, stderr } = await cli(["artifacts", "get", childId, "model", "-o", dest]);
    expect(stdout).toMatch(/^downloaded model → /);
    const lines = stderr.trim().split("\n");
    // One line as each quarter is passed (progress comes in chunks, so at or after it).
    expect(lines.slice(0, 3).map((l) => Math.floor(Number(l.match(/\((\d+)%\)/)?.[1]) / 25))).toEqual([1, 2, 3]);
    for (const l of lines.slice(0, 3)) expect(l).toMatch(/^download: [\d.]+ [KM]B of 1\.0 MB \(\d+%\), [\d.]+ [KMG]?B\/s, ETA (\d+(ms|s)|-)$/);
    expect(lines.at(-1)).toMatch(/^download: 1\.0 MB in \d+(ms|s) \([\d.]+ [KMG]?B\/s\)$/);
    expect(fs.readFileSync(path.join(dest, "model", "part-3.bin")).length).toBe(256 * 1024);
  });
});

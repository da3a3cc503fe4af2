/**
 * Fuzzing of the `mltrail` command (the built `dist/cli/main.js`, as a user runs it): random
 * commands with random arguments end with exit code 0, 1 or 2 and a one-line message from
 * mltrail or commander — never an uncaught error, a stack trace or an "unexpected" error — and
 * afterwards every run and model of the store still reads back. Few runs: each is a process.
 *
 * Re-run a failure with MLTRAIL_FUZZ_SEED=<seed printed in the failure>.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";

const SEED = Number(process.env["MLTRAIL_FUZZ_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env["MLTRAIL_FUZZ_CLI_RUNS"] ?? 12);
const main = path.resolve(import.meta.dirname, "../../dist/cli/main.js");

let root: string;
let store: string;
let runId: string;

interface Outcome {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [main, ...args],
      { cwd: root, env: { ...process.env, MLFLOW_TRACKING_URI: store, NO_COLOR: "1", MLTRAIL_LOG_LEVEL: "error" }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string; signal?: string }) | null;
        resolve({ code: e === null ? 0 : typeof e.code === "number" ? e.code : null, signal: e?.signal ?? null, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  if (!fs.existsSync(main)) throw new Error("dist/cli/main.js is missing: run `npx tsup` first (npm test does)");
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-fuzz-cli-")));
  store = path.join(root, "store");
  fs.mkdirSync(path.join(root, "model"));
  fs.writeFileSync(path.join(root, "model", "weights.bin"), "0123456789");
  const tracker = new Tracker({ trackingUri: store, experiment: "fuzz", captureContext: false, handleExit: false });
  const run = await tracker.startRun({ name: "seed", params: { lr: 0.1 } });
  run.logMetrics({ loss: 0.5, acc: 0.9 }, { step: 1 });
  const { contentDigest } = await run.logModel(path.join(root, "model"), { artifactPath: "model" });
  await run.end();
  runId = run.id;
  await tracker.registerModel("churn", { runId, contentDigest, rationale: "seed", aliases: ["champion"] });
  await tracker.close();
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe(`fuzzing the CLI (seed ${SEED}, ${RUNS} runs; MLTRAIL_FUZZ_SEED to replay)`, () => {
  it("every command ends with a message and exit code 0, 1 or 2, never an unexpected error", { timeout: 600_000 }, async () => {
    // Strings that name nothing outside the sandbox folder: no absolute paths, no "..", no NUL.
    const word = fc.oneof(
      fc.constantFrom(
        "churn",
        "churn@1.0.0",
        "churn@champion",
        "champion",
        "1.0.0",
        "^1",
        "latest",
        "fuzz",
        "model",
        "loss",
        "acc",
        "metrics.loss < 1",
        "x\ny",
        "😀",
        "",
        "%ZZ",
        "__proto__",
        "-1",
        "0",
        "1e9",
      ),
      fc.string({ maxLength: 10 }).filter((s) => !s.startsWith("/") && !s.includes("..") && !s.includes("\u0000")),
    );
    const arg = fc.oneof({ weight: 3, arbitrary: word }, { weight: 1, arbitrary: fc.constant("<run>") });
    const flag = fc.constantFrom(
      "--json",
      "--view",
      "--older-than",
      "--bump",
      "-e",
      "-f",
      "-o",
      "-n",
      "-m",
      "--min",
      "--max",
      "--expected",
      "--delete",
      "-r",
      "--run",
      "--all-params",
      "--model",
      "--versions",
      "--max-points",
      "--max-runs",
      "--dir",
      "--to",
      "-k",
      "-a",
      "--rank-moved",
      "--share-changed",
      "--fail-on-change",
      "--name",
    );
    const command = fc.constantFrom(
      ["experiments"],
      ["runs", "list"],
      ["runs", "show"],
      ["runs", "delete"],
      ["runs", "restore"],
      ["experiments", "delete"],
      ["experiments", "restore"],
      ["gc"],
      ["models", "register"],
      ["models", "list"],
      ["models", "show"],
      ["models", "history"],
      ["models", "promote"],
      ["models", "alias"],
      ["models", "deprecate"],
      ["models", "explain-diff"],
      ["artifacts", "list"],
      ["artifacts", "get"],
      ["artifacts", "lineage"],
      ["lineage"],
      ["compare"],
      ["report"],
      ["ab", "show"],
      ["sync"],
      ["bogus"],
    );
    const argv = fc.tuple(command, fc.array(fc.oneof(arg, flag), { maxLength: 5 })).map(([cmd, rest]) => [...cmd, ...rest]);
    let last = "";
    await fc
      .assert(
        fc.asyncProperty(argv, async (args) => {
          // --to names the server for `sync`: keep it on a loopback port where nothing listens.
          const concrete = args
            .map((a) => (a === "<run>" ? runId : a))
            .flatMap((a, i, all) => (all[i - 1] === "--to" ? [] : [a]))
            .concat(args.includes("--to") ? ["--to", "http://127.0.0.1:9"] : []);
          const out = await cli(concrete);
          last = `mltrail ${concrete.map((a) => JSON.stringify(a)).join(" ")} → code ${out.code} signal ${out.signal}\nstderr: ${out.stderr}`;
          return (
            out.signal === null &&
            out.code !== null &&
            [0, 1, 2].includes(out.code) &&
            !/unexpected|\n\s+at |TypeError|RangeError|URIError|SyntaxError/.test(out.stderr)
          );
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      )
      .catch((err: unknown) => {
        throw new Error(`CLI fuzz failure with MLTRAIL_FUZZ_SEED=${SEED}:\n${last}\n${String(err)}`);
      });
  });

  it("afterwards every run and model still reads back", async () => {
    const tracker = new Tracker({ trackingUri: store, captureContext: false, handleExit: false });
    try {
      for (const exp of await tracker.listExperiments()) for (const r of await tracker.searchRuns({ experiment: exp.name })) await tracker.getRun(r.info.runId);
      expect((await tracker.getRun(runId)).data.params).toEqual({ lr: "0.1" });
      for (const name of await tracker.listModels()) await tracker.listModelVersions(name);
      expect((await tracker.getModelVersion("churn", "1.0.0")).runId).toBe(runId);
    } finally {
      await tracker.close();
    }
  });
});

/**
 * Fuzzing of the public API: every public method of Tracker and Run gets random arguments of
 * random types (fast-check, seeded). Each call must succeed or fail with an MltrailError
 * subclass — never a TypeError, URIError, raw fs error or a hang — and afterwards every run and
 * model still reads back.
 *
 * Re-run a failure with MLTRAIL_FUZZ_SEED=<seed printed in the failure> (and MLTRAIL_FUZZ_RUNS
 * for a longer session; MLTRAIL_FUZZ_COLLECT=<file> writes every failure there instead of
 * stopping at the first). Strings that look like paths outside the sandbox folder are moved into
 * it, so the fuzzer never reads or writes the machine's files.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import util from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MltrailError } from "../../src/errors.js";
import { Run } from "../../src/run.js";
import { Tracker } from "../../src/tracker.js";

const SEED = Number(process.env["MLTRAIL_FUZZ_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env["MLTRAIL_FUZZ_RUNS"] ?? 150);
const CALL_TIMEOUT_MS = 20_000;

/** Methods declared `private` or `protected` in a source file (both are invisible at run time). */
function privateNames(file: string): Set<string> {
  const source = fs.readFileSync(new URL(file, import.meta.url), "utf8");
  return new Set(
    [...source.matchAll(/^ {2}(?:private|protected) (?:abstract |readonly |async |get |static )*([A-Za-z_$][\w$]*)/gm)].map((m) => m[1] as string),
  );
}

/**
 * Public methods of a class: the functions of its prototype and of its base classes' (each
 * given with its source file), minus the ones a source declares private or protected.
 */
function publicMethods(...chain: readonly (readonly [proto: object, file: string])[]): string[] {
  const names = new Set<string>();
  for (const [proto, file] of chain) {
    const hidden = privateNames(file);
    for (const n of Object.getOwnPropertyNames(proto)) {
      if (n !== "constructor" && !hidden.has(n) && typeof Object.getOwnPropertyDescriptor(proto, n)?.value === "function") names.add(n);
    }
  }
  return [...names];
}

/** Tested once at the end, not fuzzed: it closes the shared tracker. */
const TRACKER_CLOSING = ["close"];
// Tracker inherits the read and comparison calls from TrackerQueries, and the registry calls from its base TrackerModels.
const TRACKER_QUERIES = Object.getPrototypeOf(Tracker.prototype) as object;
const TRACKER_METHODS = publicMethods(
  [Tracker.prototype, "../../src/tracker.ts"],
  [TRACKER_QUERIES, "../../src/tracker/queries-base.ts"],
  [Object.getPrototypeOf(TRACKER_QUERIES) as object, "../../src/tracker/models-base.ts"],
).filter((n) => !TRACKER_CLOSING.includes(n));
// Run inherits the artifact calls (logText, logModel, …) from its base class RunArtifacts.
const RUN_METHODS = publicMethods([Run.prototype, "../../src/run.ts"], [Object.getPrototypeOf(Run.prototype) as object, "../../src/run-artifacts.ts"]);

let root: string;
let sandbox: string;
let previousCwd: string;
let tracker: Tracker;
let seededRun: string;

/** Keeps a string argument from naming anything outside the sandbox (the fuzzer runs as any user). */
function confine(value: unknown, depth = 0): unknown {
  if (typeof value === "string") {
    if (value.includes("\u0000")) return value;
    const resolved = path.resolve(sandbox, value);
    if (resolved === sandbox || resolved.startsWith(`${sandbox}${path.sep}`)) return value;
    return path.join(sandbox, "outside", resolved);
  }
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => confine(v, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  const out: Record<string, unknown> = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) out[k] = confine(v, depth + 1);
  return out;
}

const OPTION_KEYS = [
  "name",
  "experiment",
  "params",
  "tags",
  "parentRunId",
  "description",
  "step",
  "timestamp",
  "runId",
  "status",
  "timeoutMs",
  "filter",
  "orderBy",
  "maxResults",
  "artifactPath",
  "version",
  "bump",
  "changes",
  "signature",
  "contentDigest",
  "prerelease",
  "initial",
  "base",
  "rationale",
  "aliases",
  "output",
  "key",
  "variants",
  "model",
  "ref",
  "path",
  "context",
  "expected",
  "reason",
  "onProgress",
  "direction",
  "runs",
];

function arbitraries(): fc.Arbitrary<unknown[]> {
  const known = fc.constantFrom<unknown>(
    "loss",
    "lr",
    "churn",
    "churn@1.0.0",
    "churn@champion",
    "champion",
    "1.0.0",
    "^1",
    "latest",
    "model",
    "Default",
    "fuzz",
    seededRun,
    "metrics.loss < 1",
    "a\ud800b",
    "\udc00",
    "x\u0000y",
    "x\ny",
    "😀",
    "",
    " ",
    "a//b",
    "..",
    "__proto__",
    "constructor",
    "toString",
    "%ZZ",
    "file.txt",
    "dir/",
    "major",
    "minor",
    "FAILED",
    "KILLED",
    "error",
    "state",
    "rejected",
  );
  const scalar = fc.oneof(
    { weight: 4, arbitrary: known },
    { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
    { weight: 2, arbitrary: fc.integer({ min: -5, max: 2000 }) },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, true, false, 0n, Symbol("fuzz"), () => undefined, new Date(0), new Map(), Number.NaN) },
  );
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      scalar,
      fc.array(tie("value"), { maxLength: 3 }),
      fc.dictionary(fc.oneof(fc.constantFrom(...OPTION_KEYS), fc.string({ maxLength: 6 })), tie("value"), { maxKeys: 4 }),
    ),
  }));
  return fc.array(value, { maxLength: 4 });
}

interface Call {
  readonly on: "tracker" | "run";
  readonly method: string;
  readonly args: unknown[];
}

/** What a call did: nothing to report, or the unexpected outcome in words. */
async function unexpected(receiver: object, call: Call): Promise<string | undefined> {
  const fn = (receiver as Record<string, unknown>)[call.method] as (...args: unknown[]) => unknown;
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = fn.apply(
      receiver,
      call.args.map((a) => confine(a)),
    );
    if (result !== null && typeof result === "object" && typeof (result as { then?: unknown }).then === "function") {
      const hang = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hung for ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
      });
      await Promise.race([result, hang]);
    }
    return undefined;
  } catch (err) {
    if (err instanceof MltrailError) return undefined;
    return err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ""}` : `threw a non-error: ${util.inspect(err)}`;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

function describeCall(call: Call): string {
  return `${call.on}.${call.method}(${call.args.map((a) => util.inspect(a, { depth: 3, breakLength: Infinity })).join(", ")})`;
}

beforeAll(async () => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-fuzz-")));
  sandbox = path.join(root, "cwd");
  fs.mkdirSync(path.join(sandbox, "dir"), { recursive: true });
  fs.writeFileSync(path.join(sandbox, "file.txt"), "hello\n");
  fs.writeFileSync(path.join(sandbox, "dir", "weights.bin"), "0123456789");
  previousCwd = process.cwd();
  process.chdir(sandbox);
  tracker = new Tracker({ trackingUri: path.join(root, "store"), captureContext: false, handleExit: false, experiment: "fuzz", logLevel: "silent" });
  const run = await tracker.startRun({ name: "seed", params: { lr: 0.1 } });
  run.logMetric("loss", 0.5, { step: 1 });
  const { contentDigest } = await run.logModel("dir", { artifactPath: "model" });
  await run.end();
  seededRun = run.id;
  await tracker.registerModel("churn", { runId: run.id, contentDigest, rationale: "seed", aliases: ["champion"] });
});

afterAll(async () => {
  process.chdir(previousCwd);
  await tracker?.close({ timeoutMs: 0 });
  fs.rmSync(root, { recursive: true, force: true });
});

describe(`fuzzing the public API (seed ${SEED}, ${RUNS} runs; MLTRAIL_FUZZ_SEED to replay)`, () => {
  it("fuzzes every public method of Tracker and Run (found from the classes, so new ones are included)", () => {
    for (const name of ["startRun", "searchRuns", "registerModel", "lineage", "flush", "stats"]) expect(TRACKER_METHODS).toContain(name);
    for (const name of ["logParam", "logMetric", "logText", "logModel", "end"]) expect(RUN_METHODS).toContain(name);
    for (const name of ["core", "target", "endAllSync", "commitOpen"]) expect(TRACKER_METHODS).not.toContain(name);
    expect(RUN_METHODS).not.toContain("acceptParam");
  });

  it("every call succeeds or throws an MltrailError; nothing hangs", { timeout: 120_000 }, async () => {
    const argsArb = arbitraries();
    const callArb: fc.Arbitrary<Call> = fc.oneof(
      fc.record({ on: fc.constant("tracker" as const), method: fc.constantFrom<string>(...TRACKER_METHODS), args: argsArb }),
      fc.record({ on: fc.constant("run" as const), method: fc.constantFrom<string>(...RUN_METHODS), args: argsArb }),
    );
    const failures: string[] = [];
    await fc
      .assert(
        fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 4 }), async (calls) => {
          // A fuzzed deleteExperiment("fuzz") (or a gc after it) must not stop the next iteration.
          await tracker.restoreExperiment("fuzz").catch(() => undefined);
          const run: Run = await tracker.startRun({ name: "fuzz" });
          try {
            for (const call of calls) {
              const problem = await unexpected(call.on === "tracker" ? tracker : run, call);
              if (problem !== undefined) {
                failures.push(`${describeCall(call)} → ${problem}`);
                if (process.env["MLTRAIL_FUZZ_COLLECT"] === undefined) return false;
              }
            }
            return true;
          } finally {
            await run.end().catch(() => undefined);
          }
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      )
      .then(
        () => {
          if (process.env["MLTRAIL_FUZZ_COLLECT"] !== undefined) fs.writeFileSync(process.env["MLTRAIL_FUZZ_COLLECT"], failures.join("\n=====\n"));
        },
        (err: unknown) => {
          throw new Error(`fuzz failure with MLTRAIL_FUZZ_SEED=${SEED}:\n${failures.at(-1) ?? ""}\n${String(err)}`);
        },
      );
  });

  it("new Tracker(random options) succeeds or throws an MltrailError", { timeout: 60_000 }, async () => {
    const optionKeys = [
      "trackingUri",
      "experiment",
      "durability",
      "fsyncIntervalMs",
      "commitIntervalMs",
      "writerThread",
      "logLevel",
      "runNameTemplate",
      "namePolicy",
      "mode",
      "spoolDir",
      "auth",
      "requestTimeoutMs",
      "limits",
      "closeTimeoutMs",
      "versionTag",
      "cwd",
      "exitFlushTimeoutMs",
    ];
    const uri = fc.constantFrom<unknown>(
      "http://u:p%ZZ@127.0.0.1:9",
      "http://bob:S3/x@127.0.0.1:9",
      "https://127.0.0.1:9/x",
      "file:///%2F",
      "file://remote/x",
      "sqlite:///x.db",
      "localhost:5000",
      "store",
      "",
      5,
      null,
    );
    const value = fc.oneof(
      uri,
      fc.string({ maxLength: 8 }),
      fc.integer({ min: -1, max: 100_000 }),
      fc.boolean(),
      fc.constantFrom<unknown>(undefined, {}, [], { token: 5 }, { password: "pw", headers: "x" }, /re/, "a\ud800", "x\u0000"),
    );
    const options = fc.oneof(fc.dictionary(fc.constantFrom(...optionKeys), value, { maxKeys: 4 }), fc.constantFrom<unknown>(undefined, null, 5, "x", []));
    let last = "";
    await fc
      .assert(
        fc.asyncProperty(options, async (given) => {
          const opts = confine(given);
          last = util.inspect(opts);
          let t: Tracker | undefined;
          try {
            t = new Tracker(
              opts === undefined || (opts !== null && typeof opts === "object" && !Array.isArray(opts))
                ? { handleExit: false, captureContext: false, drainOnStart: false, logLevel: "silent", ...(opts as object) }
                : (opts as never),
            );
          } catch (err) {
            return err instanceof MltrailError;
          } finally {
            await t?.close({ timeoutMs: 0 });
          }
          return true;
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      )
      .catch((err: unknown) => {
        throw new Error(`fuzz failure with MLTRAIL_FUZZ_SEED=${SEED}: new Tracker(${last})\n${String(err)}`);
      });
  });

  it("afterwards every run and model still reads back", { timeout: 60_000 }, async () => {
    await tracker.flush();
    // Fuzzed lifecycle calls may have deleted (and gc removed) what came before: one run is always there to read.
    await tracker.restoreExperiment("fuzz").catch(() => undefined);
    await tracker.withRun({ name: "afterwards" }, (run) => run.logMetric("loss", 0.25, { step: 1 }));
    const experiments = await tracker.listExperiments();
    expect(experiments.length).toBeGreaterThan(0);
    let runs = 0;
    for (const exp of experiments) {
      for (const r of await tracker.searchRuns({ experiment: exp.name })) {
        const got = await tracker.getRun(r.info.runId);
        expect(got.info.runId).toBe(r.info.runId);
        await tracker.getMetricHistories(r.info.runId);
        runs++;
      }
    }
    expect(runs).toBeGreaterThan(0);
    const models = await tracker.listModels();
    expect(models).toContain("churn");
    for (const name of models) {
      await tracker.listModelVersions(name);
      await tracker.modelHistory(name);
    }
    expect((await tracker.getModelVersion("churn", "1.0.0")).runId).toBe(seededRun);
  });
});

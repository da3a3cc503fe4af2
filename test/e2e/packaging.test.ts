/**
 * The packed package, installed into throwaway consumer projects, loads with `import`, with
 * `require`, and type-checks from TypeScript against the published types.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
let work: string;

async function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  const { stdout } = await run(cmd, args, { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: "" }, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

beforeAll(async () => {
  await fs.access(path.join(root, "dist/index.js")).catch(() => {
    throw new Error("dist/ is missing: run `npm run build` (npm test does) before the system tests");
  });
  work = await fs.mkdtemp(path.join(os.tmpdir(), "mltrail-pack-"));
  const packed = JSON.parse(await sh("npm", ["pack", "--json", "--pack-destination", work], root)) as { filename: string; files: { path: string }[] }[];
  const tarball = path.join(work, packed[0]?.filename ?? "");
  const files = packed[0]?.files.map((f) => f.path) ?? [];
  expect(files).toContain("dist/index.cjs");
  expect(files.some((f) => f.startsWith("src/") || f.startsWith("test/"))).toBe(false);
  await fs.writeFile(path.join(work, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
  await sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], work);
}, 180_000);

afterAll(async () => {
  if (work !== undefined) await fs.rm(work, { recursive: true, force: true });
});

const script = (load: string) => `${load}
(async () => {
  const tracker = new Tracker({ trackingUri: "store", experiment: "pack", captureContext: false });
  const run = await tracker.startRun({ name: "consumer", params: { lr: 0.1 } });
  run.logMetric("loss", 0.5, { step: 1 });
  await run.end();
  const read = await tracker.getRun(run.id);
  await tracker.close();
  console.log(JSON.stringify({ status: read.info.status, loss: read.data.metrics.loss, lr: read.data.params.lr, isError: new ValidationError("f", 1, "r") instanceof MltrailError }));
})();`;

describe("the packed package", () => {
  it("loads with import (ESM)", async () => {
    await fs.writeFile(path.join(work, "esm.mjs"), script(`import { Tracker, ValidationError, MltrailError } from "mltrail";`));
    const out = JSON.parse(await sh("node", ["esm.mjs"], work)) as Record<string, unknown>;
    expect(out).toEqual({ status: "FINISHED", loss: 0.5, lr: "0.1", isError: true });
  });

  it("loads with require (CJS)", async () => {
    await fs.writeFile(path.join(work, "cjs.cjs"), script(`const { Tracker, ValidationError, MltrailError } = require("mltrail");`));
    const out = JSON.parse(await sh("node", ["cjs.cjs"], work)) as Record<string, unknown>;
    expect(out).toEqual({ status: "FINISHED", loss: 0.5, lr: "0.1", isError: true });
  });

  it("type-checks a TypeScript consumer against the published types", async () => {
    const ts = `import { Tracker, type RunRecord, type TrackerOptions } from "mltrail";
const options: TrackerOptions = { experiment: "x", durability: "always" };
const tracker = new Tracker(options);
export async function main(): Promise<number> {
  const run = await tracker.startRun({ params: { lr: 1 } });
  run.logMetric("loss", 1, { step: 1 });
  await run.end();
  const rec: RunRecord = await tracker.getRun(run.id);
  return rec.data.metrics["loss"] ?? 0;
}
// @ts-expect-error unknown options are a type error
new Tracker({ nope: true });
`;
    await fs.writeFile(path.join(work, "consumer.ts"), ts);
    await fs.writeFile(
      path.join(work, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          noEmit: true,
          types: [],
          skipLibCheck: false,
          lib: ["ES2022", "ESNext.Disposable"],
        },
        files: ["consumer.ts"],
      }),
    );
    const tsc = path.join(root, "node_modules/typescript/bin/tsc");
    await expect(sh("node", [tsc, "-p", "tsconfig.json"], work)).resolves.toBeDefined();
    await fs.writeFile(path.join(work, "consumer.ts"), `${ts}\nconst n: string = 1 as number;\n`);
    const failure = await sh("node", [tsc, "-p", "tsconfig.json"], work).then(
      () => "",
      (err: unknown) => String((err as { stdout?: unknown }).stdout),
    );
    expect(failure).toMatch(/consumer\.ts.*TS2322/);
  }, 60_000);

  it("exposes mltrail/tfjs to import and require without TensorFlow.js installed, sharing the SDK's error classes", async () => {
    await fs.writeFile(
      path.join(work, "tfjs-esm.mjs"),
      `import { mltrailCallback, signatureFromModel } from "mltrail/tfjs";
import { ValidationError } from "mltrail";
let shared = false;
try { signatureFromModel({}); } catch (e) { shared = e instanceof ValidationError; }
console.log(JSON.stringify({ callback: typeof mltrailCallback, shared }));`,
    );
    expect(JSON.parse(await sh("node", ["tfjs-esm.mjs"], work))).toEqual({ callback: "function", shared: true });
    await fs.writeFile(path.join(work, "tfjs-cjs.cjs"), `const t = require("mltrail/tfjs"); console.log(typeof t.saveModel);`);
    expect((await sh("node", ["tfjs-cjs.cjs"], work)).trim()).toBe("function");
  });

  it("exposes mltrail/explain to import and require without TensorFlow.js installed, sharing the SDK's error classes", async () => {
    await fs.writeFile(
      path.join(work, "explain-esm.mjs"),
      `import { kernelShap, tfjsPredict } from "mltrail/explain";
import { ValidationError } from "mltrail";
const e = await kernelShap((b) => b.map(([a, c]) => 2 * a - c), [[1, 1]], { background: [[0, 0], [2, 4]] });
let shared = false;
try { await kernelShap(() => [], [[1]], { background: [] }); } catch (err) { shared = err instanceof ValidationError; }
let needsTfjs = "";
try { await tfjsPredict({ predict: () => null })([[1]]); } catch (err) { needsTfjs = err.name; }
console.log(JSON.stringify({ values: e.values[0], base: e.baseValue, shared, needsTfjs }));`,
    );
    expect(JSON.parse(await sh("node", ["explain-esm.mjs"], work))).toEqual({ values: [0, 1], base: 0, shared: true, needsTfjs: "StateError" });
    await fs.writeFile(path.join(work, "explain-cjs.cjs"), `const e = require("mltrail/explain"); console.log(typeof e.permutationImportance);`);
    expect((await sh("node", ["explain-cjs.cjs"], work)).trim()).toBe("function");
  });

  it("type-checks every example against the packed package", async () => {
    // Examples are what users copy: they may import only what the package exports.
    const dir = path.join(work, "examples");
    await fs.mkdir(dir, { recursive: true });
    const examples = (await fs.readdir(path.join(root, "examples"))).filter((f) => f.endsWith(".ts"));
    expect(examples.length).toBeGreaterThan(2);
    for (const f of examples) await fs.copyFile(path.join(root, "examples", f), path.join(dir, f));
    await fs.writeFile(path.join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    // The optional peer, from the project's own install, as a user who has it installed.
    const peer = path.join(dir, "node_modules", "@tensorflow");
    await fs.mkdir(path.dirname(peer), { recursive: true });
    await fs.symlink(path.join(root, "node_modules", "@tensorflow"), peer, "dir");
    const compilerOptions = {
      strict: true,
      module: "NodeNext",
      moduleResolution: "NodeNext",
      target: "ES2022",
      noEmit: true,
      // TensorFlow.js's own declarations do not pass a lib check; ours are checked below.
      skipLibCheck: true,
      lib: ["ES2022", "DOM"],
      types: ["node"],
      typeRoots: [path.join(root, "node_modules/@types")],
    };
    await fs.writeFile(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: examples }));
    const tsc = path.join(root, "node_modules/typescript/bin/tsc");
    const out = await sh("node", [tsc, "-p", "tsconfig.json"], dir).then(
      () => "ok",
      (err: unknown) => String((err as { stdout?: unknown }).stdout),
    );
    expect(out).toBe("ok");
  }, 120_000);

  it("its declarations compile with lib ES2022 when @types/node is present (it declares AsyncDisposable)", async () => {
    const dir = path.join(work, "es2022");
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    await fs.writeFile(
      path.join(dir, "consumer.ts"),
      `import { Tracker, type Run } from "mltrail";\nimport { hash } from "mltrail/ab";\nexport async function main(t: Tracker): Promise<number> {\n  await using run: Run = await t.startRun();\n  run.logMetric("m", 1);\n  return hash("s", "u", 2) ?? 0;\n}\n`,
    );
    const compilerOptions = {
      strict: true,
      module: "NodeNext",
      moduleResolution: "NodeNext",
      target: "ES2022",
      noEmit: true,
      skipLibCheck: false,
      lib: ["ES2022"],
      types: ["node"],
      typeRoots: [path.join(root, "node_modules/@types")],
    };
    await fs.writeFile(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["consumer.ts"] }));
    const out = await sh("node", [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], dir).then(
      () => "ok",
      (err: unknown) => String((err as { stdout?: unknown }).stdout),
    );
    expect(out).toBe("ok");
  }, 60_000);

  it("exposes mltrail/ab, sharing the root's A/B classes", async () => {
    await fs.writeFile(
      path.join(work, "ab.mjs"),
      `import { AbTest, hash, abStats } from "mltrail/ab";
import { AbTest as RootAbTest } from "mltrail";
console.log(JSON.stringify({ same: AbTest === RootAbTest, hash: typeof hash, stats: typeof abStats.welchTTest }));`,
    );
    expect(JSON.parse(await sh("node", ["ab.mjs"], work))).toEqual({ same: true, hash: "function", stats: "function" });
    await fs.writeFile(path.join(work, "ab.cjs"), `const ab = require("mltrail/ab"); console.log(typeof ab.getBucketRanges);`);
    expect((await sh("node", ["ab.cjs"], work)).trim()).toBe("function");
  });

  it("ships a working mltrail command", async () => {
    const out = await sh(path.join(work, "node_modules/.bin/mltrail"), ["--version"], work);
    const pkg = JSON.parse(await fs.readFile(path.join(root, "package.json"), "utf8")) as { version: string };
    expect(out.trim()).toBe(pkg.version);
  });
});

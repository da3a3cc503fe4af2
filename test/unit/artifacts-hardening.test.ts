/**
 * Artifact calls under hostile or unlucky conditions, on real temp folders: parallel writes to
 * one path (the file always matches the last record, downloads verify), a full disk (a real
 * tmpfs when this process may mount one: StorageFullError, no temp files left), hundreds of
 * calls at once under a low open-files limit (a child with `ulimit -n`), and bad arguments that
 * used to throw TypeError, ENAMETOOLONG or EEXIST or overwrite the manifest: each is now a typed
 * error naming the field and the rule, and records nothing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { StorageFullError, ValidationError } from "../../src/errors.js";
import { Tracker } from "../../src/index.js";
import type { Run } from "../../src/run.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

let tmp: string;
let tracker: Tracker;

function newTracker(store: string): Tracker {
  return new Tracker({ trackingUri: store, experiment: "hardening", captureContext: false, handleExit: false, logLevel: "error" });
}

function write(file: string, content: string | Buffer): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

/** Every file under `dir` (relative paths), temp files included. */
function allFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

const debris = (dir: string): string[] => allFiles(dir).filter((f) => /\.(partial|tmp)$/.test(f));

function artifactsDir(store: string, run: Run): string {
  return path.join(store, "experiments", run.experimentId, "runs", run.id, "artifacts");
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error("expected a rejection"),
    (e: unknown) => e,
  );
}

async function expectValidation(promise: Promise<unknown>, field: string, rule: RegExp): Promise<void> {
  const err = await rejection(promise);
  expect(err, String(err)).toBeInstanceOf(ValidationError);
  expect((err as ValidationError).field).toBe(field);
  expect((err as ValidationError).rule).toMatch(rule);
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-hardening-"));
  tracker = newTracker(path.join(tmp, "store"));
});

afterEach(async () => {
  await tracker.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("parallel writes to one artifact path", () => {
  it("every call resolves, the stored file is whole and matches the last record; downloads verify", async () => {
    const contents = Array.from({ length: 12 }, (_, i) => Buffer.alloc(256 * 1024 + i, 65 + i));
    const src = contents.map((c, i) => write(path.join(tmp, "src", String(i), "same.txt"), c));
    const run = await tracker.startRun({ name: "same-path" });
    const results = await Promise.all([
      ...contents.slice(0, 6).map((c) => run.logText(c.toString("latin1"), "same.txt")),
      ...src.slice(6).map((f) => run.logArtifact(f)),
    ]);
    expect(results.map((r) => r.path)).toEqual(Array<string>(12).fill("same.txt"));
    await run.end();

    const stored = fs.readFileSync(path.join(artifactsDir(path.join(tmp, "store"), run), "same.txt"));
    expect(contents.map((c) => sha256(c))).toContain(sha256(stored)); // one call's bytes, whole
    const [entry] = await tracker.listArtifacts(run.id);
    expect(entry).toMatchObject({ path: "same.txt", sha256: sha256(stored), size: stored.length });
    const dest = path.join(tmp, "dl");
    await tracker.downloadArtifacts(run.id, "same.txt", dest);
    expect(sha256(fs.readFileSync(path.join(dest, "same.txt")))).toBe(sha256(stored));
    expect(debris(path.join(tmp, "store"))).toEqual([]);
  });
});

describe("a path in the way", () => {
  it("a file where a folder is needed, and the reverse, are ValidationErrors that record nothing", async () => {
    const run = await tracker.startRun({ name: "in-the-way" });
    await run.logText("a", "a");
    await expectValidation(run.logText("b", "a/b.txt"), "artifactPath", /a file is in the way/);
    await run.logText("c", "dir/c.txt");
    await expectValidation(run.logText("d", "dir"), "artifactPath", /a folder already exists/);
    await run.end();
    expect((await tracker.listArtifacts(run.id)).map((e) => e.path)).toEqual(["dir", "a"]);
    expect(debris(path.join(tmp, "store"))).toEqual([]);
  });

  it("a download target that is an existing file (or has a file in the way) is a ValidationError on dest", async () => {
    const run = await tracker.startRun({ name: "dl-target" });
    await run.logText("w", "model/w.txt");
    await run.end();
    const file = write(path.join(tmp, "target.txt"), "keep me");
    await expectValidation(tracker.downloadArtifacts(run.id, "model", file), "dest", /existing file/);
    expect(fs.readFileSync(file, "utf8")).toBe("keep me");
    const dest = path.join(tmp, "dl");
    write(path.join(dest, "model"), "a file named like the folder");
    await expectValidation(tracker.downloadArtifacts(run.id, "model", dest), "dest", /a file is in the way/);
    expect(debris(dest)).toEqual([]);
  });
});

describe("bad arguments are typed errors naming the field and the rule", () => {
  it("missing options, circular or bigint JSON, long names, the reserved .mltrail/ folder: nothing recorded", async () => {
    const model = write(path.join(tmp, "model", "m.json"), "{}");
    const run = await tracker.startRun({ name: "bad-args" });
    const loose = run as unknown as { logDataset(o?: unknown): Promise<unknown>; logModel(d: string, o?: unknown): Promise<unknown> };
    await expectValidation(loose.logDataset(), "logDataset options", /must be an object/);
    await expectValidation(loose.logDataset(null), "logDataset options", /must be an object/);
    await expectValidation(loose.logModel(path.dirname(model)), "logModel options", /must be an object/);
    await expectValidation(loose.logModel(path.dirname(model), {}), "artifactPath", /string/);
    // Too long for the model's tag key (mltrail.model/<artifactPath>): rejected before any file is logged.
    const tooLong = await rejection(run.logModel(path.dirname(model), { artifactPath: "m".repeat(240) }));
    expect(tooLong).toBeInstanceOf(ValidationError);
    const circular: Record<string, unknown> = { a: 1 };
    circular["self"] = circular;
    await expectValidation(run.logJSON(circular, "c.json"), "value", /circular/);
    await expectValidation(run.logJSON({ n: 10n }, "b.json"), "value", /bigint/);
    await expectValidation(run.logDataset({ name: "d", digest: "x", schema: { n: 1n } }), "dataset schema", /bigint/);
    await expectValidation(run.logText("x", "x".repeat(300)), "artifactPath", /255 bytes/);
    await expectValidation(run.logArtifact(model, { artifactPath: `ok/${"y".repeat(300)}` }), "artifactPath", /255 bytes/);
    await expectValidation(run.logText("{}", ".mltrail/manifest.json"), "artifactPath", /reserved/);
    await expectValidation(run.logJSON({}, ".MLTRAIL/x.json"), "artifactPath", /reserved/);
    await expectValidation(run.logArtifact(model, { artifactPath: ".mltrail" }), "artifactPath", /reserved/);
    const withManifest = path.join(tmp, "folder");
    write(path.join(withManifest, "ok.txt"), "ok");
    write(path.join(withManifest, ".mltrail", "manifest.json"), '{"forged":true}');
    await expectValidation(run.logArtifacts(withManifest), "artifactPath", /reserved/);
    // Under another folder the name is the user's own.
    expect((await run.logArtifacts(withManifest, { artifactPath: "copy" })).map((f) => f.path)).toEqual(["copy/.mltrail/manifest.json", "copy/ok.txt"]);
    await run.end();
    expect(allFiles(artifactsDir(path.join(tmp, "store"), run))).toEqual([path.join("copy", ".mltrail", "manifest.json"), path.join("copy", "ok.txt")]);
    expect(await tracker.getRunDatasets(run.id)).toEqual([]);
  });
});

describe("too many open files", () => {
  it.skipIf(process.platform === "win32")("hundreds of artifact calls at once succeed under ulimit -n 160", { timeout: 240_000 }, () => {
    const child = path.join(root, "test", "fixtures", "artifacts", "many-files-child.ts");
    const out = spawnSync("sh", ["-c", `ulimit -n 160 && exec "${process.execPath}" --import tsx "${child}" "${tmp}"`], {
      cwd: root,
      encoding: "utf8",
      timeout: 240_000,
    });
    expect(out.status, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout.trim().split("\n").at(-1) ?? "{}") as { resolved: number; failedCount: number; failed: string[]; listed: number };
    expect(result.failed).toEqual([]);
    expect(result).toMatchObject({ resolved: 315, failedCount: 0, listed: 300 });
  });
});

/** Mounts a tmpfs of `size` at a new folder when this process may (root on Linux); else undefined. */
function mountTmpfs(size: string): string | undefined {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
    return dir;
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

describe("a full disk", () => {
  let disk: string | undefined;
  beforeAll(() => {
    disk = mountTmpfs("1m");
  });
  afterAll(() => {
    if (disk === undefined) return;
    execFileSync("umount", [disk]);
    fs.rmSync(disk, { recursive: true, force: true });
  });

  it("logText and logArtifact throw StorageFullError, leave no temp file, and the run goes on", async (ctx) => {
    if (disk === undefined) ctx.skip("cannot mount a tmpfs here (needs root on Linux)");
    const store = path.join(disk as string, "store");
    const full = newTracker(store);
    try {
      const run = await full.startRun({ name: "disk-full" });
      await run.logText("small", "small.txt");
      const big = "x".repeat(2 * 1024 * 1024);
      const e1 = await rejection(run.logText(big, "big.txt"));
      expect(e1, String(e1)).toBeInstanceOf(StorageFullError);
      expect((e1 as StorageFullError).code).toBe("ENOSPC");
      const bigFile = write(path.join(tmp, "big.bin"), Buffer.alloc(2 * 1024 * 1024, 7));
      const e2 = await rejection(run.logArtifact(bigFile));
      expect(e2, String(e2)).toBeInstanceOf(StorageFullError);
      expect(debris(store)).toEqual([]);
      await run.logText("after", "after.txt"); // space is back once the temp file is gone
      await run.end();
      expect((await full.listArtifacts(run.id)).map((e) => e.path)).toEqual(["after.txt", "small.txt"]);
    } finally {
      await full.close();
    }
  });
});

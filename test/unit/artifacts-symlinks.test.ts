/**
 * One rule for every local entry given to logArtifact, logArtifacts, logModel and logDataset,
 * on real temp folders with real symlinks: links are followed (to files and folders, inside or
 * outside the folder); dangling links, loops and special files (FIFO, socket, device) are a
 * SourceEntryError naming the full path; nothing is ever skipped, and a rejected call records
 * nothing. The regression case is the Hugging Face cache layout: a snapshot folder whose files
 * are all symlinks into `blobs/`.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SourceEntryError } from "../../src/artifacts/errors.js";
import { dvcDigest } from "../../src/artifacts/digest.js";
import { ValidationError } from "../../src/errors.js";
import { Tracker } from "../../src/index.js";

const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

let tmp: string;
let tracker: Tracker;

function write(file: string, content: string | Buffer): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

/** Every entry under `dir` with its kind as lstat sees it ("file", "dir", "link"). */
function entriesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel === "" ? e.name : `${rel}/${e.name}`;
      out.push(`${child}:${e.isSymbolicLink() ? "link" : e.isDirectory() ? "dir" : "file"}`);
      if (e.isDirectory()) walk(child);
    }
  };
  if (fs.existsSync(dir)) walk("");
  return out.sort();
}

/**
 * A Hugging Face hub cache for one model: `blobs/<sha256>` holds the bytes, and
 * `snapshots/<revision>/` holds only symlinks into it (`../../blobs/<sha256>`). Returns the
 * snapshot folder, the one users pass to logModel.
 */
function hfSnapshot(revision: string, files: Record<string, string | Buffer>): string {
  const repo = path.join(tmp, "hub", "models--acme--churn");
  const snapshot = path.join(repo, "snapshots", revision);
  for (const [rel, content] of Object.entries(files)) {
    const blob = write(path.join(repo, "blobs", sha256(content)), content);
    const link = path.join(snapshot, ...rel.split("/"));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.relative(path.dirname(link), blob), link);
  }
  return snapshot;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error("expected a rejection"),
    (e: unknown) => e,
  );
}

/** Asserts a SourceEntryError for `entryPath` with the given problem; returns it. */
async function expectEntryError(promise: Promise<unknown>, entryPath: string, problem: SourceEntryError["problem"]): Promise<SourceEntryError> {
  const err = await rejection(promise);
  expect(err).toBeInstanceOf(SourceEntryError);
  expect(err).toBeInstanceOf(ValidationError);
  const e = err as SourceEntryError;
  expect(e.path).toBe(entryPath);
  expect(e.problem).toBe(problem);
  expect(e.message).toContain(JSON.stringify(entryPath)); // the full path, never shortened
  return e;
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-symlinks-"));
  tracker = new Tracker({ trackingUri: path.join(tmp, "store"), experiment: "symlinks", captureContext: false, handleExit: false, logLevel: "error" });
});

afterEach(async () => {
  await tracker.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(process.platform === "win32")("links are followed, never skipped", () => {
  it("a Hugging Face snapshot (every file a symlink) logs every file; a retrained model gets a new digest and a new version", async () => {
    const weightsV1 = Buffer.alloc(4096, 1);
    const snap1 = hfSnapshot("rev1", { "config.json": '{"layers":2}', "model.safetensors": weightsV1, "tokenizer/vocab.txt": "a\nb\n" });
    expect(entriesUnder(snap1).filter((e) => e.endsWith(":link"))).toHaveLength(3);

    const run1 = await tracker.startRun({ name: "train-1" });
    const m1 = await run1.logModel(snap1, { artifactPath: "model" });
    await run1.end();
    expect(m1.files.map((f) => f.path)).toEqual(["model/config.json", "model/model.safetensors", "model/tokenizer/vocab.txt"]);
    expect(m1.files.find((f) => f.path === "model/model.safetensors")).toMatchObject({ sha256: sha256(weightsV1), size: 4096 });
    const v1 = await tracker.registerModel("churn", { runId: run1.id });
    expect(v1.contentDigest).toBe(m1.contentDigest);

    // Retrained: same config, new weights (a new blob, the link now points to it).
    const snap2 = hfSnapshot("rev2", { "config.json": '{"layers":2}', "model.safetensors": Buffer.alloc(4096, 2), "tokenizer/vocab.txt": "a\nb\n" });
    const run2 = await tracker.startRun({ name: "train-2" });
    const m2 = await run2.logModel(snap2, { artifactPath: "model" });
    await run2.end();
    expect(m2.contentDigest).not.toBe(m1.contentDigest);
    const v2 = await tracker.registerModel("churn", { runId: run2.id });
    expect(v2.version).not.toBe(v1.version);
    expect(v2.runId).toBe(run2.id);

    // The stored copies are regular files holding the targets' bytes, and download verified.
    const dest = path.join(tmp, "dl");
    await tracker.downloadArtifacts(run2.id, "model", dest);
    expect(entriesUnder(dest)).toEqual(
      [
        "model:dir",
        "model/MLmodel:file",
        "model/config.json:file",
        "model/model.safetensors:file",
        "model/tokenizer:dir",
        "model/tokenizer/vocab.txt:file",
      ].sort(),
    );
    expect(fs.readFileSync(path.join(dest, "model", "model.safetensors"))).toEqual(Buffer.alloc(4096, 2));
  });

  it("logArtifacts follows links to files outside the folder and to folders, under the link's name", async () => {
    const outside = write(path.join(tmp, "elsewhere", "shared.txt"), "shared");
    write(path.join(tmp, "elsewhere", "lib", "x.txt"), "x");
    const dir = path.join(tmp, "out");
    write(path.join(dir, "real.txt"), "real");
    fs.symlinkSync(outside, path.join(dir, "abs-link.txt"));
    fs.symlinkSync("real.txt", path.join(dir, "rel-link.txt"));
    fs.symlinkSync(path.join(tmp, "elsewhere", "lib"), path.join(dir, "libdir"));

    const run = await tracker.startRun({ name: "links" });
    const logged = await run.logArtifacts(dir, { artifactPath: "o" });
    const single = await run.logArtifact(path.join(dir, "abs-link.txt"));
    await run.end();
    expect(logged.map((f) => [f.path, f.sha256])).toEqual([
      ["o/abs-link.txt", sha256("shared")],
      ["o/libdir/x.txt", sha256("x")],
      ["o/real.txt", sha256("real")],
      ["o/rel-link.txt", sha256("real")],
    ]);
    expect(single).toEqual({ path: "abs-link.txt", sha256: sha256("shared"), size: 6 });
    expect((await tracker.listArtifacts(run.id, "o")).map((e) => e.path)).toEqual(["o/libdir", "o/abs-link.txt", "o/real.txt", "o/rel-link.txt"]);
  });

  it("two links to the same folder are not a loop: both are logged", async () => {
    write(path.join(tmp, "shared", "w.bin"), "w");
    const dir = path.join(tmp, "twice");
    fs.mkdirSync(dir);
    fs.symlinkSync(path.join(tmp, "shared"), path.join(dir, "a"));
    fs.symlinkSync(path.join(tmp, "shared"), path.join(dir, "b"));
    const run = await tracker.startRun({ name: "diamond" });
    expect((await run.logArtifacts(dir)).map((f) => f.path)).toEqual(["a/w.bin", "b/w.bin"]);
    await run.end();
  });

  it("datasets: a linked folder counts with its files (a changed file behind the link changes the digest)", async () => {
    const data = path.join(tmp, "data");
    write(path.join(data, "train.csv"), "a,b\n");
    write(path.join(tmp, "raw", "part-0.csv"), "1,2\n");
    fs.symlinkSync(path.join(tmp, "raw"), path.join(data, "raw"));
    const d1 = await dvcDigest(data);
    expect(d1.files.map((f) => f.relpath)).toEqual(["raw/part-0.csv", "train.csv"]);
    write(path.join(tmp, "raw", "part-0.csv"), "1,3\n");
    const d2 = await dvcDigest(data);
    expect(d2.md5).not.toBe(d1.md5);
    expect(d2.sha256).not.toBe(d1.sha256);
  });
});

describe.skipIf(process.platform === "win32")("dangling links, loops and special files are typed errors that record nothing", () => {
  it("a dangling link inside a model folder: SourceEntryError naming the path and the missing target", async () => {
    const dir = path.join(tmp, "model");
    write(path.join(dir, "config.json"), "{}");
    fs.symlinkSync("../blobs/gone", path.join(dir, "weights.bin"));
    const run = await tracker.startRun({ name: "dangling" });
    const e = await expectEntryError(run.logModel(dir, { artifactPath: "model" }), path.join(dir, "weights.bin"), "dangling-link");
    expect(e.message).toContain("../blobs/gone");
    await expectEntryError(run.logArtifact(path.join(dir, "weights.bin")), path.join(dir, "weights.bin"), "dangling-link");
    await expectEntryError(run.logDataset({ name: "d", path: dir }), path.join(dir, "weights.bin"), "dangling-link");
    await run.end();
    expect(await tracker.listArtifacts(run.id)).toEqual([]);
    expect(await tracker.getRunDatasets(run.id)).toEqual([]);
    expect((await tracker.getRun(run.id)).data.tags["mltrail.model/model"]).toBeUndefined();
  });

  it("a link to a parent folder and a link cycle (a → b → a) are loops", async () => {
    const dir = path.join(tmp, "loop");
    write(path.join(dir, "sub", "f.txt"), "f");
    fs.symlinkSync("..", path.join(dir, "sub", "up"));
    const run = await tracker.startRun({ name: "loops" });
    await expectEntryError(run.logArtifacts(dir), path.join(dir, "sub", "up"), "link-loop");
    await expectEntryError(run.logDataset({ name: "d", path: dir }), path.join(dir, "sub", "up"), "link-loop");

    const cyc = path.join(tmp, "cycle");
    write(path.join(cyc, "ok.txt"), "ok");
    fs.symlinkSync("b", path.join(cyc, "a"));
    fs.symlinkSync("a", path.join(cyc, "b"));
    await expectEntryError(run.logArtifacts(cyc), path.join(cyc, "a"), "link-loop");
    await run.end();
    expect(await tracker.listArtifacts(run.id)).toEqual([]);
  });

  it("a FIFO or a socket inside a folder, and a device as a dataset, are rejected (no hang)", async () => {
    const dir = path.join(tmp, "special");
    write(path.join(dir, "a.txt"), "a");
    execFileSync("mkfifo", [path.join(dir, "pipe")]);
    const run = await tracker.startRun({ name: "special" });
    const fifo = await expectEntryError(run.logArtifacts(dir), path.join(dir, "pipe"), "not-file-or-folder");
    expect(fifo.rule).toMatch(/FIFO/);
    await expectEntryError(run.logModel(dir, { artifactPath: "m" }), path.join(dir, "pipe"), "not-file-or-folder");
    await expectEntryError(run.logDataset({ name: "d", path: dir }), path.join(dir, "pipe"), "not-file-or-folder");
    fs.rmSync(path.join(dir, "pipe"));

    const server = net.createServer();
    const sock = path.join(dir, "s.sock");
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const e = await expectEntryError(run.logArtifacts(dir), sock, "not-file-or-folder");
      expect(e.rule).toMatch(/socket/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }

    const zero = await expectEntryError(run.logDataset({ name: "zeros", path: "/dev/zero" }), "/dev/zero", "not-file-or-folder");
    expect(zero.rule).toMatch(/character device/);
    fs.symlinkSync("/dev/zero", path.join(tmp, "zero-link"));
    await expectEntryError(run.logDataset({ name: "zeros", path: path.join(tmp, "zero-link") }), path.join(tmp, "zero-link"), "not-file-or-folder");
    await expectEntryError(run.logArtifact("/dev/zero"), "/dev/zero", "not-file-or-folder");
    await run.end();
    expect(await tracker.listArtifacts(run.id)).toEqual([]);
    expect(await tracker.getRunDatasets(run.id)).toEqual([]);
  });
});

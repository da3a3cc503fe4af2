/**
 * Artifacts, datasets and lineage through a SERVER tracker (the shared real MLflow 3.18), checked
 * through MLflow's own REST API: files staged in the spool and uploaded by the replicator through
 * the `mlflow-artifacts` proxy, the manifest, dataset inputs (log-inputs); downloads from a
 * different tracker with an empty spool (so the bytes really come from the server); a 1 GB file
 * with bounded RSS; an upload interrupted by an outage (fault proxy) completing after it; lineage
 * from a registered version back to data and commit.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";
import type { TrackerOptions } from "../../src/index.js";
import { reset, startFaultProxy, status, type FaultProxy } from "../support/fault-proxy.js";
import { mlflowGet, mlflowUri, uniqueName } from "../support/mlflow.js";

const MB = 1024 * 1024;
const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

let tmp: string;
const trackers: Tracker[] = [];

function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(tmp, `${name}-`));
}

function write(file: string, content: string | Buffer): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  if (fs.existsSync(dir)) walk("");
  return out.sort();
}

/** A server tracker on its own spool; closed in afterAll. */
function serverTracker(experiment: string, extra: TrackerOptions = {}): Tracker {
  const t = new Tracker({
    trackingUri: mlflowUri(),
    spoolDir: tempDir("spool"),
    experiment,
    captureContext: false,
    handleExit: false,
    logLevel: "error",
    replicationIntervalMs: 50,
    retryBaseMs: 20,
    retryMaxMs: 500,
    requestTimeoutMs: 120_000,
    ...extra,
  });
  trackers.push(t);
  return t;
}

async function flushed(t: Tracker, timeoutMs = 60_000): Promise<void> {
  const r = await t.flush({ timeoutMs });
  expect(r.pending, "everything acknowledged by the server").toBe(0);
  expect(r.rejected).toBe(0);
}

/** `runs/get` from the server. */
async function serverRun(runId: string): Promise<{
  info: { artifact_uri: string; status: string };
  data: { tags?: { key: string; value: string }[] };
  inputs?: { dataset_inputs?: { dataset: Record<string, string>; tags?: { key: string; value: string }[] }[] };
}> {
  return (await mlflowGet("runs/get", { run_id: runId })).run;
}

/** `artifacts/list` from the server: [path, is_dir, size]. */
async function serverList(runId: string, p?: string): Promise<[string, boolean, number | undefined][]> {
  const res = await mlflowGet<{ files?: { path: string; is_dir: boolean; file_size?: number | string }[] }>("artifacts/list", { run_id: runId, path: p });
  return (res.files ?? []).map((f) => [f.path, f.is_dir, f.file_size === undefined ? undefined : Number(f.file_size)]);
}

/** Proxy URL path of a run's artifact on the server. */
async function proxiedPath(runId: string, rel: string): Promise<string> {
  const uri = (await serverRun(runId)).info.artifact_uri;
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)$/.exec(uri);
  if (m === null) throw new Error(`artifact URI ${uri} is not proxied`);
  const base = (m[1] ?? "").split("/").filter((s) => s !== "");
  return `/api/2.0/mlflow-artifacts/artifacts/${[...base, ...rel.split("/")].map(encodeURIComponent).join("/")}`;
}

/** GET of a proxied artifact straight from the server, streamed: status, sha256, size (and the text when small). */
async function serverFile(runId: string, rel: string): Promise<{ status: number; sha256: string; size: number; text: string }> {
  const url = new URL(mlflowUri() + (await proxiedPath(runId, rel)));
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const hash = createHash("sha256");
        let size = 0;
        const small: Buffer[] = [];
        res.on("data", (c: Buffer) => {
          hash.update(c);
          size += c.length;
          if (size <= MB) small.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, sha256: hash.digest("hex"), size, text: Buffer.concat(small).toString("utf8") }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/** Writes `mb` MiB of random bytes, 1 MiB at a time; returns the sha256. */
async function bigFile(file: string, mb: number): Promise<string> {
  const hash = createHash("sha256");
  const out = fs.createWriteStream(file);
  for (let i = 0; i < mb; i++) {
    const chunk = randomBytes(MB);
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return hash.digest("hex");
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file, { highWaterMark: MB })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-artifacts-tracker-"));
});

afterAll(async () => {
  for (const t of trackers) await t.close({ timeoutMs: 2_000 }).catch(() => undefined);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("round trip through a server tracker", () => {
  const experiment = uniqueName("artifacts-rt");
  let runId: string;
  let spoolArtifacts: string;
  const SIGNATURE = { inputs: [{ name: "x", dtype: "float32" }], outputs: [{ name: "p", dtype: "float32" }] };
  const COMMIT = "89abcdef0123456789abcdef0123456789abcdef";
  let modelDigest: string;
  let dataFile: string;

  beforeAll(async () => {
    const src = tempDir("src");
    const single = write(path.join(src, "report.html"), "<h1>ok</h1>\n");
    const out = path.join(src, "out");
    write(path.join(out, "a.txt"), "A");
    write(path.join(out, "sub", "b.txt"), "BB");
    write(path.join(out, "sub", "été données.bin"), Buffer.from([0, 1, 2, 255]));
    write(path.join(out, "empty.txt"), "");
    const model = path.join(src, "model");
    write(path.join(model, "model.json"), '{"layers":2}');
    write(path.join(model, "weights.bin"), Buffer.from([9, 9, 9]));
    dataFile = write(path.join(src, "data", "train.csv"), "foo");

    const tracker = serverTracker(experiment);
    const run = await tracker.startRun({ name: "round-trip", params: { lr: 0.1 } });
    run.setTag("mlflow.source.git.commit", COMMIT);
    await run.logArtifact(single, { artifactPath: "reports" });
    await run.logArtifacts(out, { artifactPath: "outputs" });
    await run.logText("hello\n", "notes.txt");
    await run.logJSON({ threshold: 0.4 }, "config/params.json");
    modelDigest = (await run.logModel(model, { artifactPath: "model", signature: SIGNATURE, flavor: "test" })).contentDigest;
    await run.logDataset({ name: "train", path: dataFile, context: "training", schema: { cols: ["x"] } });
    await run.logDataset({
      name: "holdout",
      digest: "0123456789abcdef0123456789abcdef0123456789",
      source: "s3://bucket/holdout",
      sourceType: "s3",
      context: "test",
    });
    await run.end();
    await flushed(tracker);
    runId = run.remoteId ?? run.id;
    spoolArtifacts = path.join(tracker.options.spoolDir, "experiments", run.experimentId, "runs", run.id, "artifacts");
  });

  it("stages the files in the spool run folder", () => {
    expect(filesUnder(spoolArtifacts)).toEqual([
      "config/params.json",
      "model/MLmodel",
      "model/model.json",
      "model/weights.bin",
      "notes.txt",
      "outputs/a.txt",
      "outputs/empty.txt",
      "outputs/sub/b.txt",
      "outputs/sub/été données.bin",
      "reports/report.html",
    ]);
  });

  it("the server lists every file (artifacts/list) and serves its bytes through the proxy", async () => {
    const root = await serverList(runId);
    expect(
      root
        .filter(([, isDir]) => isDir)
        .map(([p]) => p)
        .sort(),
    ).toEqual([".mltrail", "config", "model", "outputs", "reports"]);
    expect(root.filter(([, isDir]) => !isDir).map(([p, , size]) => [p, size])).toEqual([["notes.txt", 6]]);
    expect((await serverList(runId, "outputs/sub")).map(([p, , size]) => [p, size]).sort()).toEqual([
      ["outputs/sub/b.txt", 2],
      ["outputs/sub/été données.bin", 4],
    ]);
    expect((await serverFile(runId, "reports/report.html")).text).toBe("<h1>ok</h1>\n");
    expect((await serverFile(runId, "outputs/sub/été données.bin")).sha256).toBe(sha256(Buffer.from([0, 1, 2, 255])));
    const empty = await serverFile(runId, "outputs/empty.txt");
    expect([empty.status, empty.size]).toEqual([200, 0]);
    expect(JSON.parse((await serverFile(runId, "config/params.json")).text)).toEqual({ threshold: 0.4 });
  });

  it("the manifest on the server holds the sha256 and size of every file", async () => {
    const manifest = JSON.parse((await serverFile(runId, ".mltrail/manifest.json")).text) as { files: Record<string, { sha256: string; size: number }> };
    expect(Object.keys(manifest.files).sort()).toEqual(filesUnder(spoolArtifacts));
    expect(manifest.files["notes.txt"]).toEqual({ sha256: sha256("hello\n"), size: 6 });
  });

  it("datasets are MLflow dataset inputs with context and digest tags (runs/get)", async () => {
    const run = await serverRun(runId);
    const inputs = run.inputs?.dataset_inputs ?? [];
    const byName = new Map(inputs.map((i) => [i.dataset["name"], i]));
    expect([...byName.keys()].sort()).toEqual(["holdout", "train"]);
    const train = byName.get("train");
    expect(train?.dataset).toMatchObject({
      name: "train",
      digest: "acbd18db4cc2f85cedef654fccc4a4d8",
      source_type: "local",
      source: dataFile,
      schema: '{"cols":["x"]}',
    });
    const trainTags = Object.fromEntries((train?.tags ?? []).map((t) => [t.key, t.value]));
    expect(trainTags).toMatchObject({ "mlflow.data.context": "training", "mltrail.digest": "acbd18db4cc2f85cedef654fccc4a4d8" });
    const holdout = byName.get("holdout");
    expect(holdout?.dataset).toMatchObject({ source_type: "s3", source: "s3://bucket/holdout" });
    // MLflow's digest column is short; the full digest survives in the tag.
    expect(Object.fromEntries((holdout?.tags ?? []).map((t) => [t.key, t.value]))).toMatchObject({
      "mlflow.data.context": "test",
      "mltrail.digest": "0123456789abcdef0123456789abcdef0123456789",
    });
  });

  it("a different tracker with an empty spool lists, downloads (verified) and reads the datasets from the server", async () => {
    const other = serverTracker(experiment);
    const listed = await other.listArtifacts(runId, "outputs");
    expect(listed.map((e) => [e.path, e.isDir])).toEqual([
      ["outputs/sub", true],
      ["outputs/a.txt", false],
      ["outputs/empty.txt", false],
    ]);
    expect(listed.find((e) => e.path === "outputs/a.txt")?.sha256).toBe(sha256("A"));
    // The server's listing reads like the spool's (the logging tracker answers from its spool):
    // folders first, the manifest folder hidden.
    const fromServer = await other.listArtifacts(runId);
    const fromSpool = await (trackers[0] as Tracker).listArtifacts(runId);
    expect(fromServer.map((e) => [e.path, e.isDir])).toEqual(fromSpool.map((e) => [e.path, e.isDir]));
    expect(fromServer.map((e) => e.path)).toEqual(["config", "model", "outputs", "reports", "notes.txt"]);

    const dest = tempDir("download");
    const progress: number[] = [];
    const got = await other.downloadArtifacts(runId, "outputs", dest, { onProgress: (done) => progress.push(done) });
    expect(got).toBe(path.join(dest, "outputs"));
    expect(filesUnder(dest)).toEqual(["outputs/a.txt", "outputs/empty.txt", "outputs/sub/b.txt", "outputs/sub/été données.bin"]);
    expect(fs.readFileSync(path.join(dest, "outputs", "sub", "b.txt"), "utf8")).toBe("BB");
    expect(progress.at(-1)).toBe(7);

    const fileDest = tempDir("download-file");
    const file = await other.downloadArtifacts(runId, "reports/report.html", fileDest);
    expect(file).toBe(path.join(fileDest, "reports", "report.html"));
    expect(fs.readFileSync(file, "utf8")).toBe("<h1>ok</h1>\n");
    // The other tracker's spool stayed empty of this run: the bytes came from the server.
    expect(filesUnder(other.options.spoolDir).filter((f) => f.includes(runId))).toEqual([]);

    const datasets = await other.getRunDatasets(runId);
    expect(datasets.map((d) => [d.name, d.digest, d.context]).sort()).toEqual([
      ["holdout", "0123456789abcdef0123456789abcdef0123456789", "test"],
      ["train", "acbd18db4cc2f85cedef654fccc4a4d8", "training"],
    ]);
  });

  it("a file changed on the server after its manifest: the download throws CHECKSUM and leaves no file", async () => {
    const url = mlflowUri() + (await proxiedPath(runId, "outputs/a.txt"));
    const put = await fetch(url, { method: "PUT", body: "Z" }); // same size, other byte
    expect(put.status).toBe(200);
    const other = serverTracker(experiment);
    const dest = tempDir("download-corrupt");
    await expect(other.downloadArtifacts(runId, "outputs/a.txt", dest)).rejects.toMatchObject({ code: "CHECKSUM" });
    expect(filesUnder(dest)).toEqual([]);
    await expect(other.downloadArtifacts(runId, "outputs", dest)).rejects.toMatchObject({ code: "CHECKSUM" });
    expect(filesUnder(dest)).not.toContain("outputs/a.txt");
    expect(filesUnder(dest).some((f) => f.includes(".partial"))).toBe(false);
  });

  it("lineage from a registered version back to data and commit on the server backend", async () => {
    const tracker = trackers[0] as Tracker;
    const model = uniqueName("lineage-clf");
    const mv = await tracker.registerModel(model, { runId, rationale: "server lineage" });
    expect(mv.contentDigest).toBe(modelDigest);
    expect(mv.signature).toEqual(SIGNATURE);

    const reader = serverTracker(experiment);
    const lineage = await reader.lineage(`${model}@${mv.version}`);
    expect(lineage.modelVersion).toMatchObject({ name: model, version: mv.version, contentDigest: modelDigest });
    expect(lineage.run).toMatchObject({ runId, name: "round-trip", status: "FINISHED", params: { lr: "0.1" } });
    expect(lineage.code.gitCommit).toBe(COMMIT);
    expect(lineage.datasets.map((d) => [d.name, d.digest, d.context, d.source]).sort()).toEqual([
      ["holdout", "0123456789abcdef0123456789abcdef0123456789", "test", "s3://bucket/holdout"],
      ["train", "acbd18db4cc2f85cedef654fccc4a4d8", "training", dataFile],
    ]);
    // Same model files again: no new version.
    const again = await tracker.registerModel(model, { runId });
    expect(again.version).toBe(mv.version);
  });
});

describe.skipIf(process.platform === "win32")("a symlinked model folder (Hugging Face cache layout)", () => {
  /** `blobs/<sha256>` holds the bytes; `snapshots/<rev>/` only symlinks into it, plus a linked folder. */
  function snapshot(root: string, rev: string, files: Record<string, string | Buffer>): string {
    const snap = path.join(root, "snapshots", rev);
    for (const [rel, content] of Object.entries(files)) {
      const blob = write(path.join(root, "blobs", sha256(content)), content);
      const link = path.join(snap, ...rel.split("/"));
      fs.mkdirSync(path.dirname(link), { recursive: true });
      fs.symlinkSync(path.relative(path.dirname(link), blob), link);
    }
    write(path.join(root, "shared-tokenizer", "vocab.txt"), "a\nb\n");
    fs.symlinkSync(path.join(root, "shared-tokenizer"), path.join(snap, "tokenizer"));
    return snap;
  }

  it("every linked file reaches the server and comes back verified; retrained weights make a new release", async () => {
    const hub = tempDir("hub");
    const weights1 = randomBytes(64 * 1024);
    const snap1 = snapshot(hub, "rev1", { "config.json": '{"layers":2}', "model.safetensors": weights1 });
    const tracker = serverTracker(uniqueName("artifacts-symlinks"));
    const run1 = await tracker.startRun({ name: "hf-1" });
    const m1 = await run1.logModel(snap1, { artifactPath: "model" });
    await run1.end();
    await flushed(tracker);
    const remote1 = run1.remoteId ?? run1.id;

    expect(m1.files.map((f) => f.path)).toEqual(["model/config.json", "model/model.safetensors", "model/tokenizer/vocab.txt"]);
    expect((await serverList(remote1, "model")).map(([p, isDir]) => [p, isDir])).toEqual([
      ["model/MLmodel", false],
      ["model/config.json", false],
      ["model/model.safetensors", false],
      ["model/tokenizer", true],
    ]);
    const served = await serverFile(remote1, "model/model.safetensors");
    expect(served).toMatchObject({ status: 200, sha256: sha256(weights1), size: weights1.length });
    const manifest = JSON.parse((await serverFile(remote1, ".mltrail/manifest.json")).text) as { files: Record<string, { sha256: string }> };
    expect(Object.keys(manifest.files).sort()).toEqual(["model/MLmodel", "model/config.json", "model/model.safetensors", "model/tokenizer/vocab.txt"]);

    const reader = serverTracker(uniqueName("artifacts-symlinks-reader"));
    const dest = tempDir("hf-download");
    await reader.downloadArtifacts(remote1, "model", dest);
    expect(filesUnder(dest)).toEqual(["model/MLmodel", "model/config.json", "model/model.safetensors", "model/tokenizer/vocab.txt"]);
    expect(fs.lstatSync(path.join(dest, "model", "model.safetensors")).isFile()).toBe(true);
    expect(await sha256File(path.join(dest, "model", "model.safetensors"))).toBe(sha256(weights1));

    const name = uniqueName("hf-clf");
    const v1 = await tracker.registerModel(name, { runId: remote1 });
    expect(v1.contentDigest).toBe(m1.contentDigest);
    // Retrained: new weights behind the same link name.
    const snap2 = snapshot(tempDir("hub2"), "rev2", { "config.json": '{"layers":2}', "model.safetensors": randomBytes(64 * 1024) });
    const run2 = await tracker.startRun({ name: "hf-2" });
    const m2 = await run2.logModel(snap2, { artifactPath: "model" });
    await run2.end();
    await flushed(tracker);
    expect(m2.contentDigest).not.toBe(m1.contentDigest);
    const v2 = await tracker.registerModel(name, { runId: run2.remoteId ?? run2.id });
    expect(v2.version).not.toBe(v1.version);
    expect(v2.contentDigest).toBe(m2.contentDigest);
  });
});

describe("a 1 GB artifact", () => {
  it("uploads and downloads with RSS growth < 150 MB", { timeout: 900_000 }, async (ctx) => {
    const free = fs.statfsSync(tmp);
    const freeBytes = Number(free.bavail) * Number(free.bsize);
    if (freeBytes < 4 * 1024 * MB) {
      console.warn(`SKIPPED (visible): the 1 GB artifact test needs 4 GB free in ${os.tmpdir()}, only ${(freeBytes / 1024 / MB).toFixed(1)} GB available`);
      ctx.skip();
      return;
    }
    const experiment = uniqueName("artifacts-1g");
    const src = tempDir("big");
    const file = path.join(src, "big.bin");
    const t0 = Date.now();
    const expected = await bigFile(file, 1024);
    const tGen = Date.now();

    (globalThis as { gc?: () => void }).gc?.();
    const start = process.memoryUsage().rss;
    let peak = start;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    let runId: string;
    let tUp: number;
    const dest = tempDir("big-download");
    try {
      const tracker = serverTracker(experiment);
      const run = await tracker.startRun({ name: "big" });
      const info = await run.logArtifact(file, { artifactPath: "blobs" });
      expect(info).toEqual({ path: "blobs/big.bin", sha256: expected, size: 1024 * MB });
      await run.end();
      await flushed(tracker, 600_000);
      tUp = Date.now();
      runId = run.remoteId ?? run.id;
      const other = serverTracker(experiment);
      const got = await other.downloadArtifacts(runId, "blobs/big.bin", dest);
      expect(got).toBe(path.join(dest, "blobs", "big.bin"));
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const tDown = Date.now();
    const growthMb = (peak - start) / MB;
    console.info(
      `1 GB artifact: generate ${((tGen - t0) / 1000).toFixed(1)} s, log+upload ${((tUp - tGen) / 1000).toFixed(1)} s, download ${((tDown - tUp) / 1000).toFixed(1)} s, RSS growth ${growthMb.toFixed(1)} MB`,
    );
    expect(growthMb).toBeLessThan(150);
    expect(fs.statSync(path.join(dest, "blobs", "big.bin")).size).toBe(1024 * MB);
    expect(await sha256File(path.join(dest, "blobs", "big.bin"))).toBe(expected);
    const onServer = await serverFile(runId, "blobs/big.bin");
    expect([onServer.size, onServer.sha256]).toEqual([1024 * MB, expected]);
    fs.rmSync(src, { recursive: true, force: true });
    fs.rmSync(dest, { recursive: true, force: true });
  });
});

describe("an upload interrupted by a server outage", () => {
  let proxy: FaultProxy;

  beforeAll(async () => {
    proxy = await startFaultProxy(mlflowUri());
  });

  afterAll(async () => {
    await proxy?.close();
  });

  it("completes after the outage, with the file intact on the server", async () => {
    const experiment = uniqueName("artifacts-outage");
    const src = tempDir("outage");
    const file = path.join(src, "weights.bin");
    const expected = await bigFile(file, 8);
    const tracker = serverTracker(experiment, { trackingUri: proxy.url });
    const run = await tracker.startRun({ name: "outage" });
    const runId = run.remoteId ?? run.id;

    // The outage: artifact PUTs get 503 or a reset, alternately, for 3 s.
    let n = 0;
    const isPut = (req: { method: string; path: string }): boolean => req.method === "PUT" && req.path.includes("/mlflow-artifacts/");
    const removeRule = proxy.use(isPut, () => (n++ % 2 === 0 ? status(503) : reset));
    const outageStart = Date.now();
    await run.logArtifact(file, { artifactPath: "model" });
    await run.logText("small", "notes/small.txt");
    await run.end();
    const during = await tracker.flush({ timeoutMs: 1_500 });
    expect(during.pending, "nothing can be acknowledged during the outage").toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, Math.max(0, 3_000 - (Date.now() - outageStart))));
    removeRule();
    const failedPuts = proxy.events.filter((e) => e.method === "PUT" && e.path.includes("/mlflow-artifacts/") && e.fault !== "pass").length;
    expect(failedPuts).toBeGreaterThanOrEqual(2);
    expect(proxy.count(undefined, "status")).toBeGreaterThan(0);
    expect(proxy.count(undefined, "reset")).toBeGreaterThan(0);

    await flushed(tracker, 60_000);
    const passedPuts = proxy.events.filter((e) => e.method === "PUT" && e.path.includes("/mlflow-artifacts/") && e.fault === "pass" && e.status === 200);
    expect(passedPuts.length).toBeGreaterThanOrEqual(3); // two files and the manifest
    const big = await serverFile(runId, "model/weights.bin");
    expect([big.status, big.size, big.sha256]).toEqual([200, 8 * MB, expected]);
    expect((await serverFile(runId, "notes/small.txt")).text).toBe("small");
    const manifest = JSON.parse((await serverFile(runId, ".mltrail/manifest.json")).text) as { files: Record<string, { sha256: string }> };
    expect(manifest.files["model/weights.bin"]?.sha256).toBe(expected);
    expect((await serverRun(runId)).info.status).toBe("FINISHED");
  });
});

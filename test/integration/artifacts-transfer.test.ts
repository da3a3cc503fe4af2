/**
 * Artifact transfer through the real MLflow server's artifact proxy: streamed upload and
 * download with bounded memory, listing, verified downloads, traversal rejected.
 * The 1 GB variant runs only with env MLTRAIL_BIG_TESTS=1.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { ChecksumError, downloadFile, listArtifacts, uploadFile } from "../../src/remote/artifacts.js";
import { createHttpClient } from "../../src/remote/http.js";
import type { StreamingHttpClient as HttpClient } from "../../src/remote/http.js";
import { createExperiment, mlflowPost, mlflowUri } from "../support/mlflow.js";

const MB = 1024 * 1024;
let http: HttpClient;
let dir: string;
let runId: string;
let artifactUri: string;

/** Writes `mb` MiB of random data in 1 MiB chunks (bounded memory); returns its sha256. */
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

/** Runs `fn` while sampling RSS every 20 ms; returns the growth over the starting RSS, bytes. */
async function rssGrowth(fn: () => Promise<unknown>): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.();
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage.rss()) - start;
}

const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

beforeAll(async () => {
  http = createHttpClient({ trackingUri: mlflowUri(), timeoutMs: 120_000 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-artifacts-it-"));
  const { experimentId } = await createExperiment("artifacts");
  const res = await mlflowPost<{ run: { info: { run_id: string; artifact_uri: string } } }>("runs/create", {
    experiment_id: experimentId,
    start_time: Date.now(),
  });
  runId = res.run.info.run_id;
  artifactUri = res.run.info.artifact_uri;
});
afterAll(() => {
  http?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("artifact proxy round trip", () => {
  it("the run's artifact URI is proxied", () => {
    expect(artifactUri).toMatch(/^mlflow-artifacts:/);
  });

  it("uploads small files (including an empty one and a non-ASCII name), lists and downloads them", async () => {
    const files: Record<string, string> = { "hello.txt": "hello\n", "nested/dir/été données.json": '{"a":1}', "empty.bin": "" };
    for (const [rel, content] of Object.entries(files)) {
      const local = path.join(dir, `src-${sha256(rel).slice(0, 8)}`);
      fs.writeFileSync(local, content);
      const progress: number[] = [];
      const sent = await uploadFile(http, artifactUri, rel, local, { onProgress: (done) => progress.push(done) });
      expect(sent).toBe(Buffer.byteLength(content));
      if (content !== "") expect(progress.at(-1)).toBe(Buffer.byteLength(content));
    }
    const root = await listArtifacts(http, runId);
    expect(root.map((e) => [e.path, e.isDir]).sort()).toEqual([
      ["empty.bin", false],
      ["hello.txt", false],
      ["nested", true],
    ]);
    expect(root.find((e) => e.path === "hello.txt")?.size).toBe(6);
    const nested = await listArtifacts(http, runId, "nested/dir");
    expect(nested).toEqual([{ path: "nested/dir/été données.json", isDir: false, size: 7 }]);
    for (const [rel, content] of Object.entries(files)) {
      const dest = path.join(dir, "down", ...rel.split("/"));
      const got = await downloadFile(http, artifactUri, rel, dest, { expectedSha256: sha256(content), expectedSize: Buffer.byteLength(content) });
      expect(got).toEqual({ sha256: sha256(content), size: Buffer.byteLength(content) });
      expect(fs.readFileSync(dest, "utf8")).toBe(content);
    }
  });

  it("detects a corrupted download and leaves no file behind", async () => {
    const local = path.join(dir, "genuine.txt");
    fs.writeFileSync(local, "genuine content");
    await uploadFile(http, artifactUri, "check/genuine.txt", local);
    const destDir = path.join(dir, "corrupt");
    const dest = path.join(destDir, "genuine.txt");
    const bySha = await downloadFile(http, artifactUri, "check/genuine.txt", dest, { expectedSha256: sha256("tampered content") }).catch((e: unknown) => e);
    expect(bySha).toBeInstanceOf(ChecksumError);
    expect(bySha).toMatchObject({ code: "CHECKSUM" });
    const bySize = await downloadFile(http, artifactUri, "check/genuine.txt", dest, { expectedSize: 3 }).catch((e: unknown) => e);
    expect(bySize).toBeInstanceOf(ChecksumError);
    expect(fs.readdirSync(destDir)).toEqual([]);
  });

  it("a missing artifact is a 404 and leaves no file", async () => {
    const destDir = path.join(dir, "missing");
    await expect(downloadFile(http, artifactUri, "no/such/file", path.join(destDir, "x"))).rejects.toMatchObject({ status: 404 });
    expect(fs.readdirSync(destDir)).toEqual([]);
  });

  it("rejects traversal before anything is sent", async () => {
    const local = path.join(dir, "t.txt");
    fs.writeFileSync(local, "x");
    for (const bad of ["../escape.txt", "a/../../b", "/abs", "a\\b", "a\0b"]) {
      await expect(uploadFile(http, artifactUri, bad, local)).rejects.toBeInstanceOf(ValidationError);
      await expect(downloadFile(http, artifactUri, bad, path.join(dir, "t-out"))).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(listArtifacts(http, runId, "../..")).rejects.toBeInstanceOf(ValidationError);
  });

  const sizes = process.env.MLTRAIL_BIG_TESTS === "1" ? [200, 1024] : [200];
  it.each(sizes)(
    "streams a %i MiB file both ways with RSS growth < 150 MB",
    async (mb) => {
      const local = path.join(dir, `big-${mb}.bin`);
      const expected = await bigFile(local, mb);
      const rel = `big/file-${mb}.bin`;
      const up = await rssGrowth(() => uploadFile(http, artifactUri, rel, local));
      expect(up).toBeLessThan(150 * MB);
      const listed = await listArtifacts(http, runId, "big");
      expect(listed.find((e) => e.path === rel)?.size).toBe(mb * MB);
      fs.rmSync(local);
      const dest = path.join(dir, `big-down-${mb}.bin`);
      let result: { sha256: string; size: number } | undefined;
      const down = await rssGrowth(async () => {
        result = await downloadFile(http, artifactUri, rel, dest, { expectedSha256: expected, expectedSize: mb * MB });
      });
      expect(down).toBeLessThan(150 * MB);
      expect(result).toEqual({ sha256: expected, size: mb * MB });
      expect(fs.statSync(dest).size).toBe(mb * MB);
      fs.rmSync(dest);
    },
    600_000,
  );
});

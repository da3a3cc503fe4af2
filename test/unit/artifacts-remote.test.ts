/**
 * The artifact proxy client against a nock-ed server: URL mapping, retries that re-read the
 * file, the "not proxied" error, auth headers, no secret in errors, verified downloads.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../../src/errors.js";
import { ArtifactsNotProxiedError, ChecksumError, artifactUrlPath, downloadFile, listArtifacts, uploadFile } from "../../src/remote/artifacts.js";
import { createHttpClient } from "../../src/remote/http.js";

// nock 15 calls Promise.withResolvers (Node >= 22); Node 20 lacks it: a shim for this process only.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value<T>(): { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void } {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

const HOST = "http://mlflow.test";
const URI = "mlflow-artifacts:/7/abc/artifacts";
const FAST = { retry: { retries: 3, baseMs: 1, maxMs: 2 } };
let dir: string;

beforeAll(() => {
  nock.disableNetConnect();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-artremote-"));
});
afterEach(() => nock.cleanAll());
afterAll(() => {
  nock.enableNetConnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("artifactUrlPath", () => {
  it.each([
    ["mlflow-artifacts:/1/r/artifacts", "a.txt", "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/a.txt"],
    ["mlflow-artifacts:///1/r/artifacts", "d/a b#?.txt", "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/d/a%20b%23%3F.txt"],
    ["mlflow-artifacts://host:5000/1/r/artifacts/", "é", "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/%C3%A9"],
    ["mlflow-artifacts:/1/r/artifacts", "", "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts"],
  ])("%s + %j", (uri, rel, expected) => {
    expect(artifactUrlPath(uri, rel)).toBe(expected);
  });

  it.each(["file:///srv/mlruns/1/r/artifacts", "s3://bucket/1/r/artifacts", "dbfs:/databricks/mlflow", "/srv/mlruns/1"])("%s is not proxied", (uri) => {
    expect(() => artifactUrlPath(uri, "a")).toThrow(ArtifactsNotProxiedError);
    expect(() => artifactUrlPath(uri, "a")).toThrow(/does not proxy artifacts \(--serve-artifacts\)/);
  });
});

describe("uploadFile", () => {
  it("PUTs the bytes with Content-Length and auth, retrying a 500 with the file re-read", async () => {
    const file = path.join(dir, "up.bin");
    fs.writeFileSync(file, "payload-123");
    const bodies: string[] = [];
    const scope = nock(HOST, { reqheaders: { authorization: "Bearer tok-secret-1", "content-length": "11" } })
      .put("/api/2.0/mlflow-artifacts/artifacts/7/abc/artifacts/m/up.bin", (b: string) => (bodies.push(b), true))
      .reply(500, "boom")
      .put("/api/2.0/mlflow-artifacts/artifacts/7/abc/artifacts/m/up.bin", (b: string) => (bodies.push(b), true))
      .reply(200, "{}");
    const http = createHttpClient({ trackingUri: HOST, token: "tok-secret-1" });
    expect(await uploadFile(http, URI, "m/up.bin", file, FAST)).toBe(11);
    // nock may run a body matcher more than once per request; what matters is that every
    // attempt sent the whole file again and that both interceptors (500, then 200) were used.
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    expect(new Set(bodies)).toEqual(new Set(["payload-123"]));
    scope.done();
  });

  it("turns the --no-serve-artifacts 503 into a clear, non-retried error", async () => {
    const file = path.join(dir, "np.bin");
    fs.writeFileSync(file, "x");
    const text =
      "Endpoint: /api/2.0/mlflow-artifacts/artifacts/<path:artifact_path> disabled due to the mlflow server running with `--no-serve-artifacts`. To enable artifacts server functionality, run `mlflow server` with `--serve-artifacts`";
    const scope = nock(HOST).put(/.*/).once().reply(503, text);
    const err = await uploadFile(createHttpClient({ trackingUri: HOST }), URI, "np.bin", file, FAST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactsNotProxiedError);
    expect(err).toMatchObject({ code: "ARTIFACTS_NOT_PROXIED" });
    scope.done();
  });

  it("never puts a credential in an error", async () => {
    const file = path.join(dir, "sec.bin");
    fs.writeFileSync(file, "x");
    nock(HOST).put(/.*/).reply(403, "denied for Bearer tok-very-secret");
    const err = await uploadFile(createHttpClient({ trackingUri: HOST, token: "tok-very-secret" }), URI, "sec.bin", file, FAST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(String((err as Error).message)).not.toContain("tok-very-secret");
    expect(String((err as Error).stack)).not.toContain("tok-very-secret");
  });
});

describe("downloadFile", () => {
  const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

  it("retries a 502 and a 429, verifies and renames into place", async () => {
    const p = "/api/2.0/mlflow-artifacts/artifacts/7/abc/artifacts/d.txt";
    nock(HOST).get(p).reply(502, "bad gateway").get(p).reply(429, "slow down", { "Retry-After": "0" }).get(p).reply(200, "content", { "Content-Length": "7" });
    const dest = path.join(dir, "dl", "d.txt");
    expect(await downloadFile(createHttpClient({ trackingUri: HOST }), URI, "d.txt", dest, { ...FAST, expectedSha256: sha("content") })).toEqual({
      sha256: sha("content"),
      size: 7,
    });
    expect(fs.readFileSync(dest, "utf8")).toBe("content");
    expect(fs.readdirSync(path.dirname(dest))).toEqual(["d.txt"]);
  });

  it("rejects a mismatch and leaves nothing (an existing file stays as it was)", async () => {
    nock(HOST).get(/.*/).reply(200, "tampered");
    const dest = path.join(dir, "dl2", "e.txt");
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, "old");
    const err = await downloadFile(createHttpClient({ trackingUri: HOST }), URI, "e.txt", dest, { ...FAST, expectedSha256: sha("genuine") }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChecksumError);
    expect(fs.readdirSync(path.dirname(dest))).toEqual(["e.txt"]);
    expect(fs.readFileSync(dest, "utf8")).toBe("old");
  });
});

describe("listArtifacts", () => {
  it("follows pages and validates server paths", async () => {
    nock(HOST)
      .get("/api/2.0/mlflow/artifacts/list")
      .query({ run_id: "r1", path: "m" })
      .reply(200, { root_uri: URI, files: [{ path: "m/a", is_dir: false, file_size: 3 }], next_page_token: "t1" })
      .get("/api/2.0/mlflow/artifacts/list")
      .query({ run_id: "r1", path: "m", page_token: "t1" })
      .reply(200, { files: [{ path: "m/sub", is_dir: true }] });
    expect(await listArtifacts(createHttpClient({ trackingUri: HOST }), "r1", "m")).toEqual([
      { path: "m/a", isDir: false, size: 3 },
      { path: "m/sub", isDir: true },
    ]);
    nock(HOST)
      .get(/.*/)
      .reply(200, { files: [{ path: "../../etc/passwd", is_dir: false }] });
    await expect(listArtifacts(createHttpClient({ trackingUri: HOST }), "r1")).rejects.toThrow(/\.\. segments/);
  });

  it("a server repeating a page token is an error, not a silently shorter listing", async () => {
    nock(HOST)
      .get("/api/2.0/mlflow/artifacts/list")
      .query({ run_id: "r1" })
      .reply(200, { files: [{ path: "a", is_dir: false }], next_page_token: "t1" })
      .get("/api/2.0/mlflow/artifacts/list")
      .query({ run_id: "r1", page_token: "t1" })
      .reply(200, { files: [{ path: "b", is_dir: false }], next_page_token: "t1" });
    await expect(listArtifacts(createHttpClient({ trackingUri: HOST }), "r1")).rejects.toMatchObject({ code: "BAD_RESPONSE" });
  });
});

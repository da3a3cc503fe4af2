/**
 * Artifact uploads survive SIGKILL: a child (test/fixtures/artifacts/upload-child.mjs, on the
 * built dist/) logs a few artifacts, one of 100 MB, a model and a dataset to a server tracker and
 * ends the run; it is SIGKILLed while the large upload is in flight (a loopback fault proxy holds
 * that PUT, so the kill lands mid-upload every time). A new Tracker on the same spool (drainOnStart)
 * completes the uploads; the server then holds every file with the right sha256, the manifest,
 * the dataset input, and one run, FINISHED.
 *
 * Starts its own MLflow 3.18 server (scripts/mlflow-server.mjs); skipped with a visible message
 * when no Python is available.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "mltrail"; // the built package (self-reference); types from src for tsc
import { Child, requireDist, tempStore } from "../fixtures/crash/harness.js";
import { loadMlflowServerModule } from "../setup/mlflow.global.js";
import { startFaultProxy, stall, type FaultProxy } from "../support/fault-proxy.js";
import { until } from "../support/wait.js";

const MB = 1024 * 1024;
const BIG_MB = 100;
const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

let server: { url: string; stop(): Promise<void> } | undefined;
let skipReason: string | undefined;
let proxy: FaultProxy | undefined;
let tmp: { root: string; cleanup(): void };

async function api<T>(method: "GET" | "POST", apiPath: string, body?: unknown): Promise<T> {
  const url = `${server?.url ?? ""}/api/2.0/mlflow/${apiPath}`;
  const res = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${apiPath} -> HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Every file of a run on the server (artifacts/list, recursively): path → size. */
async function serverFiles(runId: string, dir?: string): Promise<Map<string, number>> {
  const q = new URLSearchParams({ run_id: runId, ...(dir === undefined ? {} : { path: dir }) });
  const res = await api<{ files?: { path: string; is_dir: boolean; file_size?: number | string }[] }>("GET", `artifacts/list?${q.toString()}`);
  const out = new Map<string, number>();
  for (const f of res.files ?? []) {
    if (f.is_dir) for (const [p, s] of await serverFiles(runId, f.path)) out.set(p, s);
    else out.set(f.path, Number(f.file_size ?? 0));
  }
  return out;
}

/** sha256 and size of a proxied artifact, streamed from the server. */
async function serverSha256(artifactUri: string, rel: string): Promise<{ status: number; sha256: string; size: number; text: string }> {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)$/.exec(artifactUri);
  if (m === null) throw new Error(`artifact URI ${artifactUri} is not proxied`);
  const segments = [...(m[1] ?? "").split("/").filter((s) => s !== ""), ...rel.split("/")].map(encodeURIComponent);
  const url = new URL(`${server?.url ?? ""}/api/2.0/mlflow-artifacts/artifacts/${segments.join("/")}`);
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

async function writeBig(file: string, mb: number): Promise<string> {
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

beforeAll(async () => {
  requireDist();
  tmp = tempStore("artifacts-resume");
  const mod = await loadMlflowServerModule();
  if ((await mod.findPython()) === null) {
    skipReason = "python3 (>= 3.10) was not found, so no MLflow server can be started";
    process.stderr.write(`\nSKIPPED test/crash/artifacts-resume.test.ts: ${skipReason}\n`);
    return;
  }
  const started = Date.now();
  server = await mod.startMlflowServer({ log: (message) => process.stderr.write(`[mlflow] ${message}\n`) });
  process.stderr.write(`[artifacts-resume] MLflow server up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  proxy = await startFaultProxy(server.url);
}, 300_000);

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  tmp?.cleanup();
});

describe("artifact uploads interrupted by SIGKILL", () => {
  it("complete on the next start, every file on the server with the right sha256", { timeout: 300_000 }, async (ctx) => {
    if (skipReason !== undefined || server === undefined || proxy === undefined) {
      ctx.skip();
      return;
    }
    const src = path.join(tmp.root, "src");
    fs.mkdirSync(path.join(src, "model", "shards"), { recursive: true });
    fs.mkdirSync(path.join(src, "data"), { recursive: true });
    const bigSha = await writeBig(path.join(src, "big.bin"), BIG_MB);
    fs.writeFileSync(path.join(src, "small.txt"), "small\n");
    fs.writeFileSync(path.join(src, "model", "model.json"), '{"layers":1}');
    fs.writeFileSync(path.join(src, "model", "shards", "w.bin"), Buffer.from([1, 2, 3]));
    fs.writeFileSync(path.join(src, "data", "train.csv"), "foo");
    const expected: Record<string, { sha256: string; size: number }> = {
      "notes/small.txt": { sha256: sha256("small\n"), size: 6 },
      "blobs/big.bin": { sha256: bigSha, size: BIG_MB * MB },
      "notes/after.txt": { sha256: sha256("after the big one\n"), size: 18 },
      "config.json": { sha256: sha256(`${JSON.stringify({ epochs: 3 }, null, 2)}\n`), size: Buffer.byteLength(`${JSON.stringify({ epochs: 3 }, null, 2)}\n`) },
      "model/model.json": { sha256: sha256('{"layers":1}'), size: 12 },
      "model/shards/w.bin": { sha256: sha256(Buffer.from([1, 2, 3])), size: 3 },
    };

    // The large PUT is held by the proxy (never forwarded): the child dies with it in flight.
    const isBigPut = (req: { method: string; path: string }): boolean => req.method === "PUT" && req.path.endsWith("/blobs/big.bin");
    proxy.use(isBigPut, stall(600_000));
    const spoolDir = path.join(tmp.root, "spool");
    const experiment = `artifacts-resume-${Date.now().toString(36)}`;
    const t0 = Date.now();
    const child = new Child(process.execPath, [fixture(), spoolDir, proxy.url, experiment, src], {});
    const ready = await child.waitFor(/^ready /, 60_000);
    const [, runId] = ready.split(" ") as [string, string, string];
    await child.waitFor(/^ended$/, 60_000);
    await until("the large PUT to reach the proxy", () => proxy?.events.some((e) => isBigPut(e)) === true, 60_000, 20);
    child.kill("SIGKILL");
    const exit = await child.exit();
    expect(exit.signal).toBe("SIGKILL");
    expect(child.lines).not.toContain("closed");
    const tKill = Date.now();

    // At the kill the server has at most the files before the large one, and no manifest.
    const atKill = await serverFiles(runId);
    expect(atKill.has("blobs/big.bin")).toBe(false);
    expect(atKill.has(".mltrail/manifest.json")).toBe(false);

    // The outage is over; a new tracker on the same spool and tracking URI finishes the job.
    proxy.clear();
    const tracker = new Tracker({
      trackingUri: proxy.url,
      spoolDir,
      experiment,
      captureContext: false,
      handleExit: false,
      logLevel: "error",
      replicationIntervalMs: 50,
      retryBaseMs: 20,
      retryMaxMs: 500,
    });
    try {
      // Called right after construction: it must wait for the drain of the dead child's run.
      const result = await tracker.flush({ timeoutMs: 180_000 });
      expect(result.pending).toBe(0);
      expect(result.rejected).toBe(0);
    } finally {
      await tracker.close({ timeoutMs: 10_000 });
    }
    const tResumed = Date.now();
    process.stderr.write(
      `[artifacts-resume] child killed after ${((tKill - t0) / 1000).toFixed(1)} s; resumed uploads done in ${((tResumed - tKill) / 1000).toFixed(1)} s\n`,
    );

    const run = await api<{
      run: {
        info: { artifact_uri: string; status: string; experiment_id: string };
        inputs?: { dataset_inputs?: { dataset: { name: string; digest: string }; tags?: { key: string; value: string }[] }[] };
      };
    }>("GET", `runs/get?run_id=${runId}`);
    // logModel adds MLflow's MLmodel file next to the model (it holds a time stamp): take it as staged.
    const staged = fs.readdirSync(spoolDir, { recursive: true, encoding: "utf8" }).find((p) => p.endsWith(path.join("artifacts", "model", "MLmodel")));
    if (staged === undefined) throw new Error("no staged model/MLmodel in the spool");
    const mlmodel = fs.readFileSync(path.join(spoolDir, staged));
    expected["model/MLmodel"] = { sha256: sha256(mlmodel), size: mlmodel.length };
    const files = await serverFiles(runId);
    expect([...files.keys()].sort()).toEqual([...Object.keys(expected), ".mltrail/manifest.json"].sort());
    for (const [rel, want] of Object.entries(expected)) {
      const got = await serverSha256(run.run.info.artifact_uri, rel);
      expect([rel, got.status, got.size, got.sha256]).toEqual([rel, 200, want.size, want.sha256]);
    }
    const manifest = JSON.parse((await serverSha256(run.run.info.artifact_uri, ".mltrail/manifest.json")).text) as {
      files: Record<string, { sha256: string; size: number }>;
    };
    expect(manifest.files).toEqual(expected);
    expect(run.run.info.status).toBe("FINISHED");
    const inputs = run.run.inputs?.dataset_inputs ?? [];
    expect(inputs.map((i) => [i.dataset.name, i.dataset.digest])).toEqual([["train", "acbd18db4cc2f85cedef654fccc4a4d8"]]);
    // One run in the experiment: the resumed replication did not create another.
    const search = await api<{ runs?: unknown[] }>("POST", "runs/search", { experiment_ids: [run.run.info.experiment_id], max_results: 10 });
    expect(search.runs ?? []).toHaveLength(1);
    // The large file reached the server through exactly one forwarded PUT (after the restart).
    const forwardedBig = proxy.events.filter((e) => isBigPut(e) && e.fault === "pass");
    expect(forwardedBig.map((e) => e.status)).toEqual([200]);
  });
});

function fixture(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "artifacts", "upload-child.mjs");
}

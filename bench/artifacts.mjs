// Benchmark: artifact transfer and digests on one large file (1 GiB; 256 MiB with --quick).
//   (1) upload throughput to ONE real MLflow server started here: `uploadFile` (axios stream,
//       retries, auth headers) vs a bare streaming `http.request` PUT of the same file to the
//       same proxy endpoint, interleaved, median of --rounds rounds each (goal ≥ 0.9×)
//   (2) digest speed: `fileDigests` (sha256 + md5 in one read) and `dvcDigest` vs the
//       `sha256sum` and `md5sum` child processes run one after the other on the same
//       (page-cached) file (goal ≥ 0.8×)
// Figures are printed as ratios (baseline time / our time; > 1 means faster than the
// baseline) and written to bench/results/artifacts.json.
//
// Usage: node bench/artifacts.mjs [--quick] [--size-mb N] [--rounds N]
// The SDK is loaded from dist/ when it exports the functions, else from src/ through tsx.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { BENCH_DIR, MB, fmt, median, parseArgs, printTable, tempDir, writeResult } from "./common.mjs";

const args = parseArgs();
const SIZE_MB = Number(args["size-mb"] ?? (args.quick ? 256 : 1024));
const ROUNDS = Number(args.rounds ?? (args.quick ? 2 : 3));
const ROOT = path.join(BENCH_DIR, "..");

async function loadSdk() {
  const dist = path.join(ROOT, "dist", "index.js");
  if (fs.existsSync(dist)) {
    const mod = await import(pathToFileURL(dist).href);
    if (mod.uploadFile && mod.fileDigests && mod.dvcDigest && mod.createHttpClient) return { ...mod, from: "dist" };
  }
  const { tsImport } = await import("tsx/esm/api");
  const load = (rel) => tsImport(pathToFileURL(path.join(ROOT, rel)).href, import.meta.url);
  const [remote, digest, httpMod] = await Promise.all([load("src/remote/artifacts.ts"), load("src/artifacts/digest.ts"), load("src/remote/http.ts")]);
  return { ...remote, ...digest, ...httpMod, from: "src (tsx)" };
}

function timeChild(cmd, file) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, [file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out: r.stdout.split(/\s+/)[0] };
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

function makeFile(file, mb) {
  const fd = fs.openSync(file, "w");
  const chunk = Buffer.alloc(MB);
  for (let i = 0; i < mb; i++) {
    for (let j = 0; j < MB; j += 4) chunk.writeUInt32LE((Math.imul(i * MB + j, 2654435761) ^ (j << 7)) >>> 0, j);
    fs.writeSync(fd, chunk);
  }
  fs.closeSync(fd);
}

/** The baseline: one streaming PUT with node:http, 1 MiB reads, Content-Length, keep-alive. */
function barePut(agent, url, file, size) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "PUT", agent, headers: { "Content-Type": "application/octet-stream", "Content-Length": String(size) } }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`bare PUT: HTTP ${res.statusCode}`))));
    });
    req.on("error", reject);
    fs.createReadStream(file, { highWaterMark: MB }).pipe(req);
  });
}

const sdk = await loadSdk();
const { dir, cleanup } = tempDir("artifacts");
const file = path.join(dir, "big.bin");
const size = SIZE_MB * MB;
console.log(`artifacts benchmark: ${SIZE_MB} MiB file, ${ROUNDS} rounds, SDK from ${sdk.from}`);
makeFile(file, SIZE_MB);

const { startMlflowServer } = await import(pathToFileURL(path.join(ROOT, "scripts", "mlflow-server.mjs")).href);
const server = await startMlflowServer({ log: (m) => console.log(`[mlflow] ${m}`) });
const results = { sizeMB: SIZE_MB, rounds: ROUNDS, sdkFrom: sdk.from };
try {
  // ------------------------------------------------------------ (2) digests (no server load)
  fs.readFileSync(file).length; // warm the page cache once (read and dropped)
  const digestRows = { ours: [], dvc: [], sha256sum: [], md5sum: [] };
  let check;
  for (let r = 0; r < ROUNDS; r++) {
    const s = timeChild("sha256sum", file);
    const m = timeChild("md5sum", file);
    const ours = await timed(() => sdk.fileDigests(file));
    const dvc = await timed(() => sdk.dvcDigest(file));
    if (ours.value.sha256 !== s.out || ours.value.md5 !== m.out || dvc.value.md5 !== m.out) throw new Error("digest mismatch with coreutils");
    check = { sha256: s.out, md5: m.out };
    digestRows.sha256sum.push(s.ms);
    digestRows.md5sum.push(m.ms);
    digestRows.ours.push(ours.ms);
    digestRows.dvc.push(dvc.ms);
  }
  const base = median(digestRows.sha256sum) + median(digestRows.md5sum);
  const mbps = (ms) => size / MB / (ms / 1000);
  results.digest = {
    sha256sumMs: median(digestRows.sha256sum),
    md5sumMs: median(digestRows.md5sum),
    coreutilsBothMs: base,
    fileDigestsMs: median(digestRows.ours),
    dvcDigestMs: median(digestRows.dvc),
    ratioFileDigests: base / median(digestRows.ours),
    ratioDvcDigest: base / median(digestRows.dvc),
    raw: digestRows,
    check,
  };
  printTable(
    "digests (median ms; ratio = (sha256sum + md5sum) / ours)",
    ["", "ms", "MiB/s", "ratio"],
    [
      ["sha256sum", fmt(median(digestRows.sha256sum), 0), fmt(mbps(median(digestRows.sha256sum)), 0), ""],
      ["md5sum", fmt(median(digestRows.md5sum), 0), fmt(mbps(median(digestRows.md5sum)), 0), ""],
      ["sha256sum + md5sum", fmt(base, 0), fmt(mbps(base), 0), "1.00"],
      ["fileDigests (both, one read)", fmt(median(digestRows.ours), 0), fmt(mbps(median(digestRows.ours)), 0), fmt(results.digest.ratioFileDigests)],
      ["dvcDigest (file)", fmt(median(digestRows.dvc), 0), fmt(mbps(median(digestRows.dvc)), 0), fmt(results.digest.ratioDvcDigest)],
    ],
  );

  // ------------------------------------------------------------ (1) upload throughput
  const api = (p, body) =>
    fetch(`${server.url}${p}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.json());
  const { experiment_id } = await api("/api/2.0/mlflow/experiments/create", { name: `bench-artifacts-${Date.now()}` });
  const { run } = await api("/api/2.0/mlflow/runs/create", { experiment_id, start_time: Date.now() });
  const artifactUri = run.info.artifact_uri;
  const client = sdk.createHttpClient({ trackingUri: server.url, timeoutMs: 600_000 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const up = { ours: [], bare: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const bareUrl = `${server.url}${sdk.artifactUrlPath(artifactUri, `bare/${r}.bin`)}`;
    up.bare.push((await timed(() => barePut(agent, bareUrl, file, size))).ms);
    up.ours.push((await timed(() => sdk.uploadFile(client, artifactUri, `ours/${r}.bin`, file))).ms);
  }
  const stored = path.join(server.artifactsDir, ...artifactUri.replace(/^mlflow-artifacts:\/+/, "").split("/"), "ours", "0.bin");
  if (fs.existsSync(stored) && fs.statSync(stored).size !== size) throw new Error("uploaded file has the wrong size");
  client.close();
  agent.destroy();
  results.upload = {
    bareMs: median(up.bare),
    uploadFileMs: median(up.ours),
    bareMBps: mbps(median(up.bare)),
    uploadFileMBps: mbps(median(up.ours)),
    ratio: median(up.bare) / median(up.ours),
    raw: up,
  };
  printTable(
    "upload through the MLflow artifact proxy (median; ratio = bare / uploadFile)",
    ["", "ms", "MiB/s", "ratio"],
    [
      ["bare http.request PUT", fmt(median(up.bare), 0), fmt(results.upload.bareMBps, 0), "1.00"],
      ["uploadFile", fmt(median(up.ours), 0), fmt(results.upload.uploadFileMBps, 0), fmt(results.upload.ratio)],
    ],
  );
} finally {
  await server.stop();
  cleanup();
}
writeResult("artifacts", results);

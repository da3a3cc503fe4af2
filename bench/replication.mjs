// Benchmark: replication to a real MLflow server (sqlite), all against ONE server started here.
//   (1) mltrail end-to-end: 200k metrics (one run, 20 keys, steps), from the first logMetric to
//       the last ack (`tracker.flush()` resolved and `stats().pending === 0`), with
//       maxConcurrentRequests 1 and 4
//   (2) the ceiling: a bare Node loop posting pre-built 1000-metric log-batch bodies back to back
//       (node:http, keep-alive, one request in flight), measured before and after (1)
//   (3) the MLflow Python client: (a) `mlflow.log_metric(..., synchronous=False)` per metric, then
//       `mlflow.flush_async_logging()`; (b) hand-built `MlflowClient().log_batch` of 1000 metrics
//   (4) logMetric latency while the server is down (closed loopback port), in a child process
//   (5) RSS with 5M metrics pending during an outage (1M with --quick), in child processes
//
// Usage: node --expose-gc bench/replication.mjs [--quick] [--metrics N] [--py-async-metrics N]
//        node --expose-gc bench/replication.mjs --phase down-latency|down-rss [--mode closed|outage --url U]
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BENCH_DIR, MB, fmt, fmtInt, loadMltrail, parseArgs, percentileSorted, printTable, tempDir, turn, writeResult } from "./common.mjs";

const args = parseArgs();
const QUICK = args.quick;
const TURN = 10_000;
const NKEYS = 20;
const KEYS = Array.from({ length: NKEYS }, (_, i) => `metric_${String(i).padStart(2, "0")}`);
const METRICS = Number(args.metrics ?? (QUICK ? 50_000 : 200_000));
const BATCH = 1000;
// MLflow's per-metric async logging sends ~60 metrics/s to this server (a 20k pilot took 315 s),
// so 200k would take close to an hour: a smaller count is timed and the rate reported.
const PY_ASYNC_METRICS = Number(args["py-async-metrics"] ?? (QUICK ? 1_000 : 5_000));
const LATENCY_CALLS = Number(args["latency-calls"] ?? (QUICK ? 300_000 : 1_000_000));
const RSS_METRICS = Number(args["rss-metrics"] ?? (QUICK ? 1_000_000 : 5_000_000));
const EXPERIMENT = "bench-replication";
const PROJECT = path.join(BENCH_DIR, "..");
const SELF = fileURLToPath(import.meta.url);

const value = (i) => 1 / (i + 1);
const step = (i) => (i / NKEYS) | 0;

// ---------------------------------------------------------------- a bare REST client
function restClient(base) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const u = new URL(base);
  /** POST (or GET with body undefined) one request; resolves the parsed JSON body. */
  function request(method, p, body) {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          path: p,
          method,
          agent,
          headers: data === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(data) },
        },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if (res.statusCode < 200 || res.statusCode >= 300) reject(new Error(`${method} ${p}: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
            else resolve(text.length > 0 ? JSON.parse(text) : {});
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(data);
    });
  }
  return { request, close: () => agent.destroy() };
}

async function experimentId(rest) {
  try {
    const r = await rest.request("GET", `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(EXPERIMENT)}`);
    return r.experiment.experiment_id;
  } catch {
    const r = await rest.request("POST", "/api/2.0/mlflow/experiments/create", { name: EXPERIMENT });
    return r.experiment_id;
  }
}

async function createRun(rest, expId, name) {
  const r = await rest.request("POST", "/api/2.0/mlflow/runs/create", { experiment_id: expId, run_name: name, start_time: Date.now() });
  return r.run.info.run_id;
}

/** Number of points of one key on the server (a sanity check that everything landed). */
async function historyCount(rest, runId, key) {
  const r = await rest.request("GET", `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=${key}&max_results=100000`);
  return (r.metrics ?? []).length;
}

function cpuSeconds(c) {
  return (c.user + c.system) / 1e6;
}

// ---------------------------------------------------------------- (2) the ceiling
async function ceiling(rest, expId, label) {
  const runId = await createRun(rest, expId, `ceiling-${label}`);
  const ts = Date.now();
  const bodies = [];
  for (let i = 0; i < METRICS; i += BATCH) {
    const metrics = [];
    for (let j = i; j < Math.min(METRICS, i + BATCH); j++) metrics.push({ key: KEYS[j % NKEYS], value: value(j), timestamp: ts, step: step(j) });
    bodies.push(JSON.stringify({ run_id: runId, metrics, params: [], tags: [] }));
  }
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const body of bodies) await rest.request("POST", "/api/2.0/mlflow/runs/log-batch", body);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  await rest.request("POST", "/api/2.0/mlflow/runs/update", { run_id: runId, status: "FINISHED", end_time: Date.now() });
  return {
    label,
    runId,
    metrics: METRICS,
    requests: bodies.length,
    seconds,
    metricsPerSec: METRICS / seconds,
    msPerRequest: (seconds * 1000) / bodies.length,
    clientCpuSeconds: cpu,
  };
}

// ---------------------------------------------------------------- (1) mltrail end to end
async function mltrailOnce(Tracker, url, concurrency) {
  const tmp = tempDir("replication");
  try {
    const tracker = new Tracker({
      trackingUri: url,
      spoolDir: tmp.dir,
      experiment: EXPERIMENT,
      durability: "interval",
      captureContext: false,
      handleExit: false,
      drainOnStart: false,
      logLevel: "error",
      maxConcurrentRequests: concurrency,
    });
    const run = await tracker.startRun({ name: `mltrail-c${concurrency}` });
    await tracker.flush({ timeoutMs: 60_000 }); // run creation and its start records: not timed
    const base = tracker.stats();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < METRICS; ) {
      const end = Math.min(METRICS, i + TURN);
      for (; i < end; i++) run.logMetric(KEYS[i % NKEYS], value(i), { step: step(i) });
      await turn();
    }
    const loggedSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const flushed = await tracker.flush({ timeoutMs: 600_000 });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuSeconds(process.cpuUsage(cpu0));
    const stats = tracker.stats();
    const remoteRunId = run.remoteId ?? run.id;
    await run.end();
    await tracker.close({ timeoutMs: 60_000 });
    return {
      maxConcurrentRequests: concurrency,
      runId: remoteRunId,
      metrics: METRICS,
      seconds,
      loggedSeconds,
      metricsPerSec: METRICS / seconds,
      clientCpuSeconds: cpu,
      acked: stats.acked - base.acked,
      pendingAfterFlush: stats.pending,
      flushResult: flushed,
      state: stats.state,
      complete: stats.pending === 0,
    };
  } finally {
    tmp.cleanup();
  }
}

// ---------------------------------------------------------------- (3) the Python client
function runPython(python, script, url, extra) {
  return new Promise((resolve) => {
    const child = spawn(python, [path.join(BENCH_DIR, "python", script), "--experiment", EXPERIMENT, ...extra], {
      env: { ...process.env, MLFLOW_TRACKING_URI: url, PYTHONWARNINGS: "ignore" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("close", (code) => {
      const line = out
        .split("\n")
        .reverse()
        .find((l) => l.startsWith("{"));
      if (code !== 0 || line === undefined) resolve({ error: `${script} exited with ${code}: ${err.slice(-800)}` });
      else resolve(JSON.parse(line));
    });
  });
}

// ---------------------------------------------------------------- (4)/(5) server down, child side
/** A loopback port nothing listens on. */
async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** A TCP forwarder to `target` that can be cut (listener closed, every socket destroyed). */
async function cuttableProxy(target) {
  const t = new URL(target);
  const sockets = new Set();
  const srv = net.createServer((client) => {
    const upstream = net.connect(Number(t.port), t.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${srv.address().port}`,
    cut: async () => {
      await new Promise((r) => {
        srv.close(r);
        for (const s of sockets) s.destroy();
      });
    },
  };
}

/** A tracker whose server is down. `closed`: never reachable; `outage`: the run was created on the real server, then the link is cut. */
async function downTracker(mode, tmpDir) {
  const { Tracker } = await loadMltrail();
  const opts = {
    spoolDir: tmpDir,
    experiment: EXPERIMENT,
    durability: "interval",
    captureContext: false,
    handleExit: false,
    drainOnStart: false,
    logLevel: "silent",
  };
  if (mode === "outage") {
    const proxy = await cuttableProxy(args.url);
    const tracker = new Tracker({ ...opts, trackingUri: proxy.url });
    const run = await tracker.startRun({ name: "outage" });
    for (let i = 0; i < 2000; i++) run.logMetric(KEYS[i % NKEYS], value(i), { step: step(i) });
    const f = await tracker.flush({ timeoutMs: 60_000 });
    await proxy.cut();
    return { tracker, run, note: `run created on the server, ${f.acked} records acked, then the link was cut` };
  }
  const port = await closedPort();
  const tracker = new Tracker({ ...opts, trackingUri: `http://127.0.0.1:${port}` });
  // startRun retries the server for a few seconds on unref'd timers: without a referenced
  // handle, a script whose only work is this await exits early (code 13).
  const keepAlive = setInterval(() => undefined, 1000);
  const t0 = Date.now();
  const run = await tracker.startRun({ name: "down" });
  clearInterval(keepAlive);
  return {
    tracker,
    run,
    startRunMs: Date.now() - t0,
    note: `closed loopback port; startRun took ${Date.now() - t0} ms and started the run locally (remoteId ${run.remoteId ?? "none"})`,
  };
}

function percentiles(ns) {
  const sorted = Float64Array.from(ns).sort();
  return {
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p99: percentileSorted(sorted, 99),
    p999: percentileSorted(sorted, 99.9),
    max: sorted[sorted.length - 1],
  };
}

async function downLatencyPhase() {
  const tmp = tempDir("repl-down-lat");
  try {
    const n = LATENCY_CALLS;
    const hr = process.hrtime.bigint;
    const empty = new Float64Array(n);
    for (let i = 0; i < n; ) {
      const end = Math.min(n, i + TURN);
      for (; i < end; i++) {
        const t0 = hr();
        empty[i] = Number(hr() - t0);
      }
      await turn();
    }
    const { tracker, run, note } = await downTracker("closed", tmp.dir);
    for (let i = 0; i < 300_000; ) {
      const end = i + TURN;
      for (; i < end; i++) run.logMetric(KEYS[i % NKEYS], value(i), { step: step(i) });
      await turn();
    }
    const lat = new Float64Array(n);
    for (let i = 0; i < n; ) {
      const end = Math.min(n, i + TURN);
      for (; i < end; i++) {
        const key = KEYS[i % NKEYS];
        const v = value(i);
        const s = step(i);
        const t0 = hr();
        run.logMetric(key, v, { step: s });
        lat[i] = Number(hr() - t0);
      }
      await turn();
    }
    await run.flush();
    const stats = tracker.stats();
    await tracker.close({ timeoutMs: 1 });
    const e = percentiles(empty);
    const raw = percentiles(lat);
    const net = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Math.max(0, v - e.p50)]));
    return {
      calls: n,
      warmupCalls: 300_000,
      note,
      state: stats.state,
      pending: stats.pending,
      unit: "ns",
      emptySection: e,
      raw,
      net,
      overheadSubtracted: e.p50,
      goalP99Ns: 5000,
      met: net.p99 < 5000,
    };
  } finally {
    tmp.cleanup();
  }
}

function dirBytes(dir) {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).size;
  }
  return total;
}

async function downRssPhase(mode) {
  const tmp = tempDir("repl-down-rss");
  try {
    globalThis.gc?.();
    const before = process.memoryUsage();
    const { tracker, run, note } = await downTracker(mode, tmp.dir);
    globalThis.gc?.();
    const start = process.memoryUsage();
    let peak = start.rss;
    let turns = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < RSS_METRICS; ) {
      const end = Math.min(RSS_METRICS, i + TURN);
      for (; i < end; i++) run.logMetric(KEYS[i % NKEYS], value(i), { step: step(i) });
      await turn();
      if (++turns % 20 === 0) peak = Math.max(peak, process.memoryUsage.rss());
    }
    await run.flush();
    const loggedSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    // Let the replicator keep retrying for a while with everything pending.
    const holdUntil = Date.now() + 5000;
    while (Date.now() < holdUntil) {
      await new Promise((r) => setTimeout(r, 100));
      peak = Math.max(peak, process.memoryUsage.rss());
    }
    globalThis.gc?.();
    const end = process.memoryUsage();
    peak = Math.max(peak, end.rss);
    const stats = tracker.stats();
    const journalMB = dirBytes(tmp.dir) / MB;
    await tracker.close({ timeoutMs: 1 });
    return {
      mode,
      note,
      metrics: RSS_METRICS,
      loggedSeconds,
      state: stats.state,
      pending: stats.pending,
      lastError: stats.lastError,
      journalMB,
      rssMB: { beforeTracker: before.rss / MB, afterStartRun: start.rss / MB, end: end.rss / MB, peak: peak / MB },
      heapUsedMB: { afterStartRun: start.heapUsed / MB, end: end.heapUsed / MB },
      goalMB: 200,
      met: peak < 200 * MB,
    };
  } finally {
    tmp.cleanup();
  }
}

/** Runs one phase of this script in a fresh `node --expose-gc` child; returns its RESULT line. */
function child(phase, extra = []) {
  const res = spawnSync(process.execPath, ["--expose-gc", SELF, "--phase", phase, ...(QUICK ? ["--quick"] : []), ...extra], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * MB,
  });
  const line = (res.stdout ?? "").split("\n").find((l) => l.startsWith("RESULT "));
  return line ? JSON.parse(line.slice(7)) : { error: `${phase} child exited with ${res.status ?? res.signal}` };
}

// ---------------------------------------------------------------- main
if (args.phase === "down-latency") {
  console.log(`RESULT ${JSON.stringify(await downLatencyPhase())}`);
  process.exit(0);
}
if (args.phase === "down-rss") {
  console.log(`RESULT ${JSON.stringify(await downRssPhase(args.mode ?? "closed"))}`);
  process.exit(0);
}

const { Tracker } = await loadMltrail();
const { startMlflowServer, ensureMlflowVenv } = await import(pathToFileURL(path.join(PROJECT, "scripts", "mlflow-server.mjs")).href);
console.log(`replication${QUICK ? " (quick)" : ""}: node ${process.version}, ${fmtInt(METRICS)} metrics, ${NKEYS} keys, batches of ${BATCH}`);
const venv = await ensureMlflowVenv();
const python = process.platform === "win32" ? path.join(venv.venvDir, "Scripts", "python.exe") : path.join(venv.venvDir, "bin", "python");
const server = await startMlflowServer();
const result = { quick: QUICK, metrics: METRICS, keys: NKEYS, batch: BATCH, server: "mlflow 3.18.0, sqlite, 1 worker, loopback" };
try {
  const url = server.url;
  const rest = restClient(url);
  const expId = await experimentId(rest);

  // Warm-up of the server and of both Node clients, not counted.
  {
    const runId = await createRun(rest, expId, "warmup");
    const ts = Date.now();
    for (let b = 0; b < 5; b++) {
      const metrics = Array.from({ length: BATCH }, (_, j) => ({ key: KEYS[j % NKEYS], value: value(j), timestamp: ts, step: b * 50 + step(j) }));
      await rest.request("POST", "/api/2.0/mlflow/runs/log-batch", { run_id: runId, metrics, params: [], tags: [] });
    }
    const tracker = new Tracker({
      trackingUri: url,
      spoolDir: tempDir("repl-warm").dir,
      experiment: EXPERIMENT,
      captureContext: false,
      handleExit: false,
      drainOnStart: false,
      logLevel: "error",
    });
    const run = await tracker.startRun({ name: "warmup-mltrail" });
    for (let i = 0; i < 10_000; i++) run.logMetric(KEYS[i % NKEYS], value(i), { step: step(i) });
    await tracker.flush({ timeoutMs: 120_000 });
    await run.end();
    await tracker.close();
    fs.rmSync(tracker.options.spoolDir, { recursive: true, force: true });
  }

  console.log("ceiling (before) ...");
  const ceil1 = await ceiling(rest, expId, "before");
  console.log("mltrail maxConcurrentRequests=1 ...");
  const m1 = await mltrailOnce(Tracker, url, 1);
  console.log("mltrail maxConcurrentRequests=4 ...");
  const m4 = await mltrailOnce(Tracker, url, 4);
  console.log("ceiling (after) ...");
  const ceil2 = await ceiling(rest, expId, "after");
  console.log("python log_batch ...");
  const pyBatch = await runPython(python, "log_batch.py", url, ["--count", String(METRICS), "--batch", String(BATCH)]);
  console.log(`python log_metric(synchronous=False), ${fmtInt(PY_ASYNC_METRICS)} metrics ...`);
  const pyAsync = await runPython(python, "log_metric_async.py", url, ["--count", String(PY_ASYNC_METRICS)]);

  // Sanity check: every point of one key landed.
  const check = {};
  for (const [name, r, n] of [
    ["ceilingBefore", ceil1, METRICS],
    ["mltrailC1", m1, METRICS],
    ["mltrailC4", m4, METRICS],
    ["ceilingAfter", ceil2, METRICS],
    ["pythonLogBatch", pyBatch, METRICS],
    ["pythonAsync", pyAsync, PY_ASYNC_METRICS],
  ]) {
    if (r.runId === undefined) continue;
    const got = await historyCount(rest, r.runId, KEYS[0]).catch(() => -1);
    check[name] = { key: KEYS[0], expected: Math.ceil(n / NKEYS), got };
  }
  rest.close();

  const ceilRate = (ceil1.metricsPerSec + ceil2.metricsPerSec) / 2;
  const best = Math.max(m1.metricsPerSec, m4.metricsPerSec);
  printTable(
    `(1)-(3) ${fmtInt(METRICS)} metrics to one MLflow server (sqlite)`,
    ["", "metrics", "seconds", "metrics/s", "client cpu-s", "vs ceiling"],
    [
      [
        "ceiling, before (bare node:http, 1000/req)",
        fmtInt(METRICS),
        fmt(ceil1.seconds),
        fmtInt(ceil1.metricsPerSec),
        fmt(ceil1.clientCpuSeconds),
        fmt(ceil1.metricsPerSec / ceilRate),
      ],
      [
        "mltrail, maxConcurrentRequests=1",
        fmtInt(METRICS),
        fmt(m1.seconds),
        fmtInt(m1.metricsPerSec),
        fmt(m1.clientCpuSeconds),
        fmt(m1.metricsPerSec / ceilRate),
      ],
      [
        "mltrail, maxConcurrentRequests=4",
        fmtInt(METRICS),
        fmt(m4.seconds),
        fmtInt(m4.metricsPerSec),
        fmt(m4.clientCpuSeconds),
        fmt(m4.metricsPerSec / ceilRate),
      ],
      ["ceiling, after", fmtInt(METRICS), fmt(ceil2.seconds), fmtInt(ceil2.metricsPerSec), fmt(ceil2.clientCpuSeconds), fmt(ceil2.metricsPerSec / ceilRate)],
      [
        "python MlflowClient.log_batch (1000/call)",
        fmtInt(pyBatch.metrics ?? 0),
        fmt(pyBatch.seconds ?? NaN),
        fmtInt(pyBatch.metricsPerSec ?? NaN),
        fmt(pyBatch.cpuSeconds ?? NaN),
        fmt((pyBatch.metricsPerSec ?? NaN) / ceilRate),
      ],
      [
        "python log_metric(synchronous=False)",
        fmtInt(pyAsync.metrics ?? 0),
        fmt(pyAsync.seconds ?? NaN),
        fmtInt(pyAsync.metricsPerSec ?? NaN),
        fmt(pyAsync.cpuSeconds ?? NaN),
        fmt((pyAsync.metricsPerSec ?? NaN) / ceilRate),
      ],
    ],
  );
  if (pyAsync.metrics !== undefined && pyAsync.metrics < METRICS) {
    console.log(
      `note: Python async per-metric logged ${fmtInt(pyAsync.metrics)} metrics (not ${fmtInt(METRICS)}): at its rate ${fmtInt(METRICS)} would take ~${fmt(METRICS / pyAsync.metricsPerSec / 60, 1)} min; its rate is compared.`,
    );
  }
  const ratios = {
    mltrailBestOverCeiling: best / ceilRate,
    mltrailC1OverCeiling: m1.metricsPerSec / ceilRate,
    mltrailC4OverCeiling: m4.metricsPerSec / ceilRate,
    mltrailBestOverPythonAsync: best / pyAsync.metricsPerSec,
    mltrailBestOverPythonLogBatch: best / pyBatch.metricsPerSec,
  };
  console.log(`ceiling = mean of before/after = ${fmtInt(ceilRate)} metrics/s`);
  console.log(
    `mltrail / ceiling: c1 ${fmt(ratios.mltrailC1OverCeiling)}, c4 ${fmt(ratios.mltrailC4OverCeiling)} (goal >= 0.9 -> ${ratios.mltrailBestOverCeiling >= 0.9 ? "met" : "MISSED"})`,
  );
  console.log(
    `mltrail / python async per-metric: ${fmt(ratios.mltrailBestOverPythonAsync, 1)}x (goal >= 5x -> ${ratios.mltrailBestOverPythonAsync >= 5 ? "met" : "MISSED"})`,
  );
  console.log(`mltrail / python log_batch: ${fmt(ratios.mltrailBestOverPythonLogBatch)}x`);
  console.log(
    `server check (points of ${KEYS[0]}): ${Object.entries(check)
      .map(([k, v]) => `${k} ${v.got}/${v.expected}`)
      .join(", ")}`,
  );
  Object.assign(result, {
    ceiling: [ceil1, ceil2],
    ceilingMetricsPerSec: ceilRate,
    mltrail: [m1, m4],
    python: { logBatch: pyBatch, logMetricAsync: pyAsync },
    ratios,
    check,
    goals: { overCeiling: 0.9, overPythonAsync: 5 },
    met: { overCeiling: ratios.mltrailBestOverCeiling >= 0.9, overPythonAsync: ratios.mltrailBestOverPythonAsync >= 5 },
  });

  // (5) outage variant needs the real server: the run is created there, then the link is cut.
  console.log(`RSS, ${fmtInt(RSS_METRICS)} metrics pending, outage after the run was created ...`);
  result.downRssOutage = child("down-rss", ["--mode", "outage", "--url", url]);
} finally {
  await server.stop();
}

console.log("logMetric latency with the server down ...");
result.downLatency = child("down-latency");
console.log(`RSS, ${fmtInt(RSS_METRICS)} metrics pending, server never reachable ...`);
result.downRssClosed = child("down-rss", ["--mode", "closed"]);

const lat = result.downLatency;
if (lat.net) {
  const us = (ns) => fmt(ns / 1000, 3);
  printTable(
    `(4) logMetric latency, server down (${lat.note}), ${fmtInt(lat.calls)} calls, state ${lat.state} (µs)`,
    ["", "p50", "p90", "p99", "p999", "max"],
    [
      [
        "empty timed section",
        us(lat.emptySection.p50),
        us(lat.emptySection.p90),
        us(lat.emptySection.p99),
        us(lat.emptySection.p999),
        us(lat.emptySection.max),
      ],
      ["logMetric (raw)", us(lat.raw.p50), us(lat.raw.p90), us(lat.raw.p99), us(lat.raw.p999), us(lat.raw.max)],
      [`logMetric - ${us(lat.overheadSubtracted)} overhead`, us(lat.net.p50), us(lat.net.p90), us(lat.net.p99), us(lat.net.p999), us(lat.net.max)],
    ],
  );
  console.log(`goal: p99 < 5 µs -> ${lat.met ? "met" : "MISSED"}`);
} else console.log(`latency: ${lat.error}`);
const rssRows = [];
for (const r of [result.downRssOutage, result.downRssClosed]) {
  if (r?.rssMB)
    rssRows.push([
      r.mode,
      fmtInt(r.pending),
      r.state,
      fmt(r.journalMB, 0),
      fmt(r.rssMB.afterStartRun, 1),
      fmt(r.rssMB.end, 1),
      fmt(r.rssMB.peak, 1),
      r.met ? "met" : "MISSED",
    ]);
  else rssRows.push([String(r?.mode ?? "?"), r?.error ?? "no result", "", "", "", "", "", ""]);
}
printTable(
  `(5) RSS with ${fmtInt(RSS_METRICS)} metrics pending during an outage (MB; goal peak < 200)`,
  ["mode", "pending", "state", "journal", "after startRun", "end (gc)", "peak", "goal"],
  rssRows,
);
writeResult("replication", result);

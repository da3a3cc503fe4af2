// Queries of the local store against MLflow's SQLite store, on the same runs.
// Usage: node bench/local-queries.mjs [--runs 10000] [--points 2000000] [--quick] [--only queries|cli|create-end|long] [--rebuild] [--skip-mlflow]
// Builds N runs (5 params, 3 metrics × 5 steps, 1 tag) through the SDK and the same runs in an
// MLflow SQLite database (MlflowClient, sqlite:/// URI, from .cache/mlflow-venv; cached under
// bench/results/cache), then times each query cold (a new process: opening the store is timed,
// process start-up and imports are not) and warm (median of 5 more calls in that process),
// the long-run reads (the run written by a child process that exits at once; getRun;
// getMetricHistory of one key, first and cold, a step range, maxResults, a sampled read;
// with --rebuild also a first read with no point files at all), create + end of a run, and the
// whole `mltrail runs list` / `mltrail experiments` process against a bare `node -e ''` start-up,
// and prints each ratio. --skip-mlflow leaves MLflow out (its store takes ~50 min to build at
// 100,000 runs). Figures, not assertions.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BENCH_DIR, RESULTS_DIR, fmt, loadMltrail, median, parseArgs, printTable, seededRandom, writeResult } from "./common.mjs";

const args = parseArgs();
const PY = path.join(BENCH_DIR, "..", ".cache", "mlflow-venv", "bin", "python");
const PY_SCRIPT = path.join(BENCH_DIR, "python", "sqlite_queries.py");
const SELF = new URL(import.meta.url).pathname;

function spec(n) {
  const r = seededRandom(7);
  const runs = [];
  for (let i = 0; i < n; i++) {
    const acc = [0, 1, 2, 3, 4].map((s) => Math.min(1, 0.5 + s * 0.1 + r() * 0.2));
    runs.push({
      name: `run-${i}`,
      startTime: 1_760_000_000_000 + i * 1000,
      status: i % 10 === 9 ? "FAILED" : "FINISHED",
      params: {
        opt: ["adam", "sgd", "rmsprop"][i % 3],
        depth: String(1 + (i % 5)),
        lr: String(10 ** -(1 + (i % 4))),
        batch: String(32 << (i % 3)),
        seed: String(i),
      },
      metrics: { acc, loss: acc.map((a) => 1 - a + r() * 0.05), f1: acc.map((a) => a * 0.95) },
      tags: { team: ["a", "b", "c"][i % 3] },
    });
  }
  return { experiment: "bench-queries", runs };
}

function queries(startAfter) {
  return [
    { name: "all", maxResults: 1000 },
    { name: "filter+order", filter: "metrics.acc > 0.9 and params.opt = 'adam'", orderBy: ["metrics.loss"] },
    { name: "tag+param", filter: "tags.team = 'b' and params.depth = '3'" },
    { name: "status+start", filter: `attributes.status = 'FINISHED' and attributes.start_time > ${startAfter}` },
    { name: "listExperiments" },
  ];
}

function py(cmdArgs) {
  const out = spawnSync(PY, [PY_SCRIPT, ...cmdArgs], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (out.status !== 0) throw new Error(`python ${cmdArgs[0]} failed: ${out.stderr.slice(-2000)}`);
  return JSON.parse(out.stdout.trim().split("\n").pop());
}

function node(childArgs) {
  const flags = childArgs[0] === "--expose-gc" ? [childArgs.shift()] : [];
  const out = spawnSync(process.execPath, [...flags, SELF, ...childArgs], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (out.status !== 0) throw new Error(`child ${childArgs[0]} failed: ${out.stderr.slice(-2000)}`);
  return JSON.parse(out.stdout.trim().split("\n").pop());
}

const opts = (root, experiment) => ({ trackingUri: root, experiment, durability: "interval", captureContext: false, handleExit: false });

// ---- child modes -------------------------------------------------------------------------
if (args["child-query"] !== undefined) {
  const { Tracker } = await loadMltrail();
  const q = JSON.parse(args["child-query"]);
  const t0 = performance.now();
  const tracker = new Tracker(opts(args.root, "bench-queries"));
  const once = async () => {
    const t = performance.now();
    const n =
      q.name === "listExperiments"
        ? (await tracker.listExperiments()).length
        : (await tracker.searchRuns({ filter: q.filter, orderBy: q.orderBy, maxResults: q.maxResults ?? 1000 })).length;
    return { ms: performance.now() - t, n };
  };
  const first = await once();
  const cold = performance.now() - t0;
  const warm = [];
  for (let i = 0; i < 5; i++) warm.push((await once()).ms);
  await tracker.close();
  console.log(JSON.stringify({ cold_ms: cold, warm_ms: median(warm), results: first.n }));
  process.exit(0);
}
if (args["child-write"] !== undefined) {
  // Writes the long run as a training script would, and exits right after: point files the
  // writer built off its main thread are there, the rest is left to the first read.
  const { Tracker } = await loadMltrail();
  const tracker = new Tracker(opts(args.root, "bench-long"));
  const run = await tracker.startRun();
  const steps = Number(args["child-write"]) / 5;
  const t = performance.now();
  for (let s = 0; s < steps; s++) {
    run.logMetrics({ m0: s, m1: 1 / (s + 1), m2: s % 7, m3: -s, m4: 0.5 }, { step: s });
    if (s % 20_000 === 0) await new Promise(setImmediate);
  }
  await run.end();
  await tracker.close();
  console.log(JSON.stringify({ runId: run.id, ms: performance.now() - t }));
  process.exit(0);
}
if (args["child-long"] !== undefined) {
  const { Tracker } = await loadMltrail();
  const tracker = new Tracker(opts(args.root, "bench-long"));
  const mode = args["child-long"];
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t = performance.now();
  const cpu = process.cpuUsage();
  const out = {};
  const read = {
    getRun: () => tracker.getRun(args.run),
    range: () => tracker.getMetricHistory(args.run, "m0", { startStep: 100_000, endStep: 100_999 }),
    first: () => tracker.getMetricHistory(args.run, "m0", { maxResults: 1000 }),
    sampled: () => tracker.getSampledMetricHistory(args.run, "m0", { maxResults: 2500 }),
    history: () => tracker.getMetricHistory(args.run, "m0"),
  }[mode];
  const kept = await read();
  out.points = mode === "getRun" ? Object.keys(kept.data.metrics).length : kept.length;
  out.ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  out.cpuMs = (used.user + used.system) / 1000; // all threads: wall is inflated on a loaded machine, CPU far less
  clearInterval(timer);
  out.peakRssMB = Math.max(peak, process.memoryUsage().rss) / 2 ** 20;
  // The returned data: heap held by the answer (after a GC), against the RSS the read added.
  globalThis.gc?.();
  out.returnedMB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  out.rssGrowthMB = out.peakRssMB - rssBefore / 2 ** 20;
  if (kept === undefined) throw new Error("no answer"); // keeps the answer alive through the GC above
  await tracker.close();
  console.log(JSON.stringify(out));
  process.exit(0);
}

// ---- main --------------------------------------------------------------------------------
const N = Number(args.runs ?? (args.quick ? 2000 : 10_000));
const POINTS = Number(args.points ?? (args.quick ? 1_000_000 : 2_000_000));
const cache = path.join(RESULTS_DIR, "cache", `local-queries-${N}`);
const root = path.join(cache, "mltrail");
const db = path.join(cache, "mlflow.db");
fs.mkdirSync(cache, { recursive: true });
const theSpec = spec(N);
const specFile = path.join(cache, "spec.json");
fs.writeFileSync(specFile, JSON.stringify(theSpec));
const { Tracker } = await loadMltrail();

const part = (name) => args.only === undefined || args.only === name;
const skipMlflow = args["skip-mlflow"] !== undefined;
if ((part("queries") || part("cli")) && !fs.existsSync(path.join(cache, "mltrail.done"))) {
  fs.rmSync(root, { recursive: true, force: true });
  const tracker = new Tracker(opts(root, "bench-queries"));
  const t = performance.now();
  // Runs per second for each tenth of the build: flat when a run start costs the same at any size.
  let tenth = performance.now();
  const rates = [];
  for (let i = 0; i < N; i += 50) {
    if (i > 0 && i % Math.max(50, Math.floor(N / 10 / 50) * 50) === 0) {
      rates.push(Math.round(Math.max(50, Math.floor(N / 10 / 50) * 50) / ((performance.now() - tenth) / 1000)));
      tenth = performance.now();
    }
    await Promise.all(
      theSpec.runs.slice(i, i + 50).map(async (r) => {
        const run = await tracker.startRun({ name: r.name, params: r.params });
        run.setTags(r.tags);
        for (const [k, vs] of Object.entries(r.metrics)) for (const [step, v] of vs.entries()) run.logMetric(k, v, { step });
        await run.end({ status: r.status });
      }),
    );
  }
  await tracker.close();
  fs.writeFileSync(path.join(cache, "mltrail.done"), "");
  console.log(`built ${N} mltrail runs in ${fmt((performance.now() - t) / 1000, 1)} s; runs/s per tenth of the build: ${rates.join(", ")}`);
}
if (part("queries") && !skipMlflow && !fs.existsSync(path.join(cache, "mlflow.done"))) {
  fs.rmSync(db, { force: true });
  const t = performance.now();
  py(["build", "--db", db, "--spec", specFile]);
  fs.writeFileSync(path.join(cache, "mlflow.done"), "");
  console.log(`built ${N} MLflow SQLite runs in ${fmt((performance.now() - t) / 1000, 1)} s`);
}

// start_time threshold: the median start time of each store's runs (half the runs match).
const rows = [];
const results = { runs: N, queries: {} };
if (part("queries")) {
  const probe = new Tracker(opts(root, "bench-queries"));
  const starts = (await probe.searchRuns({ maxResults: 50_000 })).map((r) => r.info.startTime).sort((a, b) => a - b);
  await probe.close();
  for (const [i, q] of queries(0).entries()) {
    const ours = node(["--child-query", JSON.stringify(queries(starts[starts.length >> 1])[i]), "--root", root]);
    const qfile = path.join(cache, `q-${i}.json`);
    fs.writeFileSync(qfile, JSON.stringify({ experiment: theSpec.experiment, queries: [queries(theSpec.runs[N >> 1].startTime)[i]] }));
    if (skipMlflow) {
      results.queries[q.name] = { mltrail: ours };
      rows.push([q.name, ours.results, "-", fmt(ours.cold_ms, 0), "-", "-", fmt(ours.warm_ms, 1), "-", "-"]);
      continue;
    }
    const theirs = py(["query", "--db", db, "--queries", qfile, "--repeat", "5"]);
    const t = theirs.queries[q.name];
    const cold = t.cold_ms + theirs.open_ms;
    results.queries[q.name] = { mltrail: ours, mlflow: { cold_ms: cold, warm_ms: t.warm_ms, results: t.results } };
    rows.push([
      q.name,
      ours.results,
      t.results,
      fmt(ours.cold_ms, 0),
      fmt(cold, 0),
      `${fmt(cold / ours.cold_ms, 1)}×`,
      fmt(ours.warm_ms, 1),
      fmt(t.warm_ms, 1),
      `${fmt(t.warm_ms / ours.warm_ms, 1)}×`,
    ]);
  }
  printTable(
    `Queries over ${N.toLocaleString("en-US")} runs (ms; ratio = MLflow SQLite / mltrail, higher is better)`,
    ["query", "n", "n mlflow", "cold", "cold mlflow", "ratio", "warm", "warm mlflow", "ratio"],
    rows,
  );
}

// The whole CLI process, start-up included, against a bare Node start-up measured alternately.
if (part("cli")) {
  const cli = path.join(BENCH_DIR, "..", "dist", "cli", "main.js");
  const timed = (argv) => {
    const t = performance.now();
    const out = spawnSync(process.execPath, argv, { encoding: "utf8", maxBuffer: 64 << 20 });
    if (out.status !== 0) throw new Error(`${argv.join(" ")} failed: ${out.stderr.slice(-2000)}`);
    return performance.now() - t;
  };
  const commands = [
    ["mltrail runs list (100 of the experiment's runs)", [cli, "--tracking-uri", root, "runs", "list", "-e", "bench-queries"]],
    ["mltrail experiments", [cli, "--tracking-uri", root, "experiments"]],
  ];
  const base = [];
  const times = commands.map(() => []);
  for (let i = 0; i < 7; i++) {
    base.push(timed(["-e", ""]));
    for (const [c, [, argv]] of commands.entries()) times[c].push(timed(argv));
  }
  const node0 = median(base);
  results.cli = { nodeStartMs: node0, load: os.loadavg() };
  const cliRows = [["node -e '' (baseline)", fmt(node0, 0), "1.0×", "-"]];
  commands.forEach(([name], c) => {
    const ms = median(times[c]);
    results.cli[name] = { ms, min: Math.min(...times[c]) };
    cliRows.push([name, fmt(ms, 0), `${fmt(ms / node0, 1)}×`, fmt(ms - node0, 0)]);
  });
  printTable(
    `The whole CLI process over ${N.toLocaleString("en-US")} runs (median of 7, cold store cache not forced; load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")})`,
    ["command", "ms", "× node -e ''", "ms over node"],
    cliRows,
  );
}

// create + end of a run, median of 100 (durability "interval")
if (part("create-end")) {
  const ceRoot = path.join(cache, "create-end");
  fs.rmSync(ceRoot, { recursive: true, force: true });
  const tracker = new Tracker(opts(ceRoot, "create-end"));
  await (await tracker.startRun()).end();
  const times = [];
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    const run = await tracker.startRun();
    await run.end();
    times.push(performance.now() - t);
  }
  await tracker.close();
  fs.rmSync(ceRoot, { recursive: true, force: true });
  const ceDb = path.join(cache, "create-end.db");
  fs.rmSync(ceDb, { force: true });
  const theirs = py(["create-end", "--db", ceDb, "--count", "100"]);
  fs.rmSync(ceDb, { force: true });
  results.createEnd = { mltrail_ms: median(times), mlflow_ms: theirs.median_ms };
  printTable(
    "create + end of a run (median ms of 100)",
    ["", "mltrail", "MLflow SQLite", "ratio"],
    [["create+end", fmt(median(times), 1), fmt(theirs.median_ms, 1), `${fmt(theirs.median_ms / median(times), 1)}×`]],
  );
}

// long run: POINTS metric points over 5 keys (m0..m4), then cold reads in new processes
if (part("long")) {
  // v2: written by a writer that builds the point files as it goes (older caches have none).
  const longRoot = path.join(cache, `long-v2-${POINTS}`);
  let runId;
  const idFile = path.join(longRoot, "run-id");
  if (fs.existsSync(idFile)) runId = fs.readFileSync(idFile, "utf8");
  else {
    fs.rmSync(longRoot, { recursive: true, force: true });
    fs.mkdirSync(longRoot, { recursive: true });
    const written = node(["--child-write", String(POINTS), "--root", longRoot]);
    runId = written.runId;
    console.log(`wrote ${POINTS.toLocaleString("en-US")} points in ${fmt(written.ms / 1000, 1)} s`);
    fs.writeFileSync(idFile, runId);
  }
  const runDir = fs
    .readdirSync(path.join(longRoot, "experiments"))
    .map((d) => path.join(longRoot, "experiments", d, "runs", runId))
    .find((d) => fs.existsSync(d));
  const seriesDir = path.join(runDir, "series");
  // The point files as the writer left them (kept aside, so that every bench run starts there).
  const asLeft = path.join(longRoot, "series-as-written");
  if (!fs.existsSync(asLeft)) {
    if (fs.existsSync(seriesDir)) fs.cpSync(seriesDir, asLeft, { recursive: true });
    else fs.mkdirSync(asLeft); // the writer exited before any build finished
  }
  const restore = () => {
    fs.rmSync(seriesDir, { recursive: true, force: true });
    fs.cpSync(asLeft, seriesDir, { recursive: true });
  };
  const long = (mode) => node(["--expose-gc", "--child-long", mode, "--root", longRoot, "--run", runId]);
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ");
  console.log(`load average before the reads: ${load()}`);
  restore();
  const reads = [
    ["getRun", long("getRun")],
    ["getMetricHistory (1 key), first read after the writer", long("history")],
    ["getMetricHistory (1 key), cold", long("history")],
    ["getMetricHistory steps 100,000–100,999, cold", long("range")],
    ["getMetricHistory maxResults 1,000, cold", long("first")],
    ["getSampledMetricHistory maxResults 2,500, cold", long("sampled")],
  ];
  if (args.rebuild !== undefined) {
    // A store whose point files are gone (an older release wrote it): the first read builds them all.
    fs.rmSync(seriesDir, { recursive: true, force: true });
    reads.push(["getMetricHistory (1 key), no point files: builds them", long("history")]);
    restore();
  }
  console.log(`load average after the reads: ${load()}`);
  results.longRun = { points: POINTS, reads: Object.fromEntries(reads) };
  printTable(
    `A run with ${POINTS.toLocaleString("en-US")} metric points (5 keys), cold in a new process`,
    ["read", "ms", "CPU ms", "peak RSS MB", "RSS growth MB", "returned MB", "points"],
    reads.map(([name, r]) => [name, fmt(r.ms, 0), fmt(r.cpuMs, 0), fmt(r.peakRssMB, 0), fmt(r.rssGrowthMB, 0), fmt(r.returnedMB, 1), r.points]),
  );
}
writeResult("local-queries", results);

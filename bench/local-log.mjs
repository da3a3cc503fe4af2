// Benchmark: logMetric into the local store (durability "interval").
//   (a) calls/s end-to-end (until `await run.flush()` resolved: written and fsynced)
//   (b) the same number of equivalent JSON lines written by a bare fs append loop, same process,
//       interleaved A/B 3 times; ratio of the medians
//   (c) latency of one call (p50/p99/p999), minus the overhead of an empty timed section
//   (d) RSS growth over 10M calls (2M with --quick), in a fresh child process
//
// Usage: node --expose-gc bench/local-log.mjs [--quick] [--phase throughput|latency|rss]
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { MB, fmt, fmtInt, loadMltrail, median, parseArgs, percentileSorted, printTable, tempDir, trackerOptions, turn, writeResult } from "./common.mjs";

const args = parseArgs();
const QUICK = args.quick;
const TURN = 10_000; // calls per event-loop turn
const KEYS = Array.from({ length: 20 }, (_, i) => `metric_${String(i).padStart(2, "0")}`);
const THROUGHPUT_CALLS = Number(args.calls ?? (QUICK ? 1_000_000 : 4_000_000));
const REPS = Number(args.reps ?? 3);
const LATENCY_CALLS = Number(args["latency-calls"] ?? (QUICK ? 300_000 : 1_000_000));
const RSS_CALLS = Number(args["rss-calls"] ?? (QUICK ? 2_000_000 : 10_000_000));

const { Tracker } = await loadMltrail();

function dirBytes(dir) {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).size;
  }
  return total;
}

/** Opens a run in a fresh store under `root`; setup is outside every timed section. */
async function openRun(root, name) {
  const tracker = new Tracker(trackerOptions(root));
  const run = await tracker.startRun({ name });
  await run.flush();
  return { tracker, run };
}

async function closeRun({ tracker, run }) {
  await run.end();
  await tracker.close();
}

// ---------------------------------------------------------------- (a) mltrail throughput
async function mltrailOnce(root, n) {
  const ctx = await openRun(root, "throughput");
  const { run } = ctx;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let i = 0;
  while (i < n) {
    const end = Math.min(n, i + TURN);
    for (; i < end; i++) run.logMetric(KEYS[i % 20], 1 / (i + 1), { step: (i / 20) | 0 });
    await turn();
  }
  await run.flush();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  await closeRun(ctx);
  const bytes = dirBytes(root);
  return { calls: n, seconds, callsPerSec: n / seconds, cpuSeconds, callsPerCpuSec: n / cpuSeconds, bytes };
}

// ---------------------------------------------------------------- (b) bare fs append baseline
async function baselineOnce(file, n) {
  const fd = fs.openSync(file, "a");
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let i = 0;
  let seq = 0;
  while (i < n) {
    const end = Math.min(n, i + TURN);
    let text = "";
    for (; i < end; i++) {
      text += `${JSON.stringify({ s: ++seq, t: "m", k: KEYS[i % 20], v: 1 / (i + 1), ts: Date.now(), st: (i / 20) | 0 })}\n`;
    }
    const buf = Buffer.from(text, "utf8");
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
    await turn();
  }
  fs.fsyncSync(fd);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  fs.closeSync(fd);
  const bytes = fs.statSync(file).size;
  return { calls: n, seconds, callsPerSec: n / seconds, cpuSeconds, callsPerCpuSec: n / cpuSeconds, bytes };
}

async function throughputPhase() {
  const tmp = tempDir("local-log");
  try {
    // Warm-up (JIT) of both sides, not counted.
    const warm = Math.min(500_000, THROUGHPUT_CALLS);
    await mltrailOnce(path.join(tmp.dir, "warm-store"), warm);
    await baselineOnce(path.join(tmp.dir, "warm.jsonl"), warm);
    fs.rmSync(path.join(tmp.dir, "warm-store"), { recursive: true, force: true });
    fs.rmSync(path.join(tmp.dir, "warm.jsonl"), { force: true });

    const mltrail = [];
    const baseline = [];
    for (let r = 0; r < REPS; r++) {
      const root = path.join(tmp.dir, `store-${r}`);
      globalThis.gc?.();
      mltrail.push(await mltrailOnce(root, THROUGHPUT_CALLS));
      fs.rmSync(root, { recursive: true, force: true });
      const file = path.join(tmp.dir, `baseline-${r}.jsonl`);
      globalThis.gc?.();
      baseline.push(await baselineOnce(file, THROUGHPUT_CALLS));
      fs.rmSync(file, { force: true });
    }
    const mMed = median(mltrail.map((x) => x.callsPerSec));
    const bMed = median(baseline.map((x) => x.callsPerSec));
    const mCpu = median(mltrail.map((x) => x.callsPerCpuSec));
    const bCpu = median(baseline.map((x) => x.callsPerCpuSec));
    const rows = [];
    for (let r = 0; r < REPS; r++) {
      const m = mltrail[r];
      const b = baseline[r];
      rows.push([
        `rep ${r + 1}`,
        fmtInt(m.callsPerSec),
        fmtInt(b.callsPerSec),
        fmt(m.callsPerSec / b.callsPerSec),
        fmtInt(m.callsPerCpuSec),
        fmtInt(b.callsPerCpuSec),
        fmt(m.callsPerCpuSec / b.callsPerCpuSec),
      ]);
    }
    rows.push(["median", fmtInt(mMed), fmtInt(bMed), fmt(mMed / bMed), fmtInt(mCpu), fmtInt(bCpu), fmt(mCpu / bCpu)]);
    printTable(
      `(a)+(b) throughput, ${fmtInt(THROUGHPUT_CALLS)} calls, turns of ${fmtInt(TURN)}, until flushed`,
      ["", "mltrail/s", "bare fs/s", "ratio", "mltrail/cpu-s", "bare fs/cpu-s", "cpu ratio"],
      rows,
    );
    console.log(
      `bytes/line: mltrail ${fmt(mltrail[0].bytes / THROUGHPUT_CALLS, 1)} (incl. CRC prefix and run records), baseline ${fmt(baseline[0].bytes / THROUGHPUT_CALLS, 1)}`,
    );
    console.log(`load average (1 min): ${fmt(os.loadavg()[0], 1)}`);
    console.log(`goals: >= 1,000,000 calls/s -> ${mMed >= 1e6 ? "met" : "MISSED"}; ratio >= 0.6 -> ${mMed / bMed >= 0.6 ? "met" : "MISSED"}`);
    return {
      calls: THROUGHPUT_CALLS,
      turn: TURN,
      reps: REPS,
      mltrail,
      baseline,
      medianCallsPerSec: { mltrail: mMed, baseline: bMed },
      ratio: mMed / bMed,
      medianCallsPerCpuSec: { mltrail: mCpu, baseline: bCpu },
      cpuRatio: mCpu / bCpu,
      loadAverage: os.loadavg()[0],
      goals: { callsPerSec: 1_000_000, ratio: 0.6 },
      met: { callsPerSec: mMed >= 1e6, ratio: mMed / bMed >= 0.6 },
    };
  } finally {
    tmp.cleanup();
  }
}

// ---------------------------------------------------------------- (c) latency of one call
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

async function latencyPhase() {
  const tmp = tempDir("latency");
  try {
    const n = LATENCY_CALLS;
    const hr = process.hrtime.bigint;
    // Overhead of an empty timed section, measured the same way.
    const empty = new Float64Array(n);
    for (let i = 0; i < n; ) {
      const end = Math.min(n, i + TURN);
      for (; i < end; i++) {
        const t0 = hr();
        empty[i] = Number(hr() - t0);
      }
      await turn();
    }
    const ctx = await openRun(tmp.dir, "latency");
    const { run } = ctx;
    // Warm-up, not timed.
    for (let i = 0; i < 300_000; ) {
      const end = i + TURN;
      for (; i < end; i++) run.logMetric(KEYS[i % 20], 1 / (i + 1), { step: (i / 20) | 0 });
      await turn();
    }
    const lat = new Float64Array(n);
    for (let i = 0; i < n; ) {
      const end = Math.min(n, i + TURN);
      for (; i < end; i++) {
        const key = KEYS[i % 20];
        const v = 1 / (i + 1);
        const step = (i / 20) | 0;
        const t0 = hr();
        run.logMetric(key, v, { step });
        lat[i] = Number(hr() - t0);
      }
      await turn();
    }
    await run.flush();
    await closeRun(ctx);

    const e = percentiles(empty);
    const raw = percentiles(lat);
    const overhead = e.p50;
    const net = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Math.max(0, v - overhead)]));
    const us = (ns) => fmt(ns / 1000, 3);
    printTable(
      `(c) latency of one logMetric call, ${fmtInt(n)} calls (µs)`,
      ["", "p50", "p90", "p99", "p999", "max"],
      [
        ["empty timed section", us(e.p50), us(e.p90), us(e.p99), us(e.p999), us(e.max)],
        ["logMetric (raw)", us(raw.p50), us(raw.p90), us(raw.p99), us(raw.p999), us(raw.max)],
        [`logMetric - ${us(overhead)} overhead`, us(net.p50), us(net.p90), us(net.p99), us(net.p999), us(net.max)],
      ],
    );
    console.log(`goal: p99 < 5 µs -> ${net.p99 < 5000 ? "met" : "MISSED"}`);
    return { calls: n, unit: "ns", emptySection: e, raw, net, overheadSubtracted: overhead, goalP99Ns: 5000, met: net.p99 < 5000 };
  } finally {
    tmp.cleanup();
  }
}

// ---------------------------------------------------------------- (d) RSS growth
async function rssPhase() {
  const tmp = tempDir("rss");
  try {
    const n = RSS_CALLS;
    const warm = 500_000;
    const ctx = await openRun(tmp.dir, "rss");
    const { run } = ctx;
    let i = 0;
    const log = async (upTo, onTurn) => {
      while (i < upTo) {
        const end = Math.min(upTo, i + TURN);
        for (; i < end; i++) run.logMetric(KEYS[i % 20], 1 / (i + 1), { step: (i / 20) | 0 });
        await turn();
        onTurn?.();
      }
    };
    await log(warm);
    await run.flush();
    globalThis.gc?.();
    const start = process.memoryUsage();
    let peak = start.rss;
    let turns = 0;
    const samples = [];
    await log(warm + n, () => {
      if (++turns % 50 === 0) {
        const rss = process.memoryUsage.rss();
        if (rss > peak) peak = rss;
        if (turns % 100 === 0) samples.push({ calls: i - warm, rssMB: rss / MB });
      }
    });
    await run.flush();
    globalThis.gc?.();
    const endMem = process.memoryUsage();
    await closeRun(ctx);
    const growth = endMem.rss - start.rss;
    printTable(
      `(d) memory over ${fmtInt(n)} calls after ${fmtInt(warm)} warm-up calls (MB)${globalThis.gc ? "" : " [no --expose-gc]"}`,
      ["", "after warm-up", "end (flushed, gc)", "growth", "peak during"],
      [
        ["rss", fmt(start.rss / MB, 1), fmt(endMem.rss / MB, 1), fmt(growth / MB, 1), fmt(peak / MB, 1)],
        ["heapUsed", fmt(start.heapUsed / MB, 1), fmt(endMem.heapUsed / MB, 1), fmt((endMem.heapUsed - start.heapUsed) / MB, 1), ""],
      ],
    );
    console.log(`goal: RSS growth < 100 MB -> ${growth < 100 * MB ? "met" : "MISSED"}`);
    return {
      calls: n,
      warmupCalls: warm,
      exposeGc: typeof globalThis.gc === "function",
      start,
      end: endMem,
      rssGrowthMB: growth / MB,
      heapUsedGrowthMB: (endMem.heapUsed - start.heapUsed) / MB,
      peakRssMB: peak / MB,
      samples,
      goalMB: 100,
      met: growth < 100 * MB,
    };
  } finally {
    tmp.cleanup();
  }
}

// ---------------------------------------------------------------- main
const self = fileURLToPath(import.meta.url);
if (args.phase === "rss") {
  // Child mode: print the table and hand the figures to the parent on the last line.
  const result = await rssPhase();
  console.log(`RESULT ${JSON.stringify(result)}`);
} else if (args.phase === "throughput") {
  writeResult("local-log", { quick: QUICK, throughput: await throughputPhase() });
} else if (args.phase === "latency") {
  writeResult("local-log", { quick: QUICK, latency: await latencyPhase() });
} else {
  console.log(`local-log${QUICK ? " (quick)" : ""}: node ${process.version}`);
  const throughput = await throughputPhase();
  const latency = await latencyPhase();
  // RSS in a fresh process so earlier phases do not hide (or inflate) growth.
  const child = spawnSync(
    process.execPath,
    ["--expose-gc", self, "--phase", "rss", ...(QUICK ? ["--quick"] : []), ...(args["rss-calls"] ? ["--rss-calls", String(args["rss-calls"])] : [])],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const out = child.stdout ?? "";
  process.stdout.write(
    out
      .split("\n")
      .filter((l) => !l.startsWith("RESULT "))
      .join("\n"),
  );
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  const rss = line ? JSON.parse(line.slice(7)) : { error: `rss child exited with ${child.status}` };
  writeResult("local-log", { quick: QUICK, throughput, latency, rss });
}

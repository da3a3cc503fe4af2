// Shared helpers of the benchmarks: argument parsing, statistics, tables, temp folders and
// result files. Benchmarks print figures; nothing here asserts on timings.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = path.join(BENCH_DIR, "results");
const DIST = path.join(BENCH_DIR, "..", "dist", "index.js");

/** Imports the BUILT package (`dist/index.js`); tells how to build it when it is missing. */
export async function loadMltrail() {
  if (!fs.existsSync(DIST)) {
    console.error("dist/index.js is missing: build first (`npm run build`, or `npm run bench`).");
    process.exit(2);
  }
  return import(pathToFileURL(DIST).href);
}

/** `--quick`, `--only <name>`, `--phase <name>` and `--key value` flags. */
export function parseArgs(argv = process.argv.slice(2)) {
  const args = { quick: false, only: undefined, phase: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") args.quick = true;
    else if (a.startsWith("--")) {
      const key = a.slice(2);
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith("--")) {
        args[key] = next;
        i++;
      } else args[key] = true;
    }
  }
  return args;
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Percentile (nearest rank) of an already sorted typed array or array. */
export function percentileSorted(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/** A temp folder under os.tmpdir(); `cleanup()` removes it. */
export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mltrail-bench-${prefix}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** One event-loop turn (lets setImmediate callbacks, i.e. the group commit, run). */
export const turn = () => new Promise(setImmediate);

export const MB = 1024 * 1024;

export function fmtInt(n) {
  return Math.round(n).toLocaleString("en-US");
}

export function fmt(n, digits = 2) {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

/** Prints rows (arrays of cells) as an aligned text table. */
export function printTable(title, header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  console.log(`\n${title}`);
  console.log(line(all[0]));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of all.slice(1)) console.log(line(r));
}

/** Machine facts written next to the figures. */
export function environment() {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    totalMemMB: Math.round(os.totalmem() / MB),
    tmpdir: "os.tmpdir()",
    date: new Date().toISOString(),
  };
}

/** Writes `bench/results/<name>.json`. */
export function writeResult(name, data) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ benchmark: name, environment: environment(), ...data }, null, 2)}\n`);
  console.log(`\nresults: ${path.relative(process.cwd(), file) || file}`);
}

/** Tracker options of the benchmarks: local store in `root`, no context capture, no exit hooks. */
export function trackerOptions(root, extra = {}) {
  return {
    trackingUri: root,
    experiment: "bench",
    durability: "interval",
    captureContext: false,
    handleExit: false,
    logLevel: "error",
    ...extra,
  };
}

/**
 * mulberry32: a small seeded generator in [0, 1) (32-bit integer steps), for reproducible bench
 * data and resampling. The same generator as test/support/random.ts: benches run as plain Node
 * modules and cannot import the tests' TypeScript, so keep the two alike.
 */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * CPU time (ns) of this process: `main`, its main thread's (the event loop's), read from
 * Linux's `/proc/self/task/<pid>/schedstat`, and `others`, every other thread's (worker
 * threads, libuv's pool, V8's compiler and GC helpers, those that ended included): the
 * process's total (`process.cpuUsage()`) less the main thread's. Null where the main thread's
 * figure cannot be read.
 */
export function threadCpuNs() {
  let main;
  try {
    main = Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ")[0]);
  } catch {
    return null;
  }
  const { user, system } = process.cpuUsage();
  return { main, others: (user + system) * 1000 - main };
}

// Benchmark: overhead of logging on a training loop.
// Each step does ~1 ms of deterministic CPU work (calibrated at start, no sleep), then (B only)
// logs 10 metrics with run.logMetrics({...}, { step }), then yields one event-loop turn.
// A = the same loop without logging. Runs A/B alternately 3 times; overhead = median(B)/median(A) - 1.
// Then, interleaved: blocks of --block steps (default 50) alternate A and B within one loop and
// one run, 2 x --blocks blocks (default 40); overhead = sum(B blocks)/sum(A blocks) - 1. Load
// that drifts over seconds then weighs on A and B alike: on a busy machine this is the figure
// to read; a bootstrap over the (A, B) block pairs gives its 90% interval, how far block noise
// alone moves it. On Linux the same blocks' CPU time of the loop's own thread is compared too
// (`/proc/self/task/<pid>/schedstat`): what logging costs the thread that trains, apart from
// the process's other threads (point-file builds, fsync, V8's compiler and GC helpers), which
// run beside it. The load average (`os.loadavg()`) is printed with the figures.
// Last, the floor of any writer on the loop's thread: the same interleaving of A with W, a loop
// that appends the bytes one step adds to the run log (measured from that run's journal) with
// one fs.writeSync per step and logs nothing.
//
// Usage: node bench/training-loop.mjs [--quick] [--steps N] [--reps N] [--blocks N] [--block N] [--commit-interval-ms N]
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as v8 from "node:v8";
import { fmt, fmtInt, loadMltrail, median, parseArgs, printTable, seededRandom, tempDir, threadCpuNs, trackerOptions, turn, writeResult } from "./common.mjs";

const args = parseArgs();
const QUICK = args.quick;
const STEPS = Number(args.steps ?? (QUICK ? 500 : 2000));
const REPS = Number(args.reps ?? 3);
const TARGET_MS = 1;
const BLOCKS = Number(args.blocks ?? (QUICK ? 20 : 40));
const BLOCK = Number(args.block ?? 50);
const WARM_UP_RUNS = 3;
const COMMIT_INTERVAL_MS = args["commit-interval-ms"] === undefined ? undefined : Number(args["commit-interval-ms"]);

const { Tracker } = await loadMltrail();

// Deterministic busy work: a fixed number of floating-point iterations; the result is kept in a
// sink so the JIT cannot drop the loop.
let sink = 0;
function work(iterations, seed) {
  let x = seed * 1e-9 + 0.5;
  let acc = 0;
  for (let i = 0; i < iterations; i++) {
    x = x * 3.9 * (1 - x); // logistic map, stays in (0, 1)
    acc += x;
  }
  sink += acc;
  return acc;
}

function calibrate() {
  let iterations = 10_000;
  for (let i = 0; i < 50; i++) work(iterations, i); // warm-up
  for (let round = 0; round < 6; round++) {
    const times = [];
    for (let i = 0; i < 200; i++) {
      const t0 = process.hrtime.bigint();
      work(iterations, i);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    iterations = Math.max(1000, Math.round((iterations * TARGET_MS) / median(times)));
  }
  const check = [];
  for (let i = 0; i < 200; i++) {
    const t0 = process.hrtime.bigint();
    work(iterations, i);
    check.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { iterations, workMs: median(check) };
}

// Once V8 optimizes a caller of work(), it inlines work() there, where the same loop runs at
// about half its own speed: 1 ms steps became 2 ms mid-way through a rep, in A and B alike, and
// the A/B figures measured the JIT, not the logging. The two loop drivers stay unoptimized (a
// few bytecodes per step), so work() always runs its own optimized code, as a model's compute
// runs in its own functions in a real training loop; mltrail's code is optimized as usual.
v8.setFlagsFromString("--allow-natives-syntax");
const neverOptimize = new Function("fn", "%NeverOptimizeFunction(fn)");

/** The 10 metrics of one step. */
function metricsOf(loss, iterations, step) {
  return {
    loss: loss / iterations,
    acc: 1 - 1 / (step + 2),
    val_loss: 1 / (step + 1),
    val_acc: 0.5 + step / (2 * STEPS),
    lr: 1e-3 * 0.999 ** step,
    grad_norm: (loss % 7) + 0.1,
    throughput: 1000 + (step % 13),
    epoch: (step / 100) | 0,
    batch_time: 0.001 + (step % 5) * 1e-5,
    weight_norm: 42 + step * 1e-4,
  };
}

/**
 * Interleaved A/B blocks in one run: wall ms of every A block and every B block, and the CPU
 * ns of each side's blocks on the loop's thread and on the process's other threads (null
 * where they cannot be read).
 */
async function interleaved(iterations, run) {
  const a = [];
  const b = [];
  const cpu = { a: { main: [], others: [] }, b: { main: [], others: [] } };
  let readable = true;
  let step = 0;
  for (let k = 0; k < 2 * BLOCKS; k++) {
    const logging = k % 4 === 1 || k % 4 === 2; // A B B A A B B A …: neither side always goes first
    const c0 = threadCpuNs();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BLOCK; i++, step++) {
      const loss = work(iterations, step);
      if (logging) run.logMetrics(metricsOf(loss, iterations, step), { step });
      await turn();
    }
    (logging ? b : a).push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c1 = threadCpuNs();
    if (c0 === null || c1 === null) readable = false;
    else {
      const side = logging ? cpu.b : cpu.a;
      side.main.push(c1.main - c0.main);
      side.others.push(c1.others - c0.others);
    }
  }
  return { a, b, cpu: readable ? cpu : null };
}

/** Interleaved A/W blocks: W appends `bytes` to `file` with one writeSync per step, no logging. */
async function writeFloor(iterations, file, bytes) {
  const fd = fs.openSync(file, "a");
  const a = [];
  const w = [];
  let step = 0;
  try {
    for (let k = 0; k < 2 * BLOCKS; k++) {
      const writing = k % 4 === 1 || k % 4 === 2;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < BLOCK; i++, step++) {
        work(iterations, step);
        if (writing) fs.writeSync(fd, bytes);
        await turn();
      }
      (writing ? w : a).push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    fs.closeSync(fd);
  }
  return { a, w };
}

/**
 * 90 % interval of sum(b)/sum(a) - 1 (in %) by a bootstrap over the block pairs (a[i], b[i]),
 * which ran next to each other: how far the interleaved figure can move from block noise alone.
 * Seeded, so the same blocks give the same interval.
 */
function bootstrapInterval(a, b, rounds = 2000) {
  const rand = seededRandom(12345);
  const n = Math.min(a.length, b.length);
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    let sa = 0;
    let sb = 0;
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rand() * n);
      sa += a[k];
      sb += b[k];
    }
    ratios.push((sb / sa - 1) * 100);
  }
  ratios.sort((x, y) => x - y);
  return [ratios[Math.floor(0.05 * rounds)], ratios[Math.floor(0.95 * rounds) - 1]];
}

/** Total size of the files under `dir` whose path has a `journal` folder of run `runId`. */
function journalBytes(dir, runId) {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath ?? entry.path, entry.name);
    if (entry.isFile() && full.includes(runId) && full.includes(`${path.sep}journal${path.sep}`)) total += fs.statSync(full).size;
  }
  return total;
}

/** One training loop; with `run`, logs 10 metrics per step. Returns wall ms of the steps. */
async function loop(iterations, run, steps = STEPS) {
  let inCallNs = 0n;
  let workNs = 0n;
  const cpu0 = process.cpuUsage();
  const threads0 = threadCpuNs();
  const t0 = process.hrtime.bigint();
  for (let step = 0; step < steps; step++) {
    const w0 = process.hrtime.bigint();
    const loss = work(iterations, step);
    const c0 = process.hrtime.bigint();
    workNs += c0 - w0;
    if (run !== undefined) {
      run.logMetrics(metricsOf(loss, iterations, step), { step });
      inCallNs += process.hrtime.bigint() - c0;
    }
    await turn();
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const threads1 = threadCpuNs();
  const workMs = Number(workNs) / 1e6;
  const threads = threads0 === null || threads1 === null ? null : { main: threads1.main - threads0.main, others: threads1.others - threads0.others };
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, threads, workMs, outsideWorkMs: ms - workMs, inCallMs: Number(inCallNs) / 1e6 };
}

neverOptimize(loop);
neverOptimize(interleaved);

const tmp = tempDir("training");
try {
  console.log(`training-loop${QUICK ? " (quick)" : ""}: node ${process.version}, ${fmtInt(STEPS)} steps per loop`);
  const cal = calibrate();
  console.log(`calibrated work: ${fmtInt(cal.iterations)} iterations = ${fmt(cal.workMs, 3)} ms per step`);
  const tracker = new Tracker(trackerOptions(tmp.dir, COMMIT_INTERVAL_MS === undefined ? {} : { commitIntervalMs: COMMIT_INTERVAL_MS }));
  const load0 = os.loadavg()[0];

  // Warm-up of both variants (JIT), not counted. Three logging loops: after one, V8 was still
  // optimizing the logging path through the first rep (its logMetrics time 2–3× the later reps',
  // the process's CPU +8 %), which made rep 1 the highest of every command.
  await loop(cal.iterations, undefined);
  for (let w = 0; w < WARM_UP_RUNS; w++) {
    const run = await tracker.startRun({ name: `warm-up-${w + 1}` });
    await run.flush();
    await loop(cal.iterations, run);
    await run.end();
  }

  const a = [];
  const b = [];
  for (let r = 0; r < REPS; r++) {
    globalThis.gc?.();
    a.push(await loop(cal.iterations, undefined));
    const run = await tracker.startRun({ name: `rep-${r + 1}` });
    await run.flush(); // start-up records are not part of the loop
    globalThis.gc?.();
    const res = await loop(cal.iterations, run);
    const f0 = process.hrtime.bigint();
    await run.flush();
    res.finalFlushMs = Number(process.hrtime.bigint() - f0) / 1e6;
    b.push(res);
    await run.end();
  }
  const mixedRun = await tracker.startRun({ name: "interleaved" });
  await mixedRun.flush();
  const before = journalBytes(tmp.dir, mixedRun.id);
  const mixed = await interleaved(cal.iterations, mixedRun);
  await mixedRun.flush();
  const bytesPerStep = Math.round((journalBytes(tmp.dir, mixedRun.id) - before) / (BLOCKS * BLOCK));
  await mixedRun.end();
  const floor = await writeFloor(cal.iterations, path.join(tmp.dir, "write-floor.log"), Buffer.alloc(bytesPerStep, 0x61));
  // The logging's own CPU per step: the same loops with no work, many steps, CPU time (all
  // threads: the commit, the fsync timer). Taken against the calibrated work, it estimates
  // the overhead from CPU time alone, which other processes on the machine hardly move.
  const bareSteps = STEPS * 10;
  const bare = [];
  const bareMain = [];
  const bareOthers = [];
  for (let r = 0; r < REPS; r++) {
    const noLog = await loop(0, undefined, bareSteps);
    const bareRun = await tracker.startRun({ name: `bare-${r + 1}` });
    await bareRun.flush();
    const withLog = await loop(0, bareRun, bareSteps);
    await bareRun.end();
    bare.push(((withLog.cpuMs - noLog.cpuMs) / bareSteps) * 1000);
    if (withLog.threads !== null && noLog.threads !== null) {
      bareMain.push((withLog.threads.main - noLog.threads.main) / bareSteps / 1000);
      bareOthers.push((withLog.threads.others - noLog.threads.others) / bareSteps / 1000);
    }
  }
  const cpuPerStepUs = median(bare);
  const cpuPerStepThreads = bareMain.length === REPS ? { mainUs: median(bareMain), othersUs: median(bareOthers) } : null;
  await tracker.close();
  const load1 = os.loadavg()[0];
  const sum = (xs) => xs.reduce((x, y) => x + y, 0);
  const mixedOverhead = (sum(mixed.b) / sum(mixed.a) - 1) * 100;
  const floorOverhead = (sum(floor.w) / sum(floor.a) - 1) * 100;
  const mixedInterval = bootstrapInterval(mixed.a, mixed.b);
  const floorInterval = bootstrapInterval(floor.a, floor.w);
  // The loop thread's CPU in the interleaved blocks: what logging costs the thread that trains,
  // however the rest of the machine is scheduled; the other threads' share runs beside it.
  const sideSteps = BLOCKS * BLOCK;
  const loopThread =
    mixed.cpu === null
      ? null
      : {
          overheadPercent: (sum(mixed.cpu.b.main) / sum(mixed.cpu.a.main) - 1) * 100,
          interval90Percent: bootstrapInterval(mixed.cpu.a.main, mixed.cpu.b.main),
          usPerStep: (sum(mixed.cpu.b.main) - sum(mixed.cpu.a.main)) / sideSteps / 1000,
          othersUsPerStep: (sum(mixed.cpu.b.others) - sum(mixed.cpu.a.others)) / sideSteps / 1000,
        };

  const aMed = median(a.map((x) => x.ms));
  const bMed = median(b.map((x) => x.ms));
  const overhead = (bMed / aMed - 1) * 100;
  const aCpu = median(a.map((x) => x.cpuMs));
  const bCpu = median(b.map((x) => x.cpuMs));
  const cpuOverhead = (bCpu / aCpu - 1) * 100;
  const inCallMed = median(b.map((x) => x.inCallMs));
  // Work-noise-free estimate: the busy work is ~99% of a step and its duration drifts with
  // machine load, so compare only the time spent outside work() (logging, commit, turn).
  const aOut = median(a.map((x) => x.outsideWorkMs));
  const bOut = median(b.map((x) => x.outsideWorkMs));
  const outsideOverhead = ((bOut - aOut) / median(a.map((x) => x.workMs))) * 100;
  const pct = (x, y) => `${fmt((x / y - 1) * 100)}%`;
  const rows = [];
  for (let r = 0; r < REPS; r++) {
    rows.push([
      `rep ${r + 1}`,
      fmt(a[r].ms, 1),
      fmt(b[r].ms, 1),
      pct(b[r].ms, a[r].ms),
      fmt(a[r].cpuMs, 1),
      fmt(b[r].cpuMs, 1),
      pct(b[r].cpuMs, a[r].cpuMs),
      fmt(a[r].outsideWorkMs, 1),
      fmt(b[r].outsideWorkMs, 1),
      fmt(b[r].inCallMs, 2),
      fmt(b[r].finalFlushMs, 2),
    ]);
  }
  rows.push([
    "median",
    fmt(aMed, 1),
    fmt(bMed, 1),
    `${fmt(overhead)}%`,
    fmt(aCpu, 1),
    fmt(bCpu, 1),
    `${fmt(cpuOverhead)}%`,
    fmt(aOut, 1),
    fmt(bOut, 1),
    fmt(inCallMed, 2),
    "",
  ]);
  printTable(
    `training loop: ${fmtInt(STEPS)} steps x ~${fmt(cal.workMs, 2)} ms work, 10 metrics/step (ms)`,
    ["", "A wall", "B wall", "overhead", "A cpu", "B cpu", "cpu overhead", "A outside work", "B outside work", "B in logMetrics", "B final flush"],
    rows,
  );
  console.log(
    `outside work(): B - A = ${fmt(((bOut - aOut) / STEPS) * 1000, 1)} µs per step = ${fmt(outsideOverhead)}% of the work (estimate insensitive to drift of the work itself)`,
  );
  const perStepUs = (inCallMed / STEPS) * 1000;
  console.log(`logMetrics call: ${fmt(perStepUs, 2)} µs per step (10 metrics) = ${fmt((inCallMed / aMed) * 100, 3)}% of the loop`);
  console.log(
    `interleaved (${BLOCKS} A and ${BLOCKS} B blocks of ${BLOCK} steps, one run): A ${fmt(sum(mixed.a), 1)} ms, B ${fmt(sum(mixed.b), 1)} ms -> overhead ${fmt(mixedOverhead)}% (90% interval ${fmt(mixedInterval[0])} to ${fmt(mixedInterval[1])}%; median block A ${fmt(median(mixed.a), 2)}, B ${fmt(median(mixed.b), 2)} ms)`,
  );
  if (loopThread !== null) {
    console.log(
      `loop thread's CPU in those blocks: B - A = ${fmt(loopThread.usPerStep, 1)} µs per step -> overhead ${fmt(loopThread.overheadPercent)}% (90% interval ${fmt(loopThread.interval90Percent[0])} to ${fmt(loopThread.interval90Percent[1])}%); the process's other threads (point-file builds, fsync, V8's helpers): ${fmt(loopThread.othersUsPerStep, 1)} µs per step beside it`,
    );
  }
  console.log(
    `write floor (interleaved as above, no logging; one writeSync of the ${fmtInt(bytesPerStep)} bytes a step adds to the run log): overhead ${fmt(floorOverhead)}% (90% interval ${fmt(floorInterval[0])} to ${fmt(floorInterval[1])}%); mltrail / floor ${fmt(mixedOverhead / floorOverhead, 2)}`,
  );
  console.log(
    `logging CPU per step, no work (${fmtInt(bareSteps)} steps, median of ${REPS}): ${fmt(cpuPerStepUs, 1)} µs = ${fmt((cpuPerStepUs / 1000 / cal.workMs) * 100)}% of ${fmt(cal.workMs, 2)} ms of work${cpuPerStepThreads === null ? "" : `; loop thread ${fmt(cpuPerStepThreads.mainUs, 1)} µs (${fmt((cpuPerStepThreads.mainUs / 1000 / cal.workMs) * 100)}%), other threads ${fmt(cpuPerStepThreads.othersUs, 1)} µs`}`,
  );
  console.log(
    `load average (1 min): ${fmt(load0, 1)} at start, ${fmt(load1, 1)} at the end${COMMIT_INTERVAL_MS === undefined ? "" : `; commitIntervalMs ${COMMIT_INTERVAL_MS}`}`,
  );
  console.log(`goal: overhead < 1% -> ${overhead < 1 ? "met" : "MISSED"} (A/B loops), ${mixedOverhead < 1 ? "met" : "MISSED"} (interleaved)`);
  writeResult("training-loop", {
    quick: QUICK,
    steps: STEPS,
    reps: REPS,
    metricsPerStep: 10,
    calibration: cal,
    withoutLogging: a,
    withLogging: b,
    medianMs: { withoutLogging: aMed, withLogging: bMed },
    overheadPercent: overhead,
    medianCpuMs: { withoutLogging: aCpu, withLogging: bCpu },
    cpuOverheadPercent: cpuOverhead,
    medianOutsideWorkMs: { withoutLogging: aOut, withLogging: bOut },
    outsideWorkOverheadPercent: outsideOverhead,
    loggingUsPerStep: ((bOut - aOut) / STEPS) * 1000,
    logMetricsCallUsPerStep: perStepUs,
    interleaved: { blocks: BLOCKS, block: BLOCK, aMs: mixed.a, bMs: mixed.b, overheadPercent: mixedOverhead, interval90Percent: mixedInterval },
    writeFloor: { bytesPerStep, aMs: floor.a, wMs: floor.w, overheadPercent: floorOverhead, interval90Percent: floorInterval },
    loopThreadInterleaved: loopThread,
    loggingCpuUsPerStep: cpuPerStepUs,
    loggingCpuUsPerStepByThread: cpuPerStepThreads,
    loggingCpuPercentOfWork: (cpuPerStepUs / 1000 / cal.workMs) * 100,
    loadAverage: { start: load0, end: load1 },
    commitIntervalMs: COMMIT_INTERVAL_MS,
    goalPercent: 1,
    met: overhead < 1,
    sink,
  });
} finally {
  tmp.cleanup();
}

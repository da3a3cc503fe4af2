// Benchmark: the CPU cost of system metrics at the default interval (10 s, MLflow's).
//   Two arms run the same light training-like workload (100 logMetric calls every 10 ms) for
//   the same wall time in one process: A with `systemMetrics: true`, B without. They alternate
//   A/B (after a warm-up of each) and the table gives the process CPU time of each arm, the
//   extra CPU of A as a share of one core over the wall time, and the ratio A/B.
//   A second table gives the cost of one sample, from an arm sampling every 100 ms.
//
// Usage: node bench/system-metrics.mjs [--quick] [--seconds 30] [--reps 2]
import { fmt, loadMltrail, median, parseArgs, printTable, tempDir, trackerOptions, writeResult } from "./common.mjs";

const args = parseArgs();
const SECONDS = Number(args.seconds ?? (args.quick ? 21 : 31));
const REPS = Number(args.reps ?? (args.quick ? 1 : 2));
const { Tracker } = await loadMltrail();

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One arm: a run logging 100 points every 10 ms for `seconds`; returns CPU ms, wall ms and the samples logged. */
async function arm(root, name, systemMetrics, seconds) {
  const tracker = new Tracker(trackerOptions(root, { systemMetrics }));
  const run = await tracker.startRun({ name });
  await run.flush();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let step = 0;
  while (performance.now() - t0 < seconds * 1000) {
    for (let i = 0; i < 100; i++) run.logMetric("loss", 1 / (step + 1), { step: step++ });
    await sleep(10);
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  await run.end();
  const samples = (await tracker.getMetricHistory(run.id, "system/cpu_utilization_percentage")).length;
  await tracker.close();
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: wall, samples };
}

const { dir, cleanup } = tempDir("system-metrics");
try {
  await arm(`${dir}/warm-a`, "warm", true, 2);
  await arm(`${dir}/warm-b`, "warm", false, 2);
  const a = [];
  const b = [];
  for (let r = 0; r < REPS; r++) {
    a.push(await arm(`${dir}/a${r}`, "with", true, SECONDS));
    b.push(await arm(`${dir}/b${r}`, "without", false, SECONDS));
  }
  const cpuA = median(a.map((x) => x.cpuMs));
  const cpuB = median(b.map((x) => x.cpuMs));
  const wall = median([...a, ...b].map((x) => x.wallMs));
  const extraPct = ((cpuA - cpuB) / wall) * 100;
  printTable(
    `system metrics at the default interval (10 s): ${SECONDS} s per arm, ${REPS} rep(s), medians`,
    ["arm", "CPU ms", "wall ms", "samples", "CPU % of a core"],
    [
      ["A: systemMetrics: true", fmt(cpuA, 0), fmt(median(a.map((x) => x.wallMs)), 0), String(median(a.map((x) => x.samples))), fmt((cpuA / wall) * 100, 3)],
      ["B: without", fmt(cpuB, 0), fmt(median(b.map((x) => x.wallMs)), 0), "0", fmt((cpuB / wall) * 100, 3)],
      ["extra (A − B)", fmt(cpuA - cpuB, 0), "", "", fmt(extraPct, 3)],
      ["ratio A/B", fmt(cpuA / cpuB, 3), "", "", ""],
    ],
  );
  // Cost of one sample: an arm sampling every 100 ms against the B arm's CPU per second.
  const fast = await arm(`${dir}/fast`, "fast", { intervalMs: 100 }, Math.min(10, SECONDS));
  const perSampleMs = (fast.cpuMs - (cpuB / median(b.map((x) => x.wallMs))) * fast.wallMs) / Math.max(1, fast.samples);
  printTable(
    "cost of one sample (sampling every 100 ms)",
    ["samples", "CPU ms per sample", "CPU % of a core at 10 s"],
    [[String(fast.samples), fmt(perSampleMs, 3), fmt((perSampleMs / 10_000) * 100, 4)]],
  );
  console.log(`\ngoal: extra CPU < 0.5 % of a core at the default interval → ${extraPct < 0.5 ? "met" : "NOT met"} (${fmt(extraPct, 3)} %)`);
  writeResult("system-metrics", {
    seconds: SECONDS,
    reps: REPS,
    cpuWithMs: cpuA,
    cpuWithoutMs: cpuB,
    wallMs: wall,
    extraPercentOfCore: extraPct,
    ratio: cpuA / cpuB,
    perSampleMs,
  });
} finally {
  cleanup();
}

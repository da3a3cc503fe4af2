/**
 * System metrics on the LOCAL store: MLflow's `system/` keys at steps 0, 1, …; GPU readings
 * from a fake `nvidia-smi` on the PATH (a real child process: a shell script printing what
 * nvidia-smi prints), killed when the run ends; no nvidia-smi means no GPU keys and no error;
 * per-run options over the tracker's; MLflow's environment variables; the /proc parsers.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NotFoundError, ValidationError } from "../../src/errors.js";
import { Tracker } from "../../src/index.js";
import { resolveOptions } from "../../src/options.js";
import { gpuMetrics, parseGpuLine } from "../../src/system-metrics/gpu.js";
import { parseDiskStats, parseNetDev, parseProcStat } from "../../src/system-metrics/probes.js";

let tmp: string;
let savedPath: string | undefined;
const trackers: Tracker[] = [];

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-sysmetrics-"));
  savedPath = process.env.PATH;
});
afterEach(async () => {
  process.env.PATH = savedPath;
  for (const t of trackers.splice(0)) await t.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function tracker(extra: ConstructorParameters<typeof Tracker>[0] = {}): Tracker {
  const t = new Tracker({ trackingUri: path.join(tmp, "store"), experiment: "sys", captureContext: false, handleExit: false, logLevel: "error", ...extra });
  trackers.push(t);
  return t;
}

/** Polls `check` every 25 ms until it returns true (the test's own timeout bounds it). */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 25));
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A fake nvidia-smi on the PATH: records its pid and arguments, then prints two GPUs' lines in a loop. */
function fakeNvidiaSmi(): { pidFile: string; argsFile: string } {
  const bin = path.join(tmp, "bin");
  fs.mkdirSync(bin);
  const pidFile = path.join(tmp, "smi.pid");
  const argsFile = path.join(tmp, "smi.args");
  fs.writeFileSync(
    path.join(bin, "nvidia-smi"),
    `#!/bin/sh\necho $$ > "${pidFile}"\necho "$@" > "${argsFile}"\nwhile true; do\n  echo "0, 37, 2048, 16384, 71.50, 250.00"\n  echo "1, 5, 100, 8192, [N/A], [N/A]"\n  sleep 0.05\ndone\n`,
    { mode: 0o755 },
  );
  process.env.PATH = `${bin}${path.delimiter}${savedPath ?? ""}`;
  return { pidFile, argsFile };
}

const MLFLOW_KEYS = [
  "cpu_utilization_percentage",
  "system_memory_usage_megabytes",
  "system_memory_usage_percentage",
  "disk_usage_percentage",
  "disk_usage_megabytes",
  "disk_available_megabytes",
  "process_cpu_percentage",
  "process_memory_rss_megabytes",
  "process_memory_percentage",
];

describe("system metrics", () => {
  it("logs MLflow's system/ keys at steps 0, 1, … with GPU readings from nvidia-smi, which is killed at run end", async () => {
    const smi = fakeNvidiaSmi();
    const t = tracker({ systemMetrics: { intervalMs: 100 } });
    const run = await t.startRun();
    await until(async () => (await t.getMetricHistory(run.id, "system/gpu_0_utilization_percentage")).length >= 2);
    await run.end();
    const { metrics } = (await t.getRun(run.id)).data;
    for (const key of MLFLOW_KEYS) expect(metrics).toHaveProperty(`system/${key}`);
    if (process.platform === "linux")
      for (const key of ["network_receive_megabytes", "network_transmit_megabytes"]) expect(metrics).toHaveProperty(`system/${key}`);
    expect(metrics).toHaveProperty("system/event_loop_utilization_percentage");
    expect(metrics).toMatchObject({
      "system/gpu_0_utilization_percentage": 37,
      "system/gpu_0_memory_usage_megabytes": 2147.484,
      "system/gpu_0_memory_usage_percentage": 12.5,
      "system/gpu_0_power_usage_watts": 71.5,
      "system/gpu_0_power_usage_percentage": 28.6,
      "system/gpu_1_utilization_percentage": 5,
    });
    expect(metrics).not.toHaveProperty("system/gpu_1_power_usage_watts");
    expect(metrics["system/cpu_utilization_percentage"]).toBeGreaterThanOrEqual(0);
    expect(metrics["system/cpu_utilization_percentage"]).toBeLessThanOrEqual(100);
    const steps = (await t.getMetricHistory(run.id, "system/system_memory_usage_megabytes")).map((m) => m.step);
    expect(steps).toEqual(steps.map((_, i) => i));
    expect(fs.readFileSync(smi.argsFile, "utf8")).toContain("--loop-ms=100");
    const pid = Number(fs.readFileSync(smi.pidFile, "utf8"));
    await until(() => !alive(pid));
  });

  it("without nvidia-smi logs no GPU keys and reports no error; a run's own option wins over the tracker's", async () => {
    const empty = path.join(tmp, "empty");
    fs.mkdirSync(empty);
    process.env.PATH = empty;
    const t = tracker({ systemMetrics: { intervalMs: 100 } });
    const errors: unknown[] = [];
    t.on("error", (e) => errors.push(e));
    const off = await t.startRun({ name: "off", systemMetrics: false });
    const on = await t.startRun({ name: "on" });
    await until(async () => (await t.getMetricHistory(on.id, "system/cpu_utilization_percentage")).length >= 3);
    await on.end();
    await off.end();
    expect(Object.keys((await t.getRun(on.id)).data.metrics).some((k) => k.includes("gpu"))).toBe(false);
    expect(Object.keys((await t.getRun(off.id)).data.metrics)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("a resumed run continues its system metrics' steps instead of starting again at 0", async () => {
    process.env.PATH = tmp; // no nvidia-smi
    const t = tracker({ systemMetrics: { intervalMs: 100 } });
    const key = "system/process_memory_rss_megabytes";
    const first = await t.startRun();
    await until(async () => (await t.getMetricHistory(first.id, key)).length >= 2);
    await first.end();
    const before = (await t.getMetricHistory(first.id, key)).length;
    const resumed = await t.startRun({ resume: first.id });
    await until(async () => (await t.getMetricHistory(first.id, key)).length >= before + 2);
    await resumed.end();
    const steps = (await t.getMetricHistory(first.id, key)).map((m) => m.step);
    expect(steps).toEqual(steps.map((_, i) => i));
  });

  it("rejects bad settings with a ValidationError naming the field; reads MLflow's environment variables", async () => {
    expect(() => tracker({ systemMetrics: { intervalMs: 5 } })).toThrow(/options\.systemMetrics\.intervalMs/);
    expect(() => tracker({ systemMetrics: { every: 1 } as never })).toThrow(ValidationError);
    const t = tracker();
    await expect(t.startRun({ systemMetrics: "yes" as never })).rejects.toThrow(/startRun options\.systemMetrics/);
    await expect(t.searchRuns()).rejects.toThrow(NotFoundError); // nothing was created, not even the experiment
    expect(resolveOptions({}, { MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING: "true", MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL: "2" }).systemMetrics).toEqual({
      intervalMs: 2000,
    });
    expect(resolveOptions({}, {}).systemMetrics).toBeUndefined();
    expect(resolveOptions({ systemMetrics: false }, { MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING: "true" }).systemMetrics).toBeUndefined();
    expect(resolveOptions({ systemMetrics: true }, {}).systemMetrics).toEqual({ intervalMs: 10_000 });
  });
});

describe("counter parsers", () => {
  it("reads /proc/stat, /proc/net/dev, /proc/diskstats and nvidia-smi CSV", () => {
    expect(parseProcStat("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n")).toEqual({ busy: 150, total: 1000 });
    expect(parseProcStat("garbage")).toBeUndefined();
    const dev = "Inter-|   Receive\n face |bytes\n    lo: 1000 1 0 0 0 0 0 0 2000 1 0 0 0 0 0 0\n  eth0: 500 1 0 0 0 0 0 0 700 1 0 0 0 0 0 0\n";
    expect(parseNetDev(dev)).toEqual({ rx: 1500, tx: 2700 });
    const disk = "   8 0 sda 10 0 100 0 20 0 200 0 0 0 0\n   8 1 sda1 10 0 100 0 20 0 200 0 0 0 0\n   7 0 loop0 1 0 8 0 0 0 0 0 0 0 0\n";
    expect(parseDiskStats(disk, new Set(["sda"]))).toEqual({ read: 51200, written: 102400 });
    expect(parseGpuLine("0, 37, 2048, 16384, [N/A], [Not Supported]")).toEqual({ index: 0, utilization: 37, memoryUsedMiB: 2048, memoryTotalMiB: 16384 });
    expect(parseGpuLine("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")).toBeUndefined();
    expect(gpuMetrics({ index: 2, powerWatts: 50, powerLimitWatts: 200 })).toEqual({ gpu_2_power_usage_watts: 50, gpu_2_power_usage_percentage: 25 });
  });
});

/**
 * The system metrics of a run, sampled on an unref'd timer and logged as ordinary metrics under
 * MLflow's `system/` names (so MLflow's "System metrics" tab shows them), at steps 0, 1, 2, …
 * like MLflow's monitor. Each sample reads a few `/proc` files, `statfs` and Node's own
 * counters; GPU readings come from one long-running `nvidia-smi` (see gpu.ts).
 *
 * Logged keys (all prefixed `system/`): MLflow's `cpu_utilization_percentage`,
 * `system_memory_usage_megabytes`, `system_memory_usage_percentage`, `disk_usage_percentage`,
 * `disk_usage_megabytes`, `disk_available_megabytes`, `network_receive_megabytes`,
 * `network_transmit_megabytes`, `process_cpu_percentage`, `process_memory_rss_megabytes`,
 * `process_memory_percentage` and `gpu_<i>_*`; and Node's own `process_heap_used_megabytes`,
 * `event_loop_lag_milliseconds`, `event_loop_lag_max_milliseconds`,
 * `event_loop_utilization_percentage`, `disk_read_megabytes`, `disk_write_megabytes`.
 *
 * @packageDocumentation
 */
import os from "node:os";
import { type EventLoopUtilization, type IntervalHistogram, monitorEventLoopDelay, performance } from "node:perf_hooks";
import { GpuWatcher } from "./gpu.js";
import { type Counters, diskSpace, readCounters, wholeDisks } from "./probes.js";

/** MLflow's prefix of system metrics. */
export const SYSTEM_PREFIX = "system/";

/** MLflow's default sampling interval (10 s). */
export const DEFAULT_SYSTEM_METRICS_INTERVAL_MS = 10_000;

/** Where samples go (a run's `logMetrics`) and the clock. */
export interface MonitorSink {
  log(metrics: Record<string, number>, step: number, timestamp: number): void;
  readonly clock: () => number;
}

const MB = 1e6;
/** Period of the event-loop delay probe; the histogram records the whole period, so lag is what exceeds it. */
const LAG_RESOLUTION_MS = 50;
const round = (v: number): number => Math.round(v * 1000) / 1000;

/** Samples system metrics every `intervalMs` until `stop()`. */
export class SystemMetricsMonitor {
  private readonly timer: NodeJS.Timeout;
  private readonly lag: IntervalHistogram;
  private readonly gpu: GpuWatcher;
  private disks: ReadonlySet<string> = new Set();
  private base: Counters | undefined;
  private last: { counters: Counters; cpu: NodeJS.CpuUsage; elu: EventLoopUtilization; at: number } | undefined;
  private step: number;
  private busy = false;
  private stopped = false;

  /**
   * @param settings.intervalMs - Sampling period. @default 10000
   * @param settings.firstStep - Step of the first sample (a resumed run continues its own). @default 0
   * @example `const m = new SystemMetricsMonitor({ log, clock: Date.now }, { intervalMs: 5000 }); …; m.stop();`
   */
  constructor(
    private readonly sink: MonitorSink,
    settings: { readonly intervalMs?: number; readonly firstStep?: number } = {},
  ) {
    const intervalMs = settings.intervalMs ?? DEFAULT_SYSTEM_METRICS_INTERVAL_MS;
    this.step = settings.firstStep ?? 0;
    this.lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    this.lag.enable();
    this.gpu = new GpuWatcher(intervalMs);
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
    void this.baseline();
  }

  private async baseline(): Promise<void> {
    this.disks = await wholeDisks();
    const counters = await readCounters(this.disks);
    this.base = counters;
    this.last = { counters, cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), at: performance.now() };
  }

  /** Takes one sample and logs it; a sample still running skips the next tick. @internal */
  async sample(): Promise<void> {
    if (this.busy || this.stopped || this.last === undefined) return;
    this.busy = true;
    try {
      const [counters, space] = await Promise.all([readCounters(this.disks), diskSpace()]);
      if (this.stopped) return;
      const metrics = this.compute(counters, space);
      this.sink.log(Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`${SYSTEM_PREFIX}${k}`, round(v)])), this.step++, this.sink.clock());
    } finally {
      this.busy = false;
    }
  }

  private compute(counters: Counters, space: Awaited<ReturnType<typeof diskSpace>>): Record<string, number> {
    const prev = this.last as NonNullable<typeof this.last>;
    const base = this.base as Counters;
    const now = performance.now();
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    const out: Record<string, number> = {};
    if (counters.cpu !== undefined && prev.counters.cpu !== undefined) {
      const total = counters.cpu.total - prev.counters.cpu.total;
      if (total > 0) out["cpu_utilization_percentage"] = ((counters.cpu.busy - prev.counters.cpu.busy) / total) * 100;
    }
    const totalMem = os.totalmem();
    const usedMem = totalMem - os.freemem();
    out["system_memory_usage_megabytes"] = usedMem / MB;
    out["system_memory_usage_percentage"] = (usedMem / totalMem) * 100;
    if (space !== undefined) {
      out["disk_usage_percentage"] = (space.used / (space.used + space.free)) * 100;
      out["disk_usage_megabytes"] = space.used / MB;
      out["disk_available_megabytes"] = space.free / MB;
    }
    if (counters.net !== undefined && base.net !== undefined) {
      out["network_receive_megabytes"] = (counters.net.rx - base.net.rx) / MB;
      out["network_transmit_megabytes"] = (counters.net.tx - base.net.tx) / MB;
    }
    if (counters.disk !== undefined && base.disk !== undefined) {
      out["disk_read_megabytes"] = (counters.disk.read - base.disk.read) / MB;
      out["disk_write_megabytes"] = (counters.disk.written - base.disk.written) / MB;
    }
    const elapsedMs = now - prev.at;
    if (elapsedMs > 0) out["process_cpu_percentage"] = ((cpu.user - prev.cpu.user + cpu.system - prev.cpu.system) / 1000 / elapsedMs) * 100;
    const rss = process.memoryUsage.rss();
    out["process_memory_rss_megabytes"] = rss / MB;
    out["process_memory_percentage"] = (rss / totalMem) * 100;
    out["process_heap_used_megabytes"] = process.memoryUsage().heapUsed / MB;
    if (this.lag.count > 0) {
      out["event_loop_lag_milliseconds"] = Math.max(0, this.lag.mean / 1e6 - LAG_RESOLUTION_MS);
      out["event_loop_lag_max_milliseconds"] = Math.max(0, this.lag.max / 1e6 - LAG_RESOLUTION_MS);
    }
    this.lag.reset();
    out["event_loop_utilization_percentage"] = performance.eventLoopUtilization(prev.elu).utilization * 100;
    Object.assign(out, this.gpu.metrics());
    this.last = { counters, cpu, elu, at: now };
    return out;
  }

  /** Stops sampling (the timer, the delay histogram and `nvidia-smi`); idempotent and synchronous. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.lag.disable();
    this.gpu.stop();
  }
}

/**
 * GPU utilisation, memory and power through `nvidia-smi`, when it is on the PATH. One child
 * process runs for the whole run in its own loop mode (`--loop-ms`), so NVML is initialised
 * once, not at every sample; its latest line per GPU is kept. No `nvidia-smi`, or one that
 * fails, simply means no GPU metrics.
 *
 * @packageDocumentation
 */
import { type ChildProcess, spawn } from "node:child_process";

/** One GPU's latest reading; a field `nvidia-smi` reports as `[N/A]` is absent. */
export interface GpuReading {
  readonly index: number;
  readonly utilization?: number;
  readonly memoryUsedMiB?: number;
  readonly memoryTotalMiB?: number;
  readonly powerWatts?: number;
  readonly powerLimitWatts?: number;
}

/** The fields queried, in the order of the CSV columns. */
export const GPU_QUERY = "index,utilization.gpu,memory.used,memory.total,power.draw,power.limit";

function num(field: string | undefined): number | undefined {
  if (field === undefined) return undefined;
  const n = Number.parseFloat(field.trim());
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Parses one line of `nvidia-smi --query-gpu=<GPU_QUERY> --format=csv,noheader,nounits`
 * (`0, 37, 1234, 16384, 71.2, 250.00`); undefined for anything else.
 * @example `parseGpuLine("0, 37, 1234, 16384, [N/A], [N/A]") // { index: 0, utilization: 37, memoryUsedMiB: 1234, memoryTotalMiB: 16384 }`
 */
export function parseGpuLine(line: string): GpuReading | undefined {
  const f = line.split(",");
  const index = num(f[0]);
  if (f.length < 6 || index === undefined || !Number.isInteger(index) || index < 0) return undefined;
  const fields = { utilization: num(f[1]), memoryUsedMiB: num(f[2]), memoryTotalMiB: num(f[3]), powerWatts: num(f[4]), powerLimitWatts: num(f[5]) };
  return { index, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) };
}

/**
 * The metrics MLflow's GPU monitor logs, from one reading (without the `system/` prefix):
 * `gpu_<i>_utilization_percentage`, `gpu_<i>_memory_usage_megabytes` (10^6 bytes, as MLflow),
 * `gpu_<i>_memory_usage_percentage`, `gpu_<i>_power_usage_watts`, `gpu_<i>_power_usage_percentage`.
 * @example `gpuMetrics({ index: 0, utilization: 37 }) // { gpu_0_utilization_percentage: 37 }`
 */
export function gpuMetrics(r: GpuReading): Record<string, number> {
  const p = `gpu_${r.index}_`;
  const out: Record<string, number> = {};
  if (r.utilization !== undefined) out[`${p}utilization_percentage`] = r.utilization;
  if (r.memoryUsedMiB !== undefined) {
    out[`${p}memory_usage_megabytes`] = (r.memoryUsedMiB * 1_048_576) / 1e6;
    if (r.memoryTotalMiB !== undefined && r.memoryTotalMiB > 0) out[`${p}memory_usage_percentage`] = (r.memoryUsedMiB / r.memoryTotalMiB) * 100;
  }
  if (r.powerWatts !== undefined) {
    out[`${p}power_usage_watts`] = r.powerWatts;
    if (r.powerLimitWatts !== undefined && r.powerLimitWatts > 0) out[`${p}power_usage_percentage`] = (r.powerWatts / r.powerLimitWatts) * 100;
  }
  return out;
}

/**
 * A running `nvidia-smi` in loop mode. It never keeps the process alive (child and pipe are
 * unref'd) and `stop()` kills it.
 */
export class GpuWatcher {
  private readonly latest = new Map<number, GpuReading>();
  private child: ChildProcess | undefined;
  private partial = "";

  /** Starts `nvidia-smi` (from the PATH) sampling every `intervalMs`. */
  constructor(intervalMs: number, command = "nvidia-smi") {
    let child: ChildProcess;
    try {
      child = spawn(command, [`--query-gpu=${GPU_QUERY}`, "--format=csv,noheader,nounits", `--loop-ms=${Math.max(100, Math.round(intervalMs))}`], {
        stdio: ["ignore", "pipe", "ignore"],
        windowsHide: true,
      });
    } catch {
      return;
    }
    this.child = child;
    child.on("error", () => this.stop()); // ENOENT: no nvidia-smi here
    child.on("exit", () => {
      this.child = undefined;
    });
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => this.take(chunk));
    child.unref();
    (child.stdout as { unref?: () => void } | null)?.unref?.();
  }

  private take(chunk: string): void {
    const lines = (this.partial + chunk).split("\n");
    this.partial = (lines.pop() ?? "").slice(-4096);
    for (const line of lines) {
      const r = parseGpuLine(line);
      if (r !== undefined) this.latest.set(r.index, r);
    }
  }

  /** The metrics of every GPU seen so far (their latest readings). */
  metrics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.latest.values()) Object.assign(out, gpuMetrics(r));
    return out;
  }

  /** Kills the child; idempotent. */
  stop(): void {
    const child = this.child;
    this.child = undefined;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill();
  }
}

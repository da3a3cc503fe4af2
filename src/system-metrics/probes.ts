/**
 * Readers of machine counters: CPU time, memory, disk space, disk and network I/O. Linux
 * counters come from `/proc` (cheap text files); elsewhere CPU falls back to `os.cpus()` and the
 * I/O counters are absent, so those metrics are simply not logged. No reader ever throws.
 *
 * @packageDocumentation
 */
import { readdir, readFile, statfs } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Cumulative counters read at one instant; a metric is the difference of two readings. */
export interface Counters {
  /** Busy and total CPU time of the machine, in any unit (their ratio is what counts). */
  readonly cpu: { busy: number; total: number } | undefined;
  /** Bytes received and sent on every interface (loopback included, as psutil counts them). */
  readonly net: { rx: number; tx: number } | undefined;
  /** Bytes read and written by the machine's whole disks. */
  readonly disk: { read: number; written: number } | undefined;
}

async function text(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "latin1");
  } catch {
    return undefined;
  }
}

/** `cpu  user nice system idle iowait irq softirq steal …` (the first line of /proc/stat). */
export function parseProcStat(stat: string): { busy: number; total: number } | undefined {
  const line = stat.split("\n", 1)[0] ?? "";
  if (!line.startsWith("cpu ")) return undefined;
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (v.length < 4 || v.some((n) => !Number.isFinite(n))) return undefined;
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

function cpusFallback(): { busy: number; total: number } | undefined {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return total > 0 ? { busy, total } : undefined;
}

/** Sums the byte columns of `/proc/net/dev`. */
export function parseNetDev(dev: string): { rx: number; tx: number } | undefined {
  let rx = 0;
  let tx = 0;
  let seen = false;
  for (const line of dev.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (f.length < 9 || !Number.isFinite(f[0]) || !Number.isFinite(f[8])) continue;
    rx += f[0] as number;
    tx += f[8] as number;
    seen = true;
  }
  return seen ? { rx, tx } : undefined;
}

/** Sums sectors read and written (512 bytes each) of the named whole disks in `/proc/diskstats`. */
export function parseDiskStats(stats: string, disks: ReadonlySet<string>): { read: number; written: number } | undefined {
  let read = 0;
  let written = 0;
  let seen = false;
  for (const line of stats.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !disks.has(f[2] as string)) continue;
    read += Number(f[5]) * 512;
    written += Number(f[9]) * 512;
    seen = true;
  }
  return seen && Number.isFinite(read + written) ? { read, written } : undefined;
}

/** Whole disks (not partitions, loop or RAM devices): the entries of /sys/block. */
export async function wholeDisks(): Promise<Set<string>> {
  try {
    return new Set((await readdir("/sys/block")).filter((d) => !/^(loop|ram|zram)/.test(d)));
  } catch {
    return new Set();
  }
}

/** Reads every cumulative counter at once. */
export async function readCounters(disks: ReadonlySet<string>): Promise<Counters> {
  if (process.platform !== "linux") return { cpu: cpusFallback(), net: undefined, disk: undefined };
  const [stat, dev, diskstats] = await Promise.all([text("/proc/stat"), text("/proc/net/dev"), disks.size > 0 ? text("/proc/diskstats") : undefined]);
  return {
    cpu: (stat === undefined ? undefined : parseProcStat(stat)) ?? cpusFallback(),
    net: dev === undefined ? undefined : parseNetDev(dev),
    disk: diskstats === undefined ? undefined : parseDiskStats(diskstats, disks),
  };
}

/** Used and free space of the file system holding `dir` (the root, as MLflow measures), in bytes. */
export async function diskSpace(dir = path.parse(process.cwd()).root): Promise<{ used: number; free: number; total: number } | undefined> {
  try {
    const s = await statfs(dir);
    const total = s.blocks * s.bsize;
    const free = s.bavail * s.bsize;
    const used = (s.blocks - s.bfree) * s.bsize;
    return total > 0 ? { used, free, total } : undefined;
  } catch {
    return undefined;
  }
}

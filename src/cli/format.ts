/**
 * What every command prints with: colours, numbers, sizes, durations, statuses, and stdout.
 */
import type { Command } from "commander";
import pc from "picocolors";
import type { RunStatus, Tracker } from "../index.js";
import { formatMetric } from "../internal/number-format.js";

/** Makes a tracker from a command's global options. */
export type TrackerFactory = (cmd: Command, experiment?: string) => Tracker;

/** Colour functions; plain when NO_COLOR is set (non-empty) or stdout is not a TTY (FORCE_COLOR overrides). */
export type Colors = ReturnType<typeof pc.createColors>;

/**
 * Colours for stdout, decided at call time so tests can set NO_COLOR.
 * @example `colors().green("best")`
 */
export function colors(env: NodeJS.ProcessEnv = process.env, tty: boolean = process.stdout.isTTY === true): Colors {
  const noColor = env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "";
  const force = env["FORCE_COLOR"] !== undefined && env["FORCE_COLOR"] !== "0";
  return pc.createColors(!noColor && (force || tty));
}

/**
 * A metric value for a table: 5 significant digits; `-` for none.
 * @example `fmt(0.123456) // "0.12346"`
 */
export function fmt(value: number | null | undefined): string {
  return formatMetric(value, "-");
}

/**
 * A byte count in binary units: `512 B`, `1.5 KB`, `3.2 MB`; empty for none.
 * @example `size(1536) // "1.5 KB"`
 */
export function size(bytes: number | undefined): string {
  if (bytes === undefined) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * A duration for people: `850ms`, `42s`, `3m05s`, `2h07m`, `3d04h`; `-` for none.
 * @example `duration(185_000) // "3m05s"`
 */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return "-";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const two = (n: number): string => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${two(Math.floor((s % 86_400) / 3600))}h`;
}

/**
 * A run status, coloured: green finished, red failed or killed, yellow running; `(crashed)`
 * when the writing process died.
 * @example `statusCell("KILLED", true, colors()) // "KILLED (crashed)"`
 */
export function statusCell(s: RunStatus, crashed: boolean, c: Colors): string {
  const text = crashed ? `${s} (crashed)` : s;
  if (s === "FINISHED") return c.green(text);
  if (s === "FAILED" || s === "KILLED") return c.red(text);
  return c.yellow(text);
}

/** Writes a line to stdout. */
export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/**
 * Runs `fn` with the tracker and closes it after, whatever happens.
 * @example `await using(trackerFrom(cmd), (t) => t.listModels())`
 */
export async function using<T>(tracker: Tracker, fn: (t: Tracker) => Promise<T>): Promise<T> {
  try {
    return await fn(tracker);
  } finally {
    await tracker.close();
  }
}

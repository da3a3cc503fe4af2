/**
 * `mltrail compare ID ID …`: runs side by side in aligned tables, the best run per metric and
 * the params that differ highlighted (colour unless NO_COLOR), or `--json`. Also the shared
 * table and colour helpers of the run commands.
 */
import Table from "cli-table3";
import type { Command } from "commander";
import pc from "picocolors";
import { compareRuns, type RunComparison, type Tracker } from "../index.js";
import { defined } from "../internal/defined.js";

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
 * An aligned table (cli-table3) without its own colours.
 * @example `grid(["key", "value"]).toString()`
 */
export function grid(head: readonly string[], aligns?: readonly ("left" | "right")[]): Table.Table {
  return new Table({ head: [...head], style: { head: [], border: [], compact: true }, ...(aligns === undefined ? {} : { colAligns: [...aligns] }) });
}

/**
 * A metric value for a table: 5 significant digits; `-` for none.
 * @example `fmt(0.123456) // "0.12346"`
 */
export function fmt(value: number | null | undefined): string {
  if (value === null || value === undefined) return "-";
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e9) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-4)) return value.toExponential(3);
  return String(Number(value.toPrecision(5)));
}

/** Writes a line to stdout. */
export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/**
 * The comparison as text: a runs table, a metrics table (★ best), the params that differ.
 * @example `print(formatComparison(await compareRuns(tracker, ids), colors()))`
 */
export function formatComparison(cmp: RunComparison, c: Colors): string {
  const names = cmp.runs.map((r) => r.name);
  const runs = grid(["run", "id", "status", "git commit"]);
  for (const r of cmp.runs) runs.push([c.bold(r.name), r.runId, r.status, r.gitCommit?.slice(0, 10) ?? "-"]);
  const out = [runs.toString()];
  const keys = Object.keys(cmp.metrics);
  if (keys.length > 0) {
    const metrics = grid(["metric", ...names], ["left", ...names.map(() => "right" as const)]);
    for (const key of keys) {
      const m = cmp.metrics[key];
      if (m === undefined) continue;
      const cells = m.perRun.map((s, i) => {
        const text = s.last === null ? "-" : `${fmt(s.last)}${s.bestStep === null ? "" : ` (best ${fmt(s.best)} @${s.bestStep})`}`;
        return m.best?.index === i ? c.green(c.bold(`★ ${text}`)) : text;
      });
      metrics.push([`${key} ${m.direction === "min" ? "↓" : "↑"}`, ...cells]);
    }
    out.push(metrics.toString());
  }
  const differing = Object.entries(cmp.params.differing);
  if (differing.length > 0) {
    const params = grid(["param (differs)", ...names]);
    for (const [k, values] of differing) params.push([k, ...values.map((v) => c.yellow(v ?? "(unset)"))]);
    out.push(params.toString());
  } else {
    out.push(c.dim("params: all equal"));
  }
  const same = Object.entries(cmp.params.same ?? {});
  if (same.length > 0) {
    const params = grid(["param (same)", "value"]);
    for (const [k, v] of same) params.push([k, v]);
    out.push(params.toString());
  }
  return out.join("\n");
}

/**
 * Registers `mltrail compare <runId...>`.
 * @example `registerCompareCommands(program, trackerFrom)`
 */
export function registerCompareCommands(program: Command, trackerFrom: TrackerFactory): void {
  program
    .command("compare <runIds...>")
    .description("compare runs: metrics (best marked), params that differ, git commits")
    .option("-m, --metric <key...>", "metrics to compare (default: all)")
    .option("--min <key...>", "metrics where lower is better (default: by name, loss/error → lower)")
    .option("--max <key...>", "metrics where higher is better")
    .option("--all-params", "also list the params equal in every run")
    .option("--json", "print JSON")
    .action(async (runIds: string[], opts: { metric?: string[]; min?: string[]; max?: string[]; allParams?: boolean; json?: boolean }, cmd: Command) => {
      const tracker = trackerFrom(cmd);
      try {
        const direction: Record<string, "min" | "max"> = {};
        for (const k of opts.min ?? []) direction[k] = "min";
        for (const k of opts.max ?? []) direction[k] = "max";
        const cmp = await compareRuns(tracker, runIds, {
          direction,
          allParams: opts.allParams === true,
          ...defined({ metrics: opts.metric }),
        });
        print(opts.json === true ? JSON.stringify(cmp, null, 2) : formatComparison(cmp, colors()));
      } finally {
        await tracker.close();
      }
    });
}

/**
 * `mltrail compare ID ID …`: runs side by side in aligned tables, the best run per metric and
 * the params that differ highlighted (colour unless NO_COLOR), or `--json`.
 */
import type { Command } from "commander";
import { compareRuns, type RunComparison } from "../index.js";
import { defined } from "../internal/defined.js";
import { table } from "../internal/table.js";
import { colors, fmt, print, type Colors, type TrackerFactory } from "./format.js";

/**
 * The comparison as text: a runs table, a metrics table (★ best), the params that differ.
 * @example `print(formatComparison(await compareRuns(tracker, ids), colors()))`
 */
export function formatComparison(cmp: RunComparison, c: Colors): string {
  const names = cmp.runs.map((r) => r.name);
  const out = [
    table(
      ["run", "id", "status", "git commit"],
      cmp.runs.map((r) => [c.bold(r.name), r.runId, r.status, r.gitCommit?.slice(0, 10) ?? "-"]),
    ),
  ];
  const metrics: string[][] = [];
  for (const [key, m] of Object.entries(cmp.metrics)) {
    const cells = m.perRun.map((s, i) => {
      const text = s.last === null ? "-" : `${fmt(s.last)}${s.bestStep === null ? "" : ` (best ${fmt(s.best)} @${s.bestStep})`}`;
      return m.best?.index === i ? c.green(c.bold(`★ ${text}`)) : text;
    });
    metrics.push([`${key} ${m.direction === "min" ? "↓" : "↑"}`, ...cells]);
  }
  if (metrics.length > 0) out.push(table(["metric", ...names], metrics, ["left", ...names.map(() => "right" as const)]));
  const differing = Object.entries(cmp.params.differing);
  if (differing.length > 0)
    out.push(
      table(
        ["param (differs)", ...names],
        differing.map(([k, values]) => [k, ...values.map((v) => c.yellow(v ?? "(unset)"))]),
      ),
    );
  else out.push(c.dim("params: all equal"));
  const same = Object.entries(cmp.params.same ?? {});
  if (same.length > 0) out.push(table(["param (same)", "value"], same));
  return out.join("\n\n");
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

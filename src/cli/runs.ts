/**
 * `mltrail experiments`, `mltrail runs list`, `mltrail runs show`: aligned tables (cli-table3),
 * colour unless NO_COLOR (picocolors), or `--json`.
 */
import type { Command } from "commander";
import type { RunRecord, RunStatus } from "../index.js";
import { colors, fmt, grid, print, type Colors, type TrackerFactory } from "./compare.js";
import { iso } from "../internal/table.js";
import { defined } from "../internal/defined.js";

function status(s: RunStatus, crashed: boolean, c: Colors): string {
  const text = crashed ? `${s} (crashed)` : s;
  if (s === "FINISHED") return c.green(text);
  if (s === "FAILED" || s === "KILLED") return c.red(text);
  return c.yellow(text);
}

function metricsCell(run: RunRecord): string {
  const entries = Object.entries(run.data.metrics);
  const shown = entries.slice(0, 4).map(([k, v]) => `${k}=${fmt(v)}`);
  return entries.length > 4 ? `${shown.join(" ")} …+${entries.length - 4}` : shown.join(" ");
}

/** Registers the read-only run and experiment commands. @example `registerRunCommands(program, trackerFrom)` */
export function registerRunCommands(program: Command, trackerFrom: TrackerFactory): void {
  program
    .command("experiments")
    .description("list experiments")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const tracker = trackerFrom(cmd);
      try {
        const experiments = await tracker.listExperiments();
        if (opts.json === true) return print(JSON.stringify(experiments, null, 2));
        const t = grid(["id", "name", "created"], ["right", "left", "left"]);
        for (const e of experiments) t.push([e.experimentId, e.name, iso(e.creationTime)]);
        print(t.toString());
      } finally {
        await tracker.close();
      }
    });

  const runs = program.command("runs").description("list and show runs");
  runs
    .command("list")
    .description("list runs of an experiment")
    .option("-e, --experiment <name>", "experiment name")
    .option("-f, --filter <filter>", 'MLflow search filter, e.g. "metrics.acc > 0.9"')
    .option("-o, --order-by <clause...>", 'order clauses, e.g. "metrics.acc DESC"')
    .option("-n, --max-results <n>", "most runs to list", "100")
    .option("--json", "print JSON")
    .action(async (opts: { experiment?: string; filter?: string; orderBy?: string[]; maxResults: string; json?: boolean }, cmd: Command) => {
      const tracker = trackerFrom(cmd, opts.experiment);
      try {
        const found = await tracker.searchRuns({
          ...defined({ filter: opts.filter }),
          ...defined({ orderBy: opts.orderBy }),
          maxResults: Number(opts.maxResults),
        });
        if (opts.json === true) return print(JSON.stringify(found, null, 2));
        const c = colors();
        const t = grid(["id", "name", "status", "started", "metrics"]);
        for (const run of found)
          t.push([run.info.runId, c.bold(run.info.name), status(run.info.status, run.info.crashed === true, c), iso(run.info.startTime), metricsCell(run)]);
        print(
          found.length === 0
            ? c.dim(`no runs in experiment "${tracker.options.experiment}" (see: mltrail experiments; choose one with --experiment)`)
            : t.toString(),
        );
      } finally {
        await tracker.close();
      }
    });
  runs
    .command("show <runId>")
    .description("show one run: info, params, latest metrics, tags")
    .option("--json", "print JSON")
    .action(async (runId: string, opts: { json?: boolean }, cmd: Command) => {
      const tracker = trackerFrom(cmd);
      try {
        const run = await tracker.getRun(runId);
        if (opts.json === true) return print(JSON.stringify(run, null, 2));
        const c = colors();
        const info = grid(["run", run.info.runId]);
        info.push(
          ["name", c.bold(run.info.name)],
          ["status", status(run.info.status, run.info.crashed === true, c)],
          ["experiment", run.info.experimentId],
          ["started", iso(run.info.startTime)],
          ["ended", iso(run.info.endTime)],
        );
        if (run.info.parentRunId !== undefined) info.push(["parent", run.info.parentRunId]);
        const out = [info.toString()];
        for (const [title, values] of [
          ["param", run.data.params],
          ["metric", run.data.metrics],
          ["tag", run.data.tags],
        ] as const) {
          const entries = Object.entries(values);
          if (entries.length === 0) continue;
          const t = grid([title, "value"], ["left", title === "metric" ? "right" : "left"]);
          for (const [k, v] of entries) t.push([k, typeof v === "number" ? fmt(v) : v]);
          out.push(t.toString());
        }
        print(out.join("\n"));
      } finally {
        await tracker.close();
      }
    });
}

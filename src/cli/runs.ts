/**
 * `mltrail experiments`, `mltrail runs list`, `mltrail runs show`.
 */
import type { Command } from "commander";
import type { RunRecord, Tracker } from "../index.js";
import { iso } from "./table.js";

type TrackerFactory = (cmd: Command, experiment?: string) => Tracker;

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}


function runLine(run: RunRecord): string {
  const metrics = Object.entries(run.data.metrics)
    .slice(0, 4)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toPrecision(4)}`)
    .join(" ");
  return `${run.info.runId}  ${run.info.status.padEnd(8)}  ${iso(run.info.startTime)}  ${run.info.name.padEnd(24)}  ${metrics}`;
}

/** Registers the read-only run and experiment commands. */
export function registerRunCommands(program: Command, trackerFrom: TrackerFactory): void {
  program
    .command("experiments")
    .description("list experiments")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const tracker = trackerFrom(cmd);
      const experiments = await tracker.listExperiments();
      if (opts.json === true) print(JSON.stringify(experiments, null, 2));
      else for (const e of experiments) print(`${e.experimentId.padStart(4)}  ${e.name}`);
      await tracker.close();
    });

  const runs = program.command("runs").description("list and show runs");
  runs
    .command("list")
    .description("list runs of an experiment")
    .option("-e, --experiment <name>", "experiment name")
    .option("-f, --filter <filter>", "MLflow search filter, e.g. \"metrics.acc > 0.9\"")
    .option("-o, --order-by <clause...>", "order clauses, e.g. \"metrics.acc DESC\"")
    .option("-n, --max-results <n>", "most runs to list", "100")
    .option("--json", "print JSON")
    .action(async (opts: { experiment?: string; filter?: string; orderBy?: string[]; maxResults: string; json?: boolean }, cmd: Command) => {
      const tracker = trackerFrom(cmd, opts.experiment);
      const found = await tracker.searchRuns({
        ...(opts.filter === undefined ? {} : { filter: opts.filter }),
        ...(opts.orderBy === undefined ? {} : { orderBy: opts.orderBy }),
        maxResults: Number(opts.maxResults),
      });
      if (opts.json === true) print(JSON.stringify(found, null, 2));
      else for (const run of found) print(runLine(run));
      await tracker.close();
    });
  runs
    .command("show <runId>")
    .description("show one run: info, params, latest metrics, tags")
    .option("--json", "print JSON")
    .action(async (runId: string, opts: { json?: boolean }, cmd: Command) => {
      const tracker = trackerFrom(cmd);
      const run = await tracker.getRun(runId);
      if (opts.json === true) {
        print(JSON.stringify(run, null, 2));
      } else {
        print(`run ${run.info.runId}  "${run.info.name}"  ${run.info.status}${run.info.crashed === true ? " (writer crashed)" : ""}`);
        print(`  experiment ${run.info.experimentId}  started ${iso(run.info.startTime)}  ended ${iso(run.info.endTime)}`);
        for (const [title, values] of [["params", run.data.params], ["metrics", run.data.metrics], ["tags", run.data.tags]] as const) {
          print(`  ${title}:`);
          for (const [k, v] of Object.entries(values)) print(`    ${k} = ${String(v)}`);
        }
      }
      await tracker.close();
    });
}

/**
 * `mltrail report [--experiment E | --runs A,B | --model NAME] -o report.html`.
 */
import type { Command } from "commander";
import { writeReport } from "../report/index.js";
import { print, type TrackerFactory } from "./format.js";
import { defined } from "../internal/defined.js";

interface ReportOpts {
  experiment?: string;
  runs?: string;
  model?: string;
  versions?: string;
  metric?: string[];
  output: string;
  title?: string;
  maxPoints: string;
  maxRuns: string;
}

function list(text: string | undefined): string[] | undefined {
  return text === undefined
    ? undefined
    : text
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
}

/**
 * Registers `mltrail report`.
 * @example `registerReportCommand(program, trackerFrom)`
 */
export function registerReportCommand(program: Command, trackerFrom: TrackerFactory): void {
  program
    .command("report")
    .description("write a self-contained HTML report (charts, summary, params diff, model timeline and lineage)")
    .option("-e, --experiment <name>", "every run of an experiment (default: the tracker's experiment)")
    .option("-r, --runs <ids>", "comma-separated run ids")
    .option("--model <name>", "a model: its releases and their runs")
    .option("--versions <refs>", "with --model: comma-separated versions, ranges or aliases (default: all)")
    .option("-m, --metric <key...>", "metrics to include (default: all)")
    .option("-o, --output <file>", "HTML file to write", "report.html")
    .option("-t, --title <title>", "page title")
    .option("--max-points <n>", "points kept per curve (LTTB downsampling)", "2000")
    .option("--max-runs <n>", "most runs of an experiment", "50")
    .action(async (opts: ReportOpts, cmd: Command) => {
      const given = [opts.experiment, opts.runs, opts.model].filter((x) => x !== undefined).length;
      if (given > 1) throw new Error("give only one of --experiment, --runs, --model");
      if (given === 0) throw new Error("say what to report on: --experiment NAME, --runs ID,ID or --model NAME");
      const tracker = trackerFrom(cmd, opts.experiment);
      try {
        const runs = list(opts.runs);
        const versions = list(opts.versions);
        const result = await writeReport(tracker, {
          output: opts.output,
          maxPointsPerSeries: Number(opts.maxPoints),
          maxRuns: Number(opts.maxRuns),
          ...defined({ experiment: opts.experiment }),
          ...defined({ runs }),
          ...defined({ model: opts.model }),
          ...defined({ versions }),
          ...defined({ metrics: opts.metric }),
          ...defined({ title: opts.title }),
        });
        const { data } = result;
        print(
          `wrote ${opts.output} (${Math.ceil(result.bytes / 1024)} KiB): ${data.comparison.runs.length} runs, ${data.charts.length} charts${data.model === undefined ? "" : `, ${data.model.comparison.versions.length} versions`}`,
        );
      } finally {
        await tracker.close();
      }
    });
}

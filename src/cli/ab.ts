/**
 * `mltrail ab show KEY [--metric M] [--json]`: the analysis of an A/B test as an aligned table.
 */
import type { Command } from "commander";
import { AB_DEFAULT_EXPERIMENT, formatAnalysis, openAbTest, type Tracker } from "../index.js";
import { outcomeMetrics } from "../ab/index.js";
import { defined } from "../internal/defined.js";

type TrackerFactory = (cmd: Command, experiment?: string) => Tracker;

/**
 * Registers `mltrail ab show`.
 * @example `registerAbCommands(program, trackerFrom)`
 */
export function registerAbCommands(program: Command, trackerFrom: TrackerFactory): void {
  const ab = program.command("ab").description("A/B tests of model versions");
  ab.command("show <key>")
    .description("analyze an A/B test: per-variant n, conversion or mean, lift with CI, SRM, decision")
    .option("-m, --metric <name>", "outcome metric (default: the first one logged)")
    .option("-k, --kind <kind>", "binary or continuous (default: inferred)")
    .option("-a, --alpha <alpha>", "significance level", "0.05")
    .option("-e, --experiment <name>", "experiment of the test's runs", AB_DEFAULT_EXPERIMENT)
    .option("--json", "print JSON")
    .action(async (key: string, opts: { metric?: string; kind?: string; alpha: string; experiment: string; json?: boolean }, cmd: Command) => {
      const tracker = trackerFrom(cmd);
      try {
        const view = await openAbTest(tracker, key, opts.experiment);
        let metric = opts.metric;
        if (metric === undefined) {
          const runs = await Promise.all(view.runIds.map((id) => tracker.getRun(id)));
          metric = outcomeMetrics(runs.flatMap((r) => Object.keys(r.data.metrics)))[0];
          if (metric === undefined) throw new Error(`A/B test "${key}" has no outcomes yet: pass --metric`);
        }
        if (opts.kind !== undefined && opts.kind !== "binary" && opts.kind !== "continuous") throw new Error("--kind must be binary or continuous");
        const analysis = await view.analyze({ metric, alpha: Number(opts.alpha), ...defined({ kind: opts.kind }) });
        process.stdout.write(opts.json === true ? `${JSON.stringify(analysis, null, 2)}\n` : formatAnalysis(analysis));
      } finally {
        await tracker.close();
      }
    });
}

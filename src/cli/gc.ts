/**
 * `mltrail gc`: removes deleted runs and experiments from the local run log for good.
 */
import type { Command } from "commander";
import { print, using, type TrackerFactory } from "./format.js";

const UNITS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/**
 * Parses `--older-than` as MLflow's `gc` does: `30d`, `1d12h`, `90m`, `45s`, in that order of units.
 * @example `parseAge("1d2h") // 93_600_000`
 */
export function parseAge(text: string): number {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (m === null || text.trim() === "") throw new Error(`--older-than ${JSON.stringify(text)}: give a duration such as 30d, 1d12h, 90m or 45s`);
  return ["d", "h", "m", "s"].reduce((ms, unit, i) => ms + Number(m[i + 1] ?? 0) * (UNITS[unit] ?? 0), 0);
}

/** Registers `mltrail gc`. @example `registerGcCommand(program, trackerFrom)` */
export function registerGcCommand(program: Command, trackerFrom: TrackerFactory): void {
  program
    .command("gc")
    .description("remove deleted runs (and emptied deleted experiments) from the local run log for good; they cannot be restored afterwards")
    .option("--older-than <age>", "only what was deleted at least this long ago, e.g. 30d, 1d12h, 90m")
    .option("--run <id...>", "only these runs")
    .option("--json", "print JSON")
    .action(async (opts: { olderThan?: string; run?: string[]; json?: boolean }, cmd: Command) =>
      using(trackerFrom(cmd), async (t) => {
        const result = await t.gc({
          ...(opts.olderThan === undefined ? {} : { olderThanMs: parseAge(opts.olderThan) }),
          ...(opts.run === undefined ? {} : { runIds: opts.run }),
        });
        if (opts.json === true) return print(JSON.stringify(result, null, 2));
        print(`removed ${result.runs.length} run(s) and ${result.experiments.length} experiment(s) for good`);
        for (const s of result.skipped) process.stderr.write(`  kept run ${s.runId}: ${s.reason}\n`);
      }),
    );
}

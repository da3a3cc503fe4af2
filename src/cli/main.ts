#!/usr/bin/env node
/**
 * The `mltrail` command. It uses the public API only.
 *
 * It loads lazily: only commander and the module of the command asked for are loaded (every
 * module only for `--help` or an unknown command), so `mltrail runs list` does not pay for the
 * report, the dashboard, the progress bars or the model commands (bench/local-queries.mjs,
 * part `cli`, measures the whole process).
 */
import { Command } from "commander";
import type { Tracker } from "../index.js";
import { defined } from "../internal/defined.js";
import type { TrackerFactory } from "./format.js";

/** A command module: registers its commands on the program. */
type Register = (program: Command, trackerFrom: TrackerFactory) => void;

/** Each top-level command's module, loaded only when that command runs. */
const modules: Readonly<Record<string, () => Promise<Register>>> = {
  experiments: async () => (await import("./runs.js")).registerRunCommands,
  runs: async () => (await import("./runs.js")).registerRunCommands,
  sync: async () => (await import("./sync.js")).registerSyncCommand,
  models: async () => (await import("./models.js")).registerModelCommands,
  artifacts: async () => (await import("./artifacts.js")).registerArtifactCommands,
  lineage: async () => (await import("./artifacts.js")).registerArtifactCommands,
  compare: async () => (await import("./compare.js")).registerCompareCommands,
  report: async () => (await import("./report.js")).registerReportCommand,
  ab: async () => (await import("./ab.js")).registerAbCommands,
  gc: async () => (await import("./gc.js")).registerGcCommand,
  ui: async () => (await import("./ui.js")).registerUiCommand,
};

/** The command named on the command line: the first word that is not an option or its value. */
function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === undefined) break;
    if (word === "--tracking-uri") i++;
    else if (!word.startsWith("-")) return word;
  }
  return undefined;
}

async function main(): Promise<void> {
  const sdk = await import("../index.js");
  const program = new Command();
  program
    .name("mltrail")
    .description("Experiment tracking and model releases: inspect the local store or a tracking server.")
    .option("--tracking-uri <uri>", "store folder or server URL (default: MLFLOW_TRACKING_URI, else ./mltrail)")
    .version(sdk.VERSION);

  /** Creates a tracker from the global options (no process hooks, no capture). */
  const trackerFrom = (cmd: Command, experiment?: string): Tracker => {
    const { trackingUri } = cmd.optsWithGlobals<{ trackingUri?: string }>();
    return new sdk.Tracker({
      ...defined({ trackingUri }),
      ...defined({ experiment }),
      handleExit: false,
      captureContext: false,
      drainOnStart: false,
    });
  };

  const word = commandWord(process.argv.slice(2));
  const load = word === undefined ? undefined : modules[word];
  // `--help`, `help` or an unknown command: every command, so help and commander's suggestions list them all.
  const loaders = load === undefined ? [...new Set(Object.values(modules))] : [load];
  const registered = new Set<Register>();
  for (const register of await Promise.all(loaders.map((l) => l()))) {
    if (registered.has(register)) continue;
    registered.add(register);
    register(program, trackerFrom);
  }
  await program.parseAsync(process.argv).catch((err: unknown) => {
    // mltrail's errors and the commands' usage messages (plain Errors) explain themselves; a
    // TypeError, a raw system error or a thrown non-error is a bug worth reporting as such.
    const expected = err instanceof sdk.MltrailError || (err instanceof Error && err.constructor === Error && !("code" in err));
    const unexpected = expected ? "" : `unexpected ${err instanceof Error ? err.name : typeof err} (a bug in mltrail, please report it): `;
    process.stderr.write(`mltrail: ${unexpected}${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}

void main();

#!/usr/bin/env node
/**
 * The `mltrail` command. It uses the public API only.
 */
import { Command } from "commander";
import { MltrailError, Tracker, VERSION } from "../index.js";
import { registerRunCommands } from "./runs.js";
import { registerSyncCommand } from "./sync.js";
import { registerModelCommands } from "./models.js";
import { registerArtifactCommands } from "./artifacts.js";
import { registerCompareCommands } from "./compare.js";
import { registerReportCommand } from "./report.js";
import { registerAbCommands } from "./ab.js";
import { registerGcCommand } from "./gc.js";
import { registerUiCommand } from "./ui.js";
import { defined } from "../internal/defined.js";

const program = new Command();
program
  .name("mltrail")
  .description("Experiment tracking and model releases: inspect the local store or a tracking server.")
  .option("--tracking-uri <uri>", "store folder or server URL (default: MLFLOW_TRACKING_URI, else ./mltrail)")
  .version(VERSION);

/** Creates a tracker from the global options (no process hooks, no capture). */
export function trackerFrom(cmd: Command, experiment?: string): Tracker {
  const { trackingUri } = cmd.optsWithGlobals<{ trackingUri?: string }>();
  return new Tracker({
    ...defined({ trackingUri }),
    ...defined({ experiment }),
    handleExit: false,
    captureContext: false,
    drainOnStart: false,
  });
}

registerRunCommands(program, trackerFrom);
registerSyncCommand(program);
registerModelCommands(program, (cmd) => trackerFrom(cmd));
registerArtifactCommands(program, (cmd) => trackerFrom(cmd));
registerCompareCommands(program, (cmd) => trackerFrom(cmd));
registerReportCommand(program, (cmd) => trackerFrom(cmd));
registerAbCommands(program, (cmd) => trackerFrom(cmd));
registerGcCommand(program, (cmd) => trackerFrom(cmd));
registerUiCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  // mltrail's errors and the commands' usage messages (plain Errors) explain themselves; a
  // TypeError, a raw system error or a thrown non-error is a bug worth reporting as such.
  const expected = err instanceof MltrailError || (err instanceof Error && err.constructor === Error && !("code" in err));
  const unexpected = expected ? "" : `unexpected ${err instanceof Error ? err.name : typeof err} (a bug in mltrail, please report it): `;
  process.stderr.write(`mltrail: ${unexpected}${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});

/**
 * `mltrail sync`: sends what a local run log holds to a tracking server.
 */
import type { Command } from "commander";
import { syncRuns } from "../index.js";
import { exportScheme, syncToFiles } from "./sync-export.js";
import { defined } from "../internal/defined.js";
import { progress } from "./progress.js";

/** Registers `mltrail sync`. */
export function registerSyncCommand(program: Command): void {
  program
    .command("sync")
    .description(
      "replicate runs pending in a local run log to a tracking server, including runs logged before the server was configured; running it again sends nothing twice",
    )
    .option("--dir <folder>", "the local run log (default: MLTRAIL_SPOOL_DIR, else ./mltrail)")
    .option(
      "--to <uri>",
      "the tracking server URL (default: --tracking-uri, else MLFLOW_TRACKING_URI), or tensorboard:<folder> / dvc:<folder> to export runs as TensorBoard event files / DVCLive folders",
    )
    .option("--run <id>", "only this run (local or server id)")
    .option("--timeout <seconds>", "give up on what is still unsent after this long", "600")
    .option("--json", "print the summary as JSON, without a progress bar")
    .action(async (opts: { dir?: string; to?: string; run?: string; timeout: string; json?: boolean }, cmd: Command) => {
      const seconds = Number(opts.timeout);
      if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`--timeout must be a number of seconds ≥ 0, got "${opts.timeout}"`);
      const globals = cmd.optsWithGlobals<{ trackingUri?: string }>();
      const to = opts.to ?? globals.trackingUri;
      if (exportScheme(to) !== undefined) return syncToFiles(to as string, opts);
      const shown = opts.json === true ? undefined : progress("sync", "records");
      const summary = await syncRuns({
        ...defined({ spoolDir: opts.dir }),
        ...defined({ trackingUri: to }),
        ...defined({ runId: opts.run }),
        timeoutMs: seconds * 1000,
        onError: (message) => {
          if (opts.json !== true) process.stderr.write(`mltrail sync: ${message} (retrying until --timeout)\n`);
        },
        onProgress: ({ runs, sent, total }) => shown?.update(Math.min(sent, total), total, `${runs} run(s)`),
      });
      shown?.stop();
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      } else {
        const verb = summary.pending === 0 ? "synced" : summary.acked === 0 && summary.runs > 0 ? "could not sync" : "partly synced";
        process.stdout.write(`${verb} ${summary.runs} run(s): ${summary.acked} records sent, ${summary.rejected} rejected, ${summary.pending} still pending\n`);
        for (const e of summary.errors) process.stderr.write(`  error: ${e}\n`);
      }
      if (summary.pending > 0) process.exitCode = 2;
    });
}

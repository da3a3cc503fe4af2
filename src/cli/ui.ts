/**
 * `mltrail ui [--dir ./mltrail | --to <uri>] [--port 5111] [--host 127.0.0.1] [--poll <ms>]`: the live
 * dashboard, until interrupted.
 */
import type { Command } from "commander";
import { Tracker } from "../index.js";
import { defined } from "../internal/defined.js";
import { startUi } from "../ui/index.js";

interface UiOpts {
  dir?: string;
  to?: string;
  port: string;
  host: string;
  poll?: string;
}

/** The tracking server's address to link runs to, without credentials; undefined for a local store. */
function serverUrlOf(uri: string | undefined): string | undefined {
  if (uri === undefined || !/^https?:\/\//i.test(uri)) return undefined;
  const url = new URL(uri);
  url.username = "";
  url.password = "";
  return url.toString().replace(/\/+$/, "");
}

/**
 * Registers `mltrail ui`.
 * @example `registerUiCommand(program)`
 */
export function registerUiCommand(program: Command): void {
  program
    .command("ui")
    .description("serve a live dashboard of runs, charts, artifacts and models (read-only; loopback only unless --host, which requires the printed token)")
    .option("--dir <folder>", "local store folder (default: ./mltrail)")
    .option("--to <uri>", "tracking server URL (MLflow-compatible)")
    .option("-p, --port <n>", "port (0 picks a free one)", "5111")
    .option("--host <host>", "interface to listen on; any host but loopback requires the access token", "127.0.0.1")
    .option("--poll <ms>", "interval of the live updates' polls (default: 200 on a local store, 1000 on a tracking server)")
    .action(async (opts: UiOpts, cmd: Command) => {
      if (opts.dir !== undefined && opts.to !== undefined) throw new Error("give only one of --dir and --to");
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer from 0 to 65535, got ${JSON.stringify(opts.port)}`);
      const poll = opts.poll === undefined ? undefined : Number(opts.poll);
      if (poll !== undefined && (!Number.isInteger(poll) || poll < 25 || poll > 60_000))
        throw new Error(`--poll must be an integer from 25 to 60000 (ms), got ${JSON.stringify(opts.poll)}`);
      const { trackingUri } = cmd.optsWithGlobals<{ trackingUri?: string }>();
      const uri = opts.to ?? opts.dir ?? trackingUri ?? process.env["MLFLOW_TRACKING_URI"];
      const tracker = new Tracker({ ...defined({ trackingUri: uri }), handleExit: false, captureContext: false, drainOnStart: false, syncEarlierRuns: false });
      const token = process.env["MLTRAIL_UI_TOKEN"];
      const ui = await startUi(tracker, {
        host: opts.host,
        port,
        ...defined({ token: token === "" ? undefined : token }),
        ...defined({ serverUrl: serverUrlOf(uri), livePollMs: poll }),
      });
      process.stdout.write(`mltrail ui: serving ${uri ?? "./mltrail"} at ${ui.url}\n`);
      if (ui.token !== undefined)
        process.stdout.write("mltrail ui: the access token is in that link; keep it private (anyone holding it can read every run)\n");
      process.stdout.write("mltrail ui: read-only; press Ctrl+C to stop\n");
      await new Promise<void>((resolve) => {
        const done = (): void => resolve();
        process.once("SIGINT", done);
        process.once("SIGTERM", done);
      });
      await ui.close();
      await tracker.close();
    });
}

/**
 * CLI output snapshots: `runs list`, `runs show`, `compare`, `report`, run as a user would
 * (`node dist/cli/main.js`; build first with `npx tsup`). NO_COLOR and TZ are fixed; run ids
 * and times are replaced before snapshotting. Until `compare`/`report` are registered in
 * src/cli/main.ts, those two run through a tiny commander program over the sources (tsx).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const main = path.join(root, "dist", "cli", "main.js");
let store: string;
const ids: string[] = [];
let harness: string | undefined;

async function cli(args: readonly string[], env: Record<string, string> = { NO_COLOR: "1" }): Promise<string> {
  const local = harness !== undefined && (args[0] === "compare" || args[0] === "report");
  const argv = local ? ["--import", "tsx", harness as string, ...args] : [main, ...args];
  const { stdout } = await exec(process.execPath, argv, {
    cwd: root,
    env: { ...process.env, FORCE_COLOR: "", NO_COLOR: "", ...env, TZ: "UTC", MLFLOW_TRACKING_URI: store },
  });
  return stdout;
}

function stable(text: string): string {
  let out = text;
  ids.forEach((id, i) => (out = out.split(id).join(`<run${i}>`.padEnd(id.length))));
  // Durations (right-aligned in lists, left in `runs show`) vary with the machine's load.
  return out
    .replace(/\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}/g, "<time>".padEnd(19))
    .replace(/ +\d+(?:ms|s|m\d\ds|h\d\dm|d\d\dh)(?= )/g, (m) => " <dur>".padStart(m.length))
    .replace(/^(duration +)\S+$/m, "$1<dur>");
}

beforeAll(async () => {
  if (!fs.existsSync(main)) throw new Error("dist/cli/main.js is missing: run `npx tsup` first (npm test does)");
  store = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-cli-"));
  const tracker = new Tracker({ trackingUri: store, experiment: "cli", captureContext: false, handleExit: false });
  for (const [name, lr] of [
    ["baseline", 0.1],
    ["tuned", 0.01],
  ] as const) {
    const run = await tracker.startRun({
      name,
      params: { lr, epochs: 3, optimizer: "adam" },
      tags: { "mlflow.source.git.commit": name === "baseline" ? "aaaaaaa1111111" : "bbbbbbb2222222" },
    });
    for (let step = 0; step < 3; step++)
      run.logMetrics(
        { loss: name === "baseline" ? 0.9 - step * 0.1 : 0.8 - step * 0.2, acc: name === "baseline" ? 0.5 + step * 0.1 : 0.6 + step * 0.1 },
        { step },
      );
    await run.end();
    ids.push(run.id);
  }
  await tracker.close();
  const { stdout } = await exec(process.execPath, [main, "--help"]);
  if (!stdout.includes("compare")) {
    harness = path.join(store, "cli-harness.mts");
    const src = (f: string): string => pathToFileURL(path.join(root, "src", f)).href;
    const commander = pathToFileURL(createRequire(path.join(root, "package.json")).resolve("commander")).href;
    fs.writeFileSync(
      harness,
      `import commander from ${JSON.stringify(commander)};
const { Command } = commander;
import { Tracker } from ${JSON.stringify(src("index.ts"))};
import { registerCompareCommands } from ${JSON.stringify(src("cli/compare.ts"))};
import { registerReportCommand } from ${JSON.stringify(src("cli/report.ts"))};
const program = new Command().name("mltrail").option("--tracking-uri <uri>");
const trackerFrom = (cmd, experiment) => new Tracker({ ...(experiment ? { experiment } : {}), handleExit: false, captureContext: false, drainOnStart: false });
registerCompareCommands(program, trackerFrom);
registerReportCommand(program, trackerFrom);
await program.parseAsync(process.argv);
`,
    );
  }
}, 60_000);

afterAll(() => fs.rmSync(store, { recursive: true, force: true }));

describe("mltrail CLI tables", () => {
  it("runs list: an aligned table in the order asked", async () => {
    const out = stable(await cli(["runs", "list", "--experiment", "cli", "--order-by", "attributes.run_name ASC"]));
    expect(out).toMatchSnapshot();
    expect(out).not.toMatch(/\u001b\[/);
  });

  it("runs show: info, params, metrics, tags", async () => {
    expect(stable(await cli(["runs", "show", ids[0] as string]))).toMatchSnapshot();
  });

  it("compare: best per metric marked, differing params listed", async () => {
    const out = stable(await cli(["compare", ...ids]));
    expect(out).toMatchSnapshot();
    expect(out).toMatch(/loss ↓.*★ 0\.4/);
    expect(out).not.toMatch(/\u001b\[/);
  });

  it("compare --json is the compareRuns result", async () => {
    const cmp = JSON.parse(await cli(["compare", ...ids, "--json", "--metric", "loss", "acc"])) as {
      metrics: Record<string, { best: { runId: string; value: number } }>;
      params: { differing: Record<string, string[]> };
    };
    expect(cmp.metrics["loss"]?.best).toMatchObject({ runId: ids[1], value: 0.4 });
    expect(cmp.metrics["acc"]?.best).toMatchObject({ runId: ids[1], value: 0.8 });
    expect(Object.keys(cmp.params.differing)).toEqual(["lr"]);
  });

  it("colours with FORCE_COLOR, none with NO_COLOR", async () => {
    expect(await cli(["compare", ...ids], { FORCE_COLOR: "1" })).toMatch(/\u001b\[32m/);
    expect(await cli(["compare", ...ids], { FORCE_COLOR: "1", NO_COLOR: "1" })).not.toMatch(/\u001b\[/);
  });

  it("report -o writes one self-contained HTML file", async () => {
    const file = path.join(store, "out", "r.html");
    const out = await cli(["report", "--runs", ids.join(","), "-o", file, "--title", "<cli>"]);
    expect(out).toMatch(/wrote .*r\.html \(\d+ KiB\): 2 runs, 2 charts/);
    const html = fs.readFileSync(file, "utf8");
    expect(html).toContain("<title>&lt;cli&gt;</title>");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });
});

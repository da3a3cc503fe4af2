/**
 * `mltrail experiments`, `mltrail runs list`, `mltrail runs show`: aligned tables, colour
 * unless NO_COLOR, or `--json`.
 */
import type { Command } from "commander";
import type { RunRecord, RunViewType, Tracker } from "../index.js";
import { defined } from "../internal/defined.js";
import { iso, table } from "../internal/table.js";
import { colors, duration, fmt, print, size, statusCell, using, type TrackerFactory } from "./format.js";

/** The first `max` entries as `k=v`, then `…+N`. */
function pairs(values: Readonly<Record<string, string | number>>, max: number): string {
  const entries = Object.entries(values);
  const shown = entries.slice(0, max).map(([k, v]) => `${k}=${typeof v === "number" ? fmt(v) : v}`);
  return entries.length > max ? `${shown.join(" ")} …+${entries.length - max}` : shown.join(" ");
}

/** Ended runs: end − start; running ones: so far. */
function runDuration(run: RunRecord, now: number): string {
  return duration((run.info.endTime ?? (run.info.status === "RUNNING" ? now : undefined) ?? Number.NaN) - run.info.startTime);
}

/** `name (id)` of the run's experiment, or its id when the name cannot be read. */
async function experimentLabel(tracker: Tracker, experimentId: string): Promise<string> {
  const experiments = await tracker.listExperiments().catch(() => []);
  const found = experiments.find((e) => e.experimentId === experimentId);
  return found === undefined ? experimentId : `${found.name} (${experimentId})`;
}

/** The run's info, params, metrics, tags, datasets and top-level artifacts as tables. */
async function showRun(tracker: Tracker, run: RunRecord): Promise<string> {
  const c = colors();
  const [experiment, datasets, artifacts] = await Promise.all([
    experimentLabel(tracker, run.info.experimentId),
    tracker.getRunDatasets(run.info.runId).catch(() => []),
    tracker.listArtifacts(run.info.runId).catch(() => []),
  ]);
  const info: [string, string][] = [
    ["name", c.bold(run.info.name)],
    ["status", `${statusCell(run.info.status, run.info.crashed === true, c)}${run.info.deleted === true ? " (deleted: mltrail runs restore)" : ""}`],
    ["experiment", experiment],
    ["started", iso(run.info.startTime)],
    ["ended", iso(run.info.endTime)],
    ["duration", runDuration(run, Date.now())],
  ];
  if (run.info.parentRunId !== undefined) info.push(["parent", run.info.parentRunId]);
  const out = [table(["run", run.info.runId], info)];
  for (const [title, values] of [
    ["param", run.data.params],
    ["metric", run.data.metrics],
    ["tag", run.data.tags],
  ] as const) {
    const entries = Object.entries(values);
    if (entries.length === 0) continue;
    out.push(
      table(
        [title, "value"],
        entries.map(([k, v]) => [k, typeof v === "number" ? fmt(v) : v]),
        ["left", title === "metric" ? "right" : "left"],
      ),
    );
  }
  if (datasets.length > 0)
    out.push(
      table(
        ["dataset", "context", "digest", "source"],
        datasets.map((d) => [d.name, d.context ?? "-", d.digest, d.source ?? "-"]),
      ),
    );
  if (artifacts.length > 0)
    out.push(
      table(
        ["artifact", "size"],
        artifacts.map((a) => [a.isDir ? `${a.path}/` : a.path, size(a.size)]),
        ["left", "right"],
      ),
    );
  return out.join("\n\n");
}

/** Registers the run and experiment commands. @example `registerRunCommands(program, trackerFrom)` */
export function registerRunCommands(program: Command, trackerFrom: TrackerFactory): void {
  const experiments = program
    .command("experiments")
    .description("list experiments (active ones unless --view asks); delete or restore one")
    .option("--view <type>", "ACTIVE_ONLY, DELETED_ONLY or ALL", "ACTIVE_ONLY")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean; view: string }, cmd: Command) => {
      const tracker = trackerFrom(cmd);
      try {
        const experiments = await tracker.listExperiments({ viewType: opts.view as RunViewType });
        if (opts.json === true) return print(JSON.stringify(experiments, null, 2));
        print(
          table(
            ["id", "name", "created"],
            experiments.map((e) => [e.experimentId, e.deleted === true ? `${e.name} (deleted)` : e.name, iso(e.creationTime)]),
            ["right", "left", "left"],
          ),
        );
      } finally {
        await tracker.close();
      }
    });

  for (const [verb, deleted] of [
    ["delete", true],
    ["restore", false],
  ] as const)
    experiments
      .command(`${verb} <name>`)
      .description(deleted ? "delete an experiment and its runs (restorable until mltrail gc)" : "restore a deleted experiment and its runs")
      .action(async (name: string, _opts: unknown, cmd: Command) =>
        using(trackerFrom(cmd), async (t) => {
          const e = deleted ? await t.deleteExperiment(name) : await t.restoreExperiment(name);
          print(`${deleted ? "deleted" : "restored"} experiment ${e.name} (${e.experimentId}) and its runs`);
        }),
      );

  const runs = program.command("runs").description("list, show, delete and restore runs");
  for (const [verb, deleted] of [
    ["delete", true],
    ["restore", false],
  ] as const)
    runs
      .command(`${verb} <runIds...>`)
      .description(deleted ? "delete runs: searches skip them; restorable until mltrail gc" : "restore deleted runs")
      .action(async (runIds: string[], _opts: unknown, cmd: Command) =>
        using(trackerFrom(cmd), async (t) => {
          for (const id of runIds) {
            await (deleted ? t.deleteRun(id) : t.restoreRun(id));
            print(`${deleted ? "deleted" : "restored"} run ${id}`);
          }
        }),
      );
  runs
    .command("list")
    .description("list runs of an experiment: status, start, duration, parent, params, latest metrics")
    .option("-e, --experiment <name>", "experiment name")
    .option("-f, --filter <filter>", 'MLflow search filter, e.g. "metrics.acc > 0.9"')
    .option("-o, --order-by <clause...>", 'order clauses, e.g. "metrics.acc DESC"')
    .option("-n, --max-results <n>", "most runs to list", "100")
    .option("--view <type>", "ACTIVE_ONLY, DELETED_ONLY or ALL", "ACTIVE_ONLY")
    .option("--json", "print JSON")
    .action(async (opts: { experiment?: string; filter?: string; orderBy?: string[]; maxResults: string; view: string; json?: boolean }, cmd: Command) => {
      const tracker = trackerFrom(cmd, opts.experiment);
      try {
        const found = await tracker.searchRuns({
          runViewType: opts.view as RunViewType,
          ...defined({ filter: opts.filter }),
          ...defined({ orderBy: opts.orderBy }),
          maxResults: Number(opts.maxResults),
        });
        if (opts.json === true) return print(JSON.stringify(found, null, 2));
        const c = colors();
        if (found.length === 0)
          return print(c.dim(`no runs in experiment "${tracker.options.experiment}" (see: mltrail experiments; choose one with --experiment)`));
        // The parent column only when some run has one: most listings have none.
        const nested = found.some((r) => r.info.parentRunId !== undefined);
        const now = Date.now();
        const header = ["id", "name", "status", "started", "duration", ...(nested ? ["parent"] : []), "params", "metrics"];
        const rows = found.map((run) => [
          run.info.runId,
          c.bold(run.info.name),
          run.info.deleted === true
            ? `${statusCell(run.info.status, run.info.crashed === true, c)} ${c.dim("(deleted)")}`
            : statusCell(run.info.status, run.info.crashed === true, c),
          iso(run.info.startTime),
          runDuration(run, now),
          ...(nested ? [run.info.parentRunId ?? "-"] : []),
          pairs(run.data.params, 3),
          pairs(run.data.metrics, 4),
        ]);
        print(
          table(
            header,
            rows,
            header.map((h) => (h === "duration" ? "right" : "left")),
          ),
        );
      } finally {
        await tracker.close();
      }
    });
  runs
    .command("show <runId>")
    .description("show one run: info with its experiment's name, params, latest metrics, tags, datasets, artifacts")
    .option("--json", "print JSON")
    .action(async (runId: string, opts: { json?: boolean }, cmd: Command) => {
      const tracker = trackerFrom(cmd);
      try {
        const run = await tracker.getRun(runId);
        print(opts.json === true ? JSON.stringify(run, null, 2) : await showRun(tracker, run));
      } finally {
        await tracker.close();
      }
    });
}

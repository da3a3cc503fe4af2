/**
 * `mltrail artifacts list|get RUN [PATH]` and `mltrail lineage REF`.
 */
import type { Command } from "commander";
import type { Lineage, Tracker } from "../index.js";
import { table } from "../internal/table.js";
import { print, size } from "./format.js";
import { progress } from "./progress.js";

type TrackerFactory = (cmd: Command) => Tracker;

/** The lineage as an indented tree. */
export function lineageTree(l: Lineage): string {
  const lines: string[] = [];
  let indent = "";
  if (l.modelVersion !== undefined) {
    const mv = l.modelVersion;
    lines.push(`model ${mv.name} ${mv.version}${mv.aliases.length > 0 ? ` (${mv.aliases.join(", ")})` : ""}  ${mv.contentDigest ?? ""}`.trimEnd());
    indent = "  ";
  }
  lines.push(`${indent}└─ run ${l.run.runId} "${l.run.name}" ${l.run.status}`);
  const under = `${indent}   `;
  const params = Object.entries(l.run.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const metrics = Object.entries(l.run.metrics)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  if (params !== "") lines.push(`${under}├─ params ${params}`);
  if (metrics !== "") lines.push(`${under}├─ metrics ${metrics}`);
  for (const d of l.datasets)
    lines.push(`${under}├─ dataset ${d.name}${d.context === undefined ? "" : ` (${d.context})`} ${d.digest}${d.source === undefined ? "" : `  ${d.source}`}`);
  const c = l.code;
  const code = [
    c.gitCommit === undefined ? "no git commit recorded" : `commit ${c.gitCommit}`,
    c.gitBranch,
    c.gitDirty === true ? "dirty" : undefined,
    c.repoUrl,
    c.entryScript,
  ]
    .filter((x) => x !== undefined)
    .join("  ");
  lines.push(`${under}├─ code ${code}`);
  lines.push(
    `${under}└─ environment ${
      Object.entries(l.environment)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ") || "-"
    }`,
  );
  return lines.join("\n");
}

/** Registers `artifacts` and `lineage`. */
export function registerArtifactCommands(program: Command, trackerFrom: TrackerFactory): void {
  const artifacts = program.command("artifacts").description("list and download run artifacts");
  artifacts
    .command("list <runId> [path]")
    .description("list a run's artifacts under a folder")
    .option("--json", "print JSON")
    .action(async (runId: string, path: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const t = trackerFrom(cmd);
      try {
        const entries = await t.listArtifacts(runId, path);
        if (opts.json === true) print(JSON.stringify(entries, null, 2));
        else
          print(
            table(
              ["path", "size", "sha256"],
              entries.map((e) => [e.isDir ? `${e.path}/` : e.path, size(e.size), e.sha256 ?? ""]),
            ),
          );
      } finally {
        await t.close();
      }
    });
  artifacts
    .command("get <runId> <path>")
    .description("download an artifact file or folder, verified against the run's manifest")
    .option("-o, --output <dir>", "destination folder", ".")
    .action(async (runId: string, path: string, opts: { output: string }, cmd: Command) => {
      const t = trackerFrom(cmd);
      const shown = progress("download", "bytes");
      try {
        const clean = path.replace(/\/+$/, "");
        const local = await t.downloadArtifacts(runId, clean, opts.output, { onProgress: (done, total) => shown.update(done, total) });
        shown.stop();
        print(`downloaded ${clean} → ${local}`);
      } finally {
        shown.stop();
        await t.close();
      }
    });

  program
    .command("lineage [ref]")
    .description('where a model version ("name@1.2.0") or, with --run, a run came from: run, datasets, code, environment')
    .option("--run <id>", "the lineage of a run instead of a model version")
    .option("--json", "print JSON")
    .action(async (ref: string | undefined, opts: { json?: boolean; run?: string }, cmd: Command) => {
      if ((ref === undefined) === (opts.run === undefined)) cmd.error("error: give a model ref (e.g. churn@1.2.0) or --run <id>, not both");
      const t = trackerFrom(cmd);
      try {
        const l = await t.lineage(opts.run === undefined ? (ref as string) : { runId: opts.run });
        print(opts.json === true ? JSON.stringify(l, null, 2) : lineageTree(l));
      } finally {
        await t.close();
      }
    });
}

/**
 * `mltrail models list | show | history | promote | alias | deprecate`.
 */
import type { Command } from "commander";
import { releaseChangeLines, type AuditEntry, type ModelVersion, type Tracker } from "../index.js";
import { iso, table } from "../internal/table.js";

type TrackerFactory = (cmd: Command) => Tracker;

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function using<T>(tracker: Tracker, fn: (t: Tracker) => Promise<T>): Promise<T> {
  try {
    return await fn(tracker);
  } finally {
    await tracker.close();
  }
}

function versionRow(v: ModelVersion): string[] {
  const auc = Object.entries(v.metrics)
    .slice(0, 3)
    .map(([k, x]) => `${k}=${Number.isInteger(x) ? x : x.toPrecision(4)}`)
    .join(" ");
  return [v.version, v.aliases.join(","), v.deprecated ? "deprecated" : "", iso(v.createdAt), v.author, v.rationale, auc];
}

/** A release's bump and the changes that required it: `patch: weights: weights changed; params: params changed (lr)`. */
function bumpCell(e: AuditEntry): string {
  if (e.bump === undefined) return "";
  return e.changes === undefined || e.changes.length === 0 ? e.bump : `${e.bump}: ${e.changes.join("; ")}`;
}

/** Registers the `models` command group. */
export function registerModelCommands(program: Command, trackerFrom: TrackerFactory): void {
  const models = program.command("models").description("list, inspect and manage model releases");

  models
    .command("list [name]")
    .description("list models, or the versions of one model")
    .option("--json", "print JSON")
    .action(async (name: string | undefined, opts: { json?: boolean }, cmd: Command) =>
      using(trackerFrom(cmd), async (t) => {
        if (name === undefined) {
          const names = await t.listModels();
          print(opts.json === true ? JSON.stringify(names, null, 2) : names.join("\n"));
          return;
        }
        const versions = await t.listModelVersions(name);
        if (opts.json === true) print(JSON.stringify(versions, null, 2));
        else print(table(["version", "aliases", "state", "released", "author", "rationale", "metrics"], versions.map(versionRow)));
      }),
    );

  models
    .command("show <ref>")
    .description('show one version: "name@1.2.0", "name@^1", "name@champion"')
    .option("--json", "print JSON")
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) =>
      using(trackerFrom(cmd), async (t) => {
        const v = await t.getModelVersion(ref);
        if (opts.json === true) {
          print(JSON.stringify(v, null, 2));
          return;
        }
        print(`${v.name} ${v.version}${v.deprecated ? ` (deprecated: ${v.deprecationReason ?? ""})` : ""}`);
        const rows: [string, string][] = [
          ["aliases", v.aliases.join(", ") || "-"],
          ["released", `${iso(v.createdAt)} by ${v.author}`],
          ["rationale", v.rationale || "-"],
          ["bump", v.bump],
          ["changes", releaseChangeLines(v).join("; ") || "-"],
          ["source", v.source],
          ["run", v.runId ?? "-"],
          ["git commit", v.gitCommit ?? "-"],
          ["content digest", v.contentDigest ?? "-"],
          ["architecture", v.architectureDigest ?? "-"],
          ["backend version", v.backendVersion],
          [
            "metrics",
            Object.entries(v.metrics)
              .map(([k, x]) => `${k}=${x}`)
              .join(" ") || "-",
          ],
          [
            "signature",
            v.signature === undefined
              ? "-"
              : `inputs ${v.signature.inputs.map((i) => `${i.name}:${i.dtype}`).join(", ")} → outputs ${v.signature.outputs.map((o) => `${o.name}:${o.dtype}`).join(", ")}`,
          ],
        ];
        print(table(["field", "value"], rows));
      }),
    );

  models
    .command("history <name>")
    .description("every registry change of a model: who, when, what, why")
    .option("--json", "print JSON")
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) =>
      using(trackerFrom(cmd), async (t) => {
        const entries = await t.modelHistory(name);
        if (opts.json === true) print(JSON.stringify(entries, null, 2));
        else
          print(
            table(
              ["when", "who", "action", "version", "alias", "why", "bump"],
              entries.map((e) => [
                iso(e.at),
                e.by,
                e.action,
                e.version ?? "",
                e.alias === undefined ? "" : `${e.alias}${e.from === undefined ? "" : ` (was ${e.from})`}`,
                e.reason ?? "",
                bumpCell(e),
              ]),
            ),
          );
      }),
    );

  models
    .command("promote <name> <version>")
    .description("promote a prerelease (1.3.0-rc.2) to its stable version (1.3.0)")
    .option("-r, --rationale <text>", "why")
    .option("--json", "print JSON")
    .action(async (name: string, version: string, opts: { rationale?: string; json?: boolean }, cmd: Command) =>
      using(trackerFrom(cmd), async (t) => {
        const v = await t.promote(name, version, opts.rationale === undefined ? {} : { rationale: opts.rationale });
        print(opts.json === true ? JSON.stringify(v, null, 2) : `promoted ${name} ${version} → ${v.version}`);
      }),
    );

  models
    .command("alias <name> <alias> [version]")
    .description("point an alias at a version, or remove it with --delete")
    .option("--expected <version>", "only if the alias currently points at this version (compare-and-set)")
    .option("--delete", "remove the alias")
    .action(async (name: string, alias: string, version: string | undefined, opts: { expected?: string; delete?: boolean }, cmd: Command) =>
      using(trackerFrom(cmd), async (t) => {
        const cas = opts.expected === undefined ? {} : { expected: opts.expected };
        if (opts.delete === true) {
          await t.deleteAlias(name, alias, cas);
          print(`removed alias ${alias} of ${name}`);
          return;
        }
        if (version === undefined) throw new Error("give a version, or --delete");
        await t.setAlias(name, alias, version, cas);
        print(`${name}@${alias} → ${(await t.getModelVersion(name, alias)).version}`);
      }),
    );

  models
    .command("deprecate <name> <version> <reason>")
    .description("deprecate a version: ranges and latest skip it")
    .action(async (name: string, version: string, reason: string, _opts: unknown, cmd: Command) =>
      using(trackerFrom(cmd), async (t) => {
        const v = await t.deprecate(name, version, { reason });
        print(`deprecated ${name} ${v.version}: ${reason}`);
      }),
    );
}

/**
 * `mltrail models list | show | history | register | promote | alias | deprecate | explain-diff`.
 */
import type { Command } from "commander";
import { releaseChangeLines, type AuditEntry, type Bump, type BumpPolicy, type ModelVersion, type PrereleaseChannel, type Tracker } from "../index.js";
import { iso, table } from "../internal/table.js";
import { defined } from "../internal/defined.js";
import { print, using } from "./format.js";
import { registerExplainDiff } from "./explain-diff.js";

type TrackerFactory = (cmd: Command) => Tracker;

interface RegisterOpts {
  run: string;
  artifactPath?: string;
  source?: string;
  version?: string;
  bump?: string;
  bumpPolicy?: string;
  prerelease?: string;
  initial?: string;
  base?: string;
  rationale?: string;
  alias?: string[];
  description?: string;
  tag?: string[];
  json?: boolean;
}

/** `k=v` options as a record; a value may itself hold `=`. */
function tagsOf(items: readonly string[] | undefined): Record<string, string> | undefined {
  if (items === undefined) return undefined;
  const tags: Record<string, string> = {};
  for (const item of items) {
    const at = item.indexOf("=");
    if (at <= 0) throw new Error(`--tag ${JSON.stringify(item)}: give key=value`);
    tags[item.slice(0, at)] = item.slice(at + 1);
  }
  return tags;
}

/** One row per model: its latest version (`latest` as `getModelVersion` resolves it), its aliases, how many versions. */
async function modelRows(t: Tracker, names: readonly string[]): Promise<string[][]> {
  return Promise.all(
    names.map(async (name) => {
      const versions = await t.listModelVersions(name);
      const latest = await t.getModelVersion(name, "latest").catch(() => versions.at(-1));
      const aliases = versions.flatMap((v) => v.aliases.map((a) => `${a}→${v.version}`));
      const updated = Math.max(...versions.map((v) => v.createdAt));
      return [name, latest?.version ?? "-", aliases.join(" ") || "-", String(versions.length), iso(Number.isFinite(updated) ? updated : undefined)];
    }),
  );
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
    .description("list models with their latest version and aliases, or the versions of one model")
    .option("--json", "print JSON")
    .action(async (name: string | undefined, opts: { json?: boolean }, cmd: Command) =>
      using(trackerFrom(cmd), async (t) => {
        if (name === undefined) {
          const names = await t.listModels();
          if (opts.json === true) print(JSON.stringify(names, null, 2));
          else print(table(["model", "latest", "aliases", "versions", "last release"], await modelRows(t, names), ["left", "left", "left", "right"]));
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
          ["explanations", (v.explanations ?? []).map((e) => `${e.name} (${e.method}, ${e.artifactPath})`).join(", ") || "-"],
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
    .command("register <name>")
    .description("release a model logged by a run; the version follows the semver rules (inferred from what changed unless given)")
    .requiredOption("--run <id>", "the run that produced the model")
    .option("-p, --artifact-path <path>", "the model's path in the run's artifacts (default: \"model\")")
    .option("--source <uri>", "where the model files are (default: runs:/<run>/<artifact-path>)")
    .option("--version <version>", "an exact version, checked against the rules")
    .option("--bump <bump>", "major, minor or patch (default: inferred from the changes)")
    .option("--bump-policy <policy>", "semantic or strict")
    .option("--prerelease <channel>", "release on a prerelease channel, e.g. rc")
    .option("--initial <version>", "the first version of a new model: 1.0.0 or 0.1.0")
    .option("--base <version>", "backport: the release whose line gets the new patch")
    .option("-r, --rationale <text>", "why this release exists")
    .option("-a, --alias <alias...>", "aliases to point at the new version")
    .option("-d, --description <text>", "free description")
    .option("-t, --tag <key=value...>", "free tags")
    .option("--json", "print JSON")
    .action(async (name: string, opts: RegisterOpts, cmd: Command) =>
      using(trackerFrom(cmd), async (t) => {
        // The SDK checks every value (bump, channel, version) and names the field it rejects.
        const v = await t.registerModel(name, {
          runId: opts.run,
          ...defined({ artifactPath: opts.artifactPath }),
          ...defined({ source: opts.source }),
          ...defined({ version: opts.version }),
          ...defined({ bump: opts.bump as Bump | undefined }),
          ...defined({ bumpPolicy: opts.bumpPolicy as BumpPolicy | undefined }),
          ...defined({ prerelease: opts.prerelease as PrereleaseChannel | undefined }),
          ...defined({ initial: opts.initial as "1.0.0" | "0.1.0" | undefined }),
          ...defined({ base: opts.base }),
          ...defined({ rationale: opts.rationale }),
          ...defined({ aliases: opts.alias }),
          ...defined({ description: opts.description }),
          ...defined({ tags: tagsOf(opts.tag) }),
        });
        if (opts.json === true) return print(JSON.stringify(v, null, 2));
        const changes = releaseChangeLines(v);
        print(
          `registered ${v.name} ${v.version} (${v.bump}${changes.length === 0 ? "" : `: ${changes.join("; ")}`})${v.aliases.length > 0 ? ` as ${v.aliases.join(", ")}` : ""}`,
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

  registerExplainDiff(models, trackerFrom);
}

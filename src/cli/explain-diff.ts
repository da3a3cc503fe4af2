/**
 * `mltrail models explain-diff <model@a> <model@b>`: the explanations two releases carry,
 * compared (`tracker.compareExplanations`): a table per feature and the one-line verdict.
 */
import type { Command } from "commander";
import type { FeatureChange, ReleaseExplanationDiff } from "../index.js";
import { table } from "../internal/table.js";
import { type TrackerFactory, using } from "./format.js";

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
const imp = (v: number): string => (v === 0 ? "0" : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? v.toPrecision(4) : v.toExponential(3));
const rank = (r: number | null): string => (r === null ? "-" : String(r));

function row(c: FeatureChange): string[] {
  const moved = c.rankChange === 0 ? "" : c.rankChange > 0 ? ` (↑${c.rankChange})` : ` (↓${-c.rankChange})`;
  const change = `${c.shareChange >= 0 ? "+" : "−"}${(Math.abs(c.shareChange) * 100).toFixed(1)}`;
  return [
    `${c.flags.length > 0 ? "! " : "  "}${c.feature}`,
    `${rank(c.rankA)} → ${rank(c.rankB)}${moved}`,
    `${pct(c.shareA)} → ${pct(c.shareB)}`,
    change,
    `${imp(c.importanceA)} → ${imp(c.importanceB)}`,
    c.flags.join(","),
  ];
}

/**
 * The text form of a release explanation diff: a header, one row per feature (flagged ones
 * marked `!`), the verdict.
 * @example `process.stdout.write(formatExplanationDiff(await tracker.compareExplanations("churn@1.0.0", "churn@1.1.0")))`
 */
export function formatExplanationDiff(diff: ReleaseExplanationDiff): string {
  const side = (s: ReleaseExplanationDiff["a"]): string => `${s.model}@${s.version}`;
  const method = diff.a.method === diff.b.method ? diff.a.method : `${diff.a.method} vs ${diff.b.method}`;
  return [
    `explanation "${diff.name}" (${method}): ${side(diff.a)} → ${side(diff.b)}`,
    "",
    table(["feature", "rank", "share", "Δ points", "importance", "flags"], diff.features.map(row)),
    "",
    diff.verdict,
  ].join("\n");
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--rank-moved: "${value}" is not valid: must be an integer >= 1`);
  return n;
}

function share(value: string): number {
  const n = Number(value.endsWith("%") ? Number(value.slice(0, -1)) / 100 : value);
  if (!(n > 0 && n <= 1)) throw new Error(`--share-changed: "${value}" is not valid: must be a fraction in (0, 1] (0.1) or a percentage (10%)`);
  return n;
}

/** Registers `models explain-diff` under the `models` command group. */
export function registerExplainDiff(models: Command, trackerFrom: TrackerFactory): void {
  models
    .command("explain-diff <a> <b>")
    .description('compare the feature importances two releases carry: "churn@1.2.0" "churn@1.3.0"')
    .option("--name <name>", "the explanation to compare (default: the one both releases carry)")
    .option("--rank-moved <n>", "flag a feature whose rank moved by at least n places (default 2)", positiveInteger)
    .option("--share-changed <x>", "flag a feature whose share changed by at least x: 0.1 or 10% (default 10%)", share)
    .option("--fail-on-change", "exit with code 2 when a feature is flagged")
    .option("--json", "print JSON")
    .action(
      async (a: string, b: string, opts: { name?: string; rankMoved?: number; shareChanged?: number; failOnChange?: boolean; json?: boolean }, cmd: Command) =>
        using(trackerFrom(cmd), async (t) => {
          const diff = await t.compareExplanations(a, b, {
            ...(opts.name === undefined ? {} : { name: opts.name }),
            ...(opts.rankMoved === undefined ? {} : { rankMoved: opts.rankMoved }),
            ...(opts.shareChanged === undefined ? {} : { shareChanged: opts.shareChanged }),
          });
          process.stdout.write(`${opts.json === true ? JSON.stringify(diff, null, 2) : formatExplanationDiff(diff)}\n`);
          if (opts.failOnChange === true && diff.flagged.length > 0) process.exitCode = 2;
        }),
    );
}

/**
 * The dashboard's API over releases: model versions compared (params, metrics, lineage and the
 * explanations diff of consecutive selected versions) and A/B tests with their analysis. It
 * computes nothing itself: `compareModelVersions`, `compareReleaseExplanations`, `openAbTest`
 * and its analysis are the same code the CLI and the report use.
 *
 * @packageDocumentation
 */
import { outcomeMetrics } from "../ab/analyze.js";
import { AB_KEY_TAG, openAbTest } from "../ab/test.js";
import { knownDirection } from "../compare/direction.js";
import { compareModelVersions } from "../compare/models.js";
import { compareReleaseExplanations } from "../compare/release-explanations.js";
import { MltrailError, NotFoundError, ValidationError } from "../errors.js";
import { listParam, type UiTracker } from "./api.js";

/** Most versions the versions page compares at once. */
export const MAX_VERSIONS = 20;

/** Most A/B test runs the A/B list reads. */
const MAX_AB_RUNS = 5000;

/**
 * One A/B test in the list: its key, experiment, variants, runs and outcome metrics.
 * @example `{ key: "churn-1.1", experiment: "ab-tests", variants: ["churn@1.0.0", "churn@1.1.0"], runs: 2, started: 1764170000000, running: true, metrics: ["converted"] }`
 */
export interface AbTestRow {
  /** Test key. */
  readonly key: string;
  /** Experiment of its runs. */
  readonly experiment: string;
  /** Variants as `model@version`, control first (from the first run's frozen record). */
  readonly variants: readonly string[];
  /** Number of runs (one per serving process). */
  readonly runs: number;
  /** Start of its first run, ms since the epoch. */
  readonly started: number;
  /** True while any of its runs is running. */
  readonly running: boolean;
  /** Outcome metrics recorded so far. */
  readonly metrics: readonly string[];
}

function alphaOf(q: URLSearchParams): number {
  const raw = q.get("alpha");
  if (raw === null || raw === "") return 0.05;
  const alpha = Number(raw);
  if (!(alpha > 0 && alpha < 0.5)) throw new ValidationError("alpha", raw, "must be a number between 0 and 0.5");
  return alpha;
}

/**
 * Handlers of `/api/versions`, `/api/abtests` and `/api/abtest`.
 * @example `await new ReleaseApi(tracker).versions(new URLSearchParams("model=churn&v=1.0.0,1.1.0"))`
 */
export class ReleaseApi {
  constructor(private readonly tracker: UiTracker) {}

  /**
   * `GET /api/versions?model=M&v=A,B,…`: the versions compared (every version when `v` is empty)
   * with every param, and the explanations of each selected version against the one before it.
   */
  async versions(q: URLSearchParams): Promise<unknown> {
    const model = q.get("model") ?? "";
    if (model === "") throw new ValidationError("model", model, "must name a registered model");
    const refs = listParam(q, "v");
    if (refs.length > MAX_VERSIONS) throw new ValidationError("v", refs.join(","), `must list at most ${MAX_VERSIONS} versions`);
    const comparison = await compareModelVersions(this.tracker, model, refs, { allParams: true });
    const known = Object.fromEntries(Object.keys(comparison.metrics).map((k) => [k, knownDirection(k, undefined) !== undefined]));
    const all = (await this.tracker.listModelVersions(model)).map((v) => ({ version: v.version, aliases: v.aliases, deprecated: v.deprecated }));
    const picked = comparison.versions;
    const explanations = await Promise.all(
      picked.slice(1).map(async (b, i) => {
        const a = picked[i] as (typeof picked)[number];
        try {
          return { from: a.version, to: b.version, diff: await compareReleaseExplanations(this.tracker, `${model}@${a.version}`, `${model}@${b.version}`) };
        } catch (err) {
          if (!(err instanceof MltrailError)) throw err;
          return { from: a.version, to: b.version, missing: err.message };
        }
      }),
    );
    return { comparison, known, all, explanations };
  }

  /** `GET /api/abtests`: every A/B test the tracker holds (runs tagged `mltrail.ab.key`, in any experiment), newest first. */
  async abTests(): Promise<unknown> {
    const experiments = await this.tracker.listExperiments();
    const names = new Map(experiments.map((e) => [e.experimentId, e.name]));
    const runs =
      experiments.length === 0
        ? []
        : await this.tracker.searchRuns({
            experiment: experiments.map((e) => e.name),
            filter: `tags.${AB_KEY_TAG} LIKE '%'`,
            orderBy: ["attributes.start_time ASC"],
            maxResults: MAX_AB_RUNS,
          });
    const tests = new Map<string, { row: AbTestRow; metrics: Set<string> }>();
    for (const r of runs) {
      const key = r.data.tags[AB_KEY_TAG] ?? "";
      const experiment = names.get(r.info.experimentId) ?? r.info.experimentId;
      const id = `${experiment}\u0000${key}`;
      let t = tests.get(id);
      if (t === undefined) {
        let variants: string[] = [];
        try {
          variants = (JSON.parse(r.data.params["ab.variants"] ?? "[]") as { model: string; version: string }[]).map((v) => `${v.model}@${v.version}`);
        } catch {
          // a damaged record: listed without its variants; its page says what is wrong
        }
        t = { row: { key, experiment, variants, runs: 0, started: r.info.startTime, running: false, metrics: [] }, metrics: new Set() };
        tests.set(id, t);
      }
      for (const m of outcomeMetrics(Object.keys(r.data.metrics))) t.metrics.add(m);
      t.row = { ...t.row, runs: t.row.runs + 1, running: t.row.running || r.info.status === "RUNNING" };
    }
    const rows = [...tests.values()].map((t) => ({ ...t.row, metrics: [...t.metrics].sort() }));
    return { tests: rows.sort((a, b) => b.started - a.started) };
  }

  /**
   * `GET /api/abtest?key=K&experiment=E&metric=M&alpha=A&kind=binary|continuous`: the test's
   * frozen configuration and its analysis (of the first outcome metric when `metric` is empty;
   * `analysis` is null before any outcome was recorded).
   */
  async abTest(q: URLSearchParams): Promise<unknown> {
    const key = q.get("key") ?? "";
    const experiment = q.get("experiment") ?? "";
    const view = await openAbTest(this.tracker, key, experiment === "" ? undefined : experiment);
    const runs = await Promise.all(view.runIds.map((id) => this.tracker.getRun(id)));
    const metrics = outcomeMetrics(runs.flatMap((r) => Object.keys(r.data.metrics)));
    const metric = q.get("metric") || metrics[0];
    const kind = q.get("kind") ?? "";
    if (kind !== "" && kind !== "binary" && kind !== "continuous") throw new ValidationError("kind", kind, "must be binary or continuous");
    if (metric !== undefined && !metrics.includes(metric))
      throw new NotFoundError(`A/B test "${key}" has no outcome "${metric}" (it has ${metrics.join(", ") || "none yet"})`);
    const analysis =
      metric === undefined ? null : await view.analyze({ metric, alpha: alphaOf(q), ...(kind === "" ? {} : { kind: kind as "binary" | "continuous" }) });
    return {
      config: view.config,
      runs: runs.map((r) => ({ id: r.info.runId, name: r.info.name, status: r.info.status, start: r.info.startTime })),
      metrics,
      analysis,
    };
  }
}

/**
 * The dashboard's JSON API, over the tracker's read interfaces only (so it answers the same
 * on the local store and on an MLflow server). Every handler returns plain data; the server
 * serialises it.
 *
 * @packageDocumentation
 */
import { compareModelVersions } from "../compare/models.js";
import { compareRuns } from "../compare/runs.js";
import { knownDirection } from "../compare/direction.js";
import { ValidationError } from "../errors.js";
import type { RunRecord } from "../model/types.js";
import { lttb } from "../report/lttb.js";
import type { ArtifactBrowser, CatalogReader, ModelReader, RunReader } from "../tracker-api.js";

/**
 * What the dashboard reads from a tracker. A `Tracker` satisfies it structurally.
 * @example `startUi(tracker)`
 */
export type UiTracker = RunReader & ModelReader & CatalogReader & ArtifactBrowser;

/**
 * One row of the runs table: a run's identity, timing and its params, latest metrics and user
 * tags (system tags other than the git commit are left out to keep 10,000 rows small).
 * @example `{ id: "…", name: "lr=0.1", status: "RUNNING", start: 1764170000000, params: { lr: "0.1" }, metrics: { loss: 0.3 }, tags: {} }`
 */
export interface RunRow {
  /** Run id. */
  readonly id: string;
  /** Display name. */
  readonly name: string;
  /** Experiment id. */
  readonly experimentId: string;
  /** Status (`KILLED` with `crashed` for a run whose process died). */
  readonly status: string;
  /** True when the writing process stopped without ending the run. */
  readonly crashed?: boolean;
  /** Start, ms since the epoch. */
  readonly start: number;
  /** End, ms since the epoch, or null while running. */
  readonly end: number | null;
  /** Parent run id, or null. */
  readonly parent: string | null;
  /** Params. */
  readonly params: Readonly<Record<string, string>>;
  /** Latest value per metric (non-finite values as strings `"NaN"`, `"Infinity"`). */
  readonly metrics: Readonly<Record<string, number | string>>;
  /** User tags, plus `mlflow.source.git.commit`. */
  readonly tags: Readonly<Record<string, string>>;
}

/** Largest page of runs the API returns. */
export const MAX_PAGE = 50_000;

/** JSON has no NaN or Infinity: such values travel as their names. */
export function jsonNumber(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

function userTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) if (!k.startsWith("mlflow.") || k === "mlflow.source.git.commit") out[k] = v;
  return out;
}

/** Latest metric values for JSON (non-finite values as their names). */
export function metricsOf(metrics: Readonly<Record<string, number>>): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(metrics)) out[k] = jsonNumber(v);
  return out;
}

/**
 * A run as a table row.
 * @example `toRow(await tracker.getRun(id)).status`
 */
export function toRow(r: RunRecord): RunRow {
  return {
    id: r.info.runId,
    name: r.info.name,
    experimentId: r.info.experimentId,
    status: r.info.status,
    ...(r.info.crashed === true ? { crashed: true } : {}),
    start: r.info.startTime,
    end: r.info.endTime ?? null,
    parent: r.info.parentRunId ?? null,
    params: r.data.params,
    metrics: metricsOf(r.data.metrics),
    tags: userTags(r.data.tags),
  };
}

function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === "") return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ValidationError(name, raw, `must be an integer from ${min} to ${max}`);
  return n;
}

/**
 * A list query parameter: every occurrence, split on commas, trimmed, empties dropped.
 * @example `listParam(new URLSearchParams("runs=a,b&runs=c"), "runs") // ["a", "b", "c"]`
 */
export function listParam(q: URLSearchParams, name: string): string[] {
  return q
    .getAll(name)
    .flatMap((v) => v.split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * The dashboard's API handlers, bound to one tracker.
 * @example `const api = new UiApi(tracker, "http://mlflow:5000"); await api.runs(url.searchParams)`
 */
export class UiApi {
  constructor(
    private readonly tracker: UiTracker,
    private readonly serverUrl: string | undefined,
  ) {}

  /** `GET /api/experiments`: every experiment, by name. */
  async experiments(): Promise<unknown> {
    const list = await this.tracker.listExperiments();
    return { experiments: [...list].sort((a, b) => a.name.localeCompare(b.name)) };
  }

  /** `GET /api/runs?experiment=E&filter=F&order=O&limit=N&offset=M`: one page of runs as rows. */
  async runs(q: URLSearchParams): Promise<unknown> {
    const experiments = listParam(q, "experiment");
    const limit = intParam(q, "limit", 1000, 1, MAX_PAGE);
    const offset = intParam(q, "offset", 0, 0, MAX_PAGE - 1);
    const filter = q.get("filter") ?? "";
    const orderBy = q.getAll("order").filter((o) => o.trim() !== "");
    const found = await this.tracker.searchRuns({
      ...(experiments.length > 0 ? { experiment: experiments } : {}),
      ...(filter.trim() === "" ? {} : { filter }),
      ...(orderBy.length > 0 ? { orderBy } : {}),
      maxResults: Math.min(MAX_PAGE, offset + limit + 1),
    });
    const page = found.slice(offset, offset + limit);
    return { runs: page.map(toRow), offset, more: found.length > offset + limit };
  }

  /** `GET /api/run?id=R`: the run, its datasets and artifacts at the root, and its URL on the tracking server. */
  async run(q: URLSearchParams): Promise<unknown> {
    const id = q.get("id") ?? "";
    const record = await this.tracker.getRun(id);
    const [datasets, artifacts] = await Promise.all([this.tracker.getRunDatasets(id), this.tracker.listArtifacts(id).catch(() => [])]);
    const serverUrl = this.serverUrl === undefined ? null : `${this.serverUrl}/#/experiments/${record.info.experimentId}/runs/${record.info.runId}`;
    const children = await this.tracker
      .searchRuns({
        filter: `tags.mlflow.parentRunId = '${id.replace(/'/g, "")}'`,
        maxResults: 200,
        experiment: await this.experimentName(record.info.experimentId),
      })
      .catch(() => []);
    return { run: { ...toRow(record), tags: record.data.tags }, datasets, artifacts, serverUrl, children: children.map(toRow) };
  }

  private async experimentName(experimentId: string): Promise<string[]> {
    const e = (await this.tracker.listExperiments()).find((x) => x.experimentId === experimentId);
    return e === undefined ? [] : [e.name];
  }

  /** `GET /api/artifacts?id=R&path=P`: the entries of one artifact folder. */
  async artifacts(q: URLSearchParams): Promise<unknown> {
    const p = q.get("path") ?? "";
    return { entries: await this.tracker.listArtifacts(q.get("id") ?? "", p === "" ? undefined : p) };
  }

  /**
   * `GET /api/metrics?id=R&key=K&max=N&x=step|time`: metric histories, sorted by the x axis,
   * downsampled with LTTB to `max` points each (non-finite values dropped).
   */
  async metrics(q: URLSearchParams): Promise<unknown> {
    const id = q.get("id") ?? "";
    const keys = listParam(q, "key");
    const max = intParam(q, "max", 2000, 3, 100_000);
    const byTime = q.get("x") === "time";
    const histories = await this.tracker.getMetricHistories(id, keys.length > 0 ? keys : undefined);
    const series: Record<string, { x: number[]; y: number[]; points: number }> = {};
    for (const [key, history] of Object.entries(histories)) {
      const finite = history.filter((m) => Number.isFinite(m.value));
      const at = byTime ? (m: (typeof finite)[number]) => m.timestamp : (m: (typeof finite)[number]) => m.step;
      finite.sort((a, b) => at(a) - at(b));
      const down = lttb({ x: finite.map(at), y: finite.map((m) => m.value) }, max);
      series[key] = { ...down, points: history.length };
    }
    return { id, series };
  }

  /** `GET /api/compare?runs=A,B`: params that differ and per-metric summaries (see `compareRuns`). */
  async compare(q: URLSearchParams): Promise<unknown> {
    const ids = listParam(q, "runs");
    if (ids.length === 0 || ids.length > 50) throw new ValidationError("runs", ids.join(","), "must list 1 to 50 run ids");
    const direction = this.directions(q);
    const cmp = await compareRuns(this.tracker, ids, { allParams: true, ...(direction === undefined ? {} : { direction }) });
    const known = Object.fromEntries(Object.keys(cmp.metrics).map((k) => [k, knownDirection(k, direction) !== undefined]));
    return { ...cmp, known };
  }

  private directions(q: URLSearchParams): Record<string, "min" | "max"> | undefined {
    const out: Record<string, "min" | "max"> = {};
    for (const d of listParam(q, "direction")) {
      const [k, v] = d.split(":");
      if (k !== undefined && (v === "min" || v === "max")) out[k] = v;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }

  /** `GET /api/models`: every registered model with its version count, latest version and aliases. */
  async models(): Promise<unknown> {
    const names = await this.tracker.listModels();
    const models = await Promise.all(
      names.map(async (name) => {
        const versions = await this.tracker.listModelVersions(name).catch(() => []);
        const last = versions[versions.length - 1];
        return {
          name,
          versions: versions.length,
          latest: last?.version ?? null,
          updated: last?.createdAt ?? null,
          aliases: versions.flatMap((v) => v.aliases.map((a) => ({ alias: a, version: v.version }))),
          deprecated: versions.filter((v) => v.deprecated).length,
        };
      }),
    );
    return { models };
  }

  /** `GET /api/model?name=M`: the model's versions compared (semver, aliases, lineage) and its registry history. */
  async model(q: URLSearchParams): Promise<unknown> {
    const name = q.get("name") ?? "";
    const [comparison, history] = await Promise.all([compareModelVersions(this.tracker, name, [], { allParams: true }), this.tracker.modelHistory(name)]);
    return { comparison, history };
  }
}

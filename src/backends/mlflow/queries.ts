/**
 * Reads against an MLflow server by its own ids, for the tracker's read-your-writes layer
 * (src/remote/queries.ts). Every miss becomes `NotFoundError`, with MLflow's answer as its cause.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatasetInfo } from "../../artifacts/run-artifacts.js";
import { NotFoundError } from "../../errors.js";
import { defined } from "../../internal/defined.js";
import type { Experiment, Metric, RunRecord, RunViewType } from "../../model/types.js";
import { MANIFEST_PATH } from "../../remote/artifact-sync.js";
import { downloadFile, listArtifacts as listRemote } from "../../remote/artifacts.js";
import { remoteHistory } from "../../remote/history.js";
import type { StreamingHttpClient as HttpClient } from "../../remote/http.js";
import { isNotFound } from "../../remote/mlflow/base.js";
import type { MlflowClient } from "../../remote/mlflow/client.js";
import { runDatasetsOf } from "../../remote/mlflow/convert.js";
import type { RemoteExperiment } from "../../remote/mlflow/types.js";
import { SEARCH_MAX_RESULTS_DEFAULT } from "../../store/filter.js";
import type { ArtifactEntry, DownloadProgress } from "../../store/artifact-queries.js";
import type { HistoryQuery } from "../../store/series/history.js";
import type { BackendLifecycle, BackendQueries, BackendSearch } from "../types.js";

type Manifest = Record<string, { sha256: string; size: number }>;

/** Runs `call`; a "does not exist" answer becomes NotFoundError(`what` not found), the answer kept as its cause. */
async function orNotFound<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isNotFound(err)) throw new NotFoundError(`${what} not found on the tracking server`, { cause: err });
    throw err;
  }
}

function experimentOf(e: RemoteExperiment): Experiment {
  return {
    experimentId: e.experimentId,
    name: e.name,
    creationTime: e.creationTime ?? 0,
    tags: e.tags,
    ...(e.lifecycleStage === "deleted" ? { deleted: true } : {}),
  };
}

/** MLflow's runs/delete, runs/restore, experiments/delete, experiments/restore as {@link BackendLifecycle}. @internal */
export function mlflowLifecycle(client: MlflowClient): BackendLifecycle {
  return {
    setRunDeleted: (runId, deleted) => orNotFound(`run "${runId}"`, () => (deleted ? client.deleteRun(runId) : client.restoreRun(runId))),
    setExperimentDeleted: (experimentId, deleted) =>
      orNotFound(`experiment id "${experimentId}"`, () => (deleted ? client.deleteExperiment(experimentId) : client.restoreExperiment(experimentId))),
  };
}

/** MLflow's answers as {@link BackendQueries}. @internal */
export class MlflowQueries implements BackendQueries {
  constructor(
    private readonly client: MlflowClient,
    private readonly http: HttpClient,
  ) {}

  getRun(runId: string): Promise<RunRecord> {
    return orNotFound(`run "${runId}"`, () => this.client.getRun(runId));
  }

  async getMetricHistory(runId: string, key: string, query?: HistoryQuery): Promise<Metric[]> {
    const points = await orNotFound(`run "${runId}"`, () => remoteHistory(this.client, runId, key, query));
    // MLflow answers the history of a run it does not have with no points: tell a miss from an empty history.
    if (points.length === 0) await this.getRun(runId);
    return points;
  }

  async searchRuns(experimentIds: readonly string[], search: BackendSearch): Promise<RunRecord[]> {
    const max = search.maxResults ?? SEARCH_MAX_RESULTS_DEFAULT;
    const out: RunRecord[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.client.searchRuns({
        experimentIds,
        maxResults: Math.min(1000, max - out.length),
        ...defined({ filter: search.filter }),
        ...defined({ orderBy: search.orderBy }),
        ...defined({ pageToken }),
        ...defined({ viewType: search.view }),
      });
      out.push(...page.items);
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined && out.length < max);
    return out;
  }

  async listExperiments(view?: RunViewType): Promise<Experiment[]> {
    const out: Experiment[] = [];
    for await (const e of this.client.iterateExperiments(defined({ viewType: view }))) out.push(experimentOf(e));
    return out;
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    const e = await this.client.getExperimentByName(name);
    return e === undefined ? undefined : experimentOf(e);
  }

  /** The run's artifact root on the server. */
  private async artifactUri(runId: string): Promise<string> {
    const uri = (await this.getRun(runId)).info as { artifactUri?: string };
    if (uri.artifactUri === undefined) throw new NotFoundError(`run "${runId}" has no artifact location on the server`);
    return uri.artifactUri;
  }

  async listArtifacts(runId: string, path: string | undefined): Promise<ArtifactEntry[]> {
    const manifest = await this.manifest(await this.artifactUri(runId));
    // Same view as the local store: the manifest folder hidden, folders first, then files, each sorted.
    const entries = (await orNotFound(`run "${runId}"`, () => listRemote(this.http, runId, path)))
      .filter((e) => e.path !== ".mltrail" && !e.path.startsWith(".mltrail/"))
      .map((e) => {
        const known = manifest?.[e.path];
        return known === undefined || e.isDir ? e : { ...e, sha256: known.sha256 };
      });
    return entries.sort((a, b) => (a.isDir !== b.isDir ? (a.isDir ? -1 : 1) : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async downloadArtifacts(runId: string, path: string, dest: string, onProgress?: DownloadProgress): Promise<string> {
    const uri = await this.artifactUri(runId);
    const manifest = await this.manifest(uri);
    const files = await this.walk(runId, path);
    if (files.length === 0) throw new NotFoundError(`no artifact "${path}" in run "${runId}" on the server`);
    const total = files.every((f) => manifest?.[f] !== undefined) ? files.reduce((n, f) => n + (manifest?.[f]?.size ?? 0), 0) : undefined;
    let before = 0;
    for (const rel of files) {
      const known = manifest?.[rel];
      const progress = onProgress === undefined ? {} : { onProgress: (done: number) => onProgress(before + done, total) };
      const got = await orNotFound(`artifact "${rel}" of run "${runId}"`, () =>
        downloadFile(this.http, uri, rel, join(dest, ...rel.split("/")), {
          ...progress,
          ...(known === undefined ? {} : { expectedSha256: known.sha256, expectedSize: known.size }),
        }),
      );
      before += got.size;
    }
    return join(dest, ...path.split("/").filter((s) => s !== ""));
  }

  /** Files at or under `path` on the server (a file path lists as itself). */
  private async walk(runId: string, path: string): Promise<string[]> {
    const list = (dir: string | undefined) => orNotFound(`artifact "${path}" of run "${runId}"`, () => listRemote(this.http, runId, dir));
    const parent = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
    const siblings = await list(parent === "" ? undefined : parent);
    const self = siblings.find((e) => e.path === path && !e.isDir);
    if (self !== undefined) return [self.path];
    const out: string[] = [];
    const visit = async (dir: string | undefined): Promise<void> => {
      for (const e of await list(dir)) {
        if (e.path === MANIFEST_PATH || e.path.startsWith(".mltrail/")) continue;
        if (e.isDir) await visit(e.path);
        else out.push(e.path);
      }
    };
    await visit(path === "" ? undefined : path);
    return out;
  }

  /** The manifest uploaded with the run (`.mltrail/manifest.json`), when there is one. */
  private async manifest(artifactUri: string): Promise<Manifest | undefined> {
    const dir = await mkdtemp(join(tmpdir(), "mltrail-manifest-"));
    try {
      const file = join(dir, "manifest.json");
      await downloadFile(this.http, artifactUri, MANIFEST_PATH, file);
      return (JSON.parse(await readFile(file, "utf8")) as { files?: Manifest }).files;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async runDatasets(runId: string): Promise<DatasetInfo[]> {
    return runDatasetsOf(await orNotFound(`run "${runId}"`, () => this.client.getRun(runId)));
  }
}

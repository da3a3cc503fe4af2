/**
 * Queries against the tracking server, read-your-writes: a run the local log holds is read
 * from the log until the server has acknowledged all of it (src/remote/local-view.ts), and
 * searches merge those runs into the server's answer. A local id of a replicated run is
 * mapped to its server id.
 */
import { NotFoundError, StateError } from "../errors.js";
import type { Experiment, Metric, RunRecord } from "../model/types.js";
import { LocalQueries, type Queries } from "../queries.js";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatasetInfo } from "../artifacts/run-artifacts.js";
import type { ArtifactEntry, DownloadProgress } from "../store/artifact-queries.js";
import { downloadFile, listArtifacts as listRemote } from "./artifacts.js";
import { MANIFEST_PATH } from "./artifact-sync.js";
import type { HttpClient } from "./http.js";
import { parseRunFilter, searchRunRecords, SEARCH_MAX_RESULTS_DEFAULT, SEARCH_MAX_RESULTS_LIMIT, type SearchRunRecordsOptions } from "../store/filter.js";
import { parseOrderBy, sortRunRecords } from "../store/order.js";
import type { LocalStore } from "../store/local-store.js";
import { isNotFound } from "./mlflow/base.js";
import type { MlflowClient } from "./mlflow/client.js";
import { LocalView, type LocalRun } from "./local-view.js";
import { MLFLOW_TAGS } from "../model/system-tags.js";
import { defined } from "../internal/defined.js";
import type { HistoryQuery } from "../store/series/history.js";
import { remoteHistory } from "./history.js";

/** Queries answered by the server, with the local log for what the server lacks. @internal */
export class RemoteQueries implements Queries {
  private readonly view: LocalView;

  /**
   * @param settle waits (bounded) for replication to catch up; used when a call needs the
   *   run on the server (a release points at the server's run).
   */
  constructor(
    private readonly client: MlflowClient,
    private readonly spool: LocalStore,
    target: string,
    private readonly http: HttpClient,
    private readonly settle: () => Promise<void> = async () => undefined,
  ) {
    this.view = new LocalView(spool, target);
  }

  async getRun(runId: string): Promise<RunRecord> {
    const where = await this.view.locate(runId);
    if ("local" in where) return this.view.record(where.local);
    try {
      return await this.client.getRun(where.remote);
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(`run "${runId}" not found on the tracking server`, { cause: err });
      throw err;
    }
  }

  /**
   * The facts a release records, from the local log whenever it holds the run (it is
   * complete; the server may not be yet). The run must exist on the server, since the
   * release points at it: a run not created there yet is waited for, with a bound.
   */
  async runFacts(runId: string): Promise<RunRecord> {
    let where = await this.view.locate(runId);
    if ("remote" in where) return this.getRun(runId);
    if (where.local.state.state.remoteRunId === undefined && where.local.state.bound) {
      await this.settle();
      where = await this.view.locate(runId);
      if ("remote" in where) return this.getRun(runId);
    }
    if (where.local.state.state.remoteRunId === undefined) {
      throw new StateError(
        `run "${runId}" is not on the tracking server yet, and a release must point at the server's run: retry once replication is UP (tracker.flush()), or send it with mltrail sync`,
      );
    }
    return this.view.record(where.local);
  }

  async getMetricHistory(runId: string, key: string, query?: HistoryQuery): Promise<Metric[]> {
    const where = await this.view.locate(runId);
    if ("local" in where) return this.spool.getMetricHistory(where.local.localId, key, query);
    return remoteHistory(this.client, where.remote, key, query);
  }

  async getMetricHistories(runId: string, keys: readonly string[] | undefined): Promise<Record<string, Metric[]>> {
    const where = await this.view.locate(runId);
    if ("local" in where) return this.spool.getMetricHistories(where.local.localId, keys);
    const names = keys ?? Object.keys((await this.client.getRun(where.remote)).data.metrics);
    const out: Record<string, Metric[]> = {};
    for (const key of names) out[key] = await this.getMetricHistory(where.remote, key);
    return out;
  }

  async searchRuns(experimentNames: readonly string[], options: SearchRunRecordsOptions): Promise<RunRecord[]> {
    const ids: string[] = [];
    for (const name of experimentNames) {
      const exp = await this.client.getExperimentByName(name);
      if (exp === undefined) throw new NotFoundError(`experiment "${name}" not found on the tracking server`);
      ids.push(exp.experimentId);
    }
    // Check the syntax locally first, so a typo fails the same way on both backends.
    if (options.filter !== undefined) parseRunFilter(options.filter);
    if (options.orderBy !== undefined) parseOrderBy(options.orderBy);
    const unsent = await this.view.pending(experimentNames);
    // Runs this log holds that the server lacks part of replace the server's copies, and
    // the server is asked for that many more so none of its own runs is cut off.
    const serverMax = Math.min(SEARCH_MAX_RESULTS_LIMIT, (options.maxResults ?? SEARCH_MAX_RESULTS_DEFAULT) + unsent.length);
    const fromServer = await this.searchServer(ids, { ...options, maxResults: serverMax });
    if (unsent.length === 0) return fromServer;
    return this.merge(fromServer, unsent, Object.fromEntries(experimentNames.map((n, i) => [n, ids[i] as string])), options);
  }

  /** The server's answer with the log's copies of runs it lacks part of; filter and order applied to both. */
  private async merge(
    fromServer: readonly RunRecord[],
    unsent: readonly LocalRun[],
    experimentIds: Readonly<Record<string, string>>,
    options: SearchRunRecordsOptions,
  ): Promise<RunRecord[]> {
    // A run that cannot be read (being created, damaged) is left out, as the local store does.
    const read = await Promise.allSettled(unsent.map((r) => this.view.record(r, experimentIds[r.experimentName])));
    const local = read.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const replaced = new Set(local.map((r) => r.info.runId));
    const matching = searchRunRecords(local, { ...defined({ filter: options.filter }), maxResults: SEARCH_MAX_RESULTS_LIMIT });
    const merged = sortRunRecords([...fromServer.filter((r) => !replaced.has(r.info.runId)), ...matching], parseOrderBy(options.orderBy ?? []));
    return merged.slice(0, options.maxResults ?? SEARCH_MAX_RESULTS_DEFAULT);
  }

  private async searchServer(ids: readonly string[], options: SearchRunRecordsOptions): Promise<RunRecord[]> {
    const max = options.maxResults ?? SEARCH_MAX_RESULTS_DEFAULT;
    const out: RunRecord[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.client.searchRuns({
        experimentIds: ids,
        maxResults: Math.min(1000, max - out.length),
        ...defined({ filter: options.filter }),
        ...defined({ orderBy: options.orderBy }),
        ...defined({ pageToken }),
      });
      out.push(...page.items);
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined && out.length < max);
    return out;
  }

  /** The local log's copy of a run (its local id), when this machine logged it: it holds every file, the manifest and the datasets. */
  private async localFiles(runId: string): Promise<{ queries: LocalQueries; id: string } | undefined> {
    if ((await this.spool.findRun(runId)) !== undefined) return { queries: new LocalQueries(this.spool), id: runId };
    const where = await this.view.locate(runId);
    return "local" in where ? { queries: new LocalQueries(this.spool), id: where.local.localId } : undefined;
  }

  async listArtifacts(runId: string, path: string | undefined): Promise<ArtifactEntry[]> {
    const local = await this.localFiles(runId);
    if (local !== undefined) return local.queries.listArtifacts(local.id, path);
    const manifest = await this.remoteManifest(runId);
    // Same view as the local store: the manifest folder hidden, folders first, then files, each sorted.
    const entries = (await listRemote(this.http, runId, path))
      .filter((e) => e.path !== ".mltrail" && !e.path.startsWith(".mltrail/"))
      .map((e) => {
        const known = manifest?.[e.path];
        return known === undefined || e.isDir ? e : { ...e, sha256: known.sha256 };
      });
    return entries.sort((a, b) => (a.isDir !== b.isDir ? (a.isDir ? -1 : 1) : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async downloadArtifacts(runId: string, path: string, dest: string, onProgress?: DownloadProgress): Promise<string> {
    const local = await this.localFiles(runId);
    if (local !== undefined) return local.queries.downloadArtifacts(local.id, path, dest, onProgress);
    const run = await this.client.getRun(runId);
    const uri = (run.info as { artifactUri?: string }).artifactUri;
    if (uri === undefined) throw new NotFoundError(`run "${runId}" has no artifact location on the server`);
    const manifest = await this.remoteManifest(runId, uri);
    const files = await this.walk(runId, path);
    if (files.length === 0) throw new NotFoundError(`no artifact "${path}" in run "${runId}" on the server`);
    const total = files.every((f) => manifest?.[f] !== undefined) ? files.reduce((n, f) => n + (manifest?.[f]?.size ?? 0), 0) : undefined;
    let before = 0;
    for (const rel of files) {
      const known = manifest?.[rel];
      const progress = onProgress === undefined ? {} : { onProgress: (done: number) => onProgress(before + done, total) };
      const got = await downloadFile(this.http, uri, rel, join(dest, ...rel.split("/")), {
        ...progress,
        ...(known === undefined ? {} : { expectedSha256: known.sha256, expectedSize: known.size }),
      });
      before += got.size;
    }
    return join(dest, ...path.split("/").filter((s) => s !== ""));
  }

  /** Files at or under `path` on the server (a file path lists as itself). */
  private async walk(runId: string, path: string): Promise<string[]> {
    const parent = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
    const siblings = await listRemote(this.http, runId, parent === "" ? undefined : parent);
    const self = siblings.find((e) => e.path === path && !e.isDir);
    if (self !== undefined) return [self.path];
    const out: string[] = [];
    const visit = async (dir: string | undefined): Promise<void> => {
      for (const e of await listRemote(this.http, runId, dir)) {
        if (e.path === MANIFEST_PATH || e.path.startsWith(".mltrail/")) continue;
        if (e.isDir) await visit(e.path);
        else out.push(e.path);
      }
    };
    await visit(path === "" ? undefined : path);
    return out;
  }

  /** The manifest uploaded with the run (`.mltrail/manifest.json`), when there is one. */
  private async remoteManifest(runId: string, artifactUri?: string): Promise<Record<string, { sha256: string; size: number }> | undefined> {
    const uri = artifactUri ?? ((await this.client.getRun(runId)).info as { artifactUri?: string }).artifactUri;
    if (uri === undefined) return undefined;
    const dir = await mkdtemp(join(tmpdir(), "mltrail-manifest-"));
    try {
      const file = join(dir, "manifest.json");
      await downloadFile(this.http, uri, MANIFEST_PATH, file);
      return (JSON.parse(await readFile(file, "utf8")) as { files?: Record<string, { sha256: string; size: number }> }).files;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async runDatasets(runId: string): Promise<DatasetInfo[]> {
    const local = await this.localFiles(runId);
    if (local !== undefined) return local.queries.runDatasets(local.id);
    const run = await this.client.getRun(runId);
    return run.datasetInputs.map(({ dataset, tags }) => ({
      name: dataset.name,
      digest: tags["mltrail.digest"] ?? dataset.digest,
      source: dataset.source,
      sourceType: dataset.sourceType,
      ...defined({ context: tags[MLFLOW_TAGS.dataContext] }),
      ...defined({ schema: dataset.schema }),
      ...defined({ profile: dataset.profile }),
    }));
  }

  async listExperiments(): Promise<Experiment[]> {
    const out: Experiment[] = [];
    for await (const e of this.client.iterateExperiments())
      out.push({ experimentId: e.experimentId, name: e.name, creationTime: e.creationTime ?? 0, tags: e.tags });
    return out;
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    const e = await this.client.getExperimentByName(name);
    return e === undefined ? undefined : { experimentId: e.experimentId, name: e.name, creationTime: e.creationTime ?? 0, tags: e.tags };
  }
}

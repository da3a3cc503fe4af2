/**
 * Queries against the tracking server. A run that exists only in the local log (started
 * while the server was down and not yet replicated) is read from the log; a local id of a
 * replicated run is mapped to its server id.
 */
import { NotFoundError } from "../errors.js";
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
import { parseRunFilter, SEARCH_MAX_RESULTS_DEFAULT, type SearchRunRecordsOptions } from "../store/filter.js";
import { parseOrderBy } from "../store/order.js";
import type { LocalStore } from "../store/local-store.js";
import { isNotFound } from "./mlflow/base.js";
import type { MlflowClient } from "./mlflow/client.js";
import { ReplicationState } from "./replication-state.js";

/** Queries answered by the server, with the local log as a fallback. @internal */
export class RemoteQueries implements Queries {
  constructor(
    private readonly client: MlflowClient,
    private readonly spool: LocalStore,
    private readonly target: string,
    private readonly http: HttpClient,
  ) {}

  /** Where to read a run: its server id, or the local log when the server does not know it yet. */
  private async locate(runId: string): Promise<{ remote: string } | { local: string }> {
    const found = await this.spool.findRun(runId);
    if (found === undefined) return { remote: runId };
    const state = await ReplicationState.load(found.paths.dir, this.target);
    return state.state.remoteRunId === undefined ? { local: runId } : { remote: state.state.remoteRunId };
  }

  async getRun(runId: string): Promise<RunRecord> {
    const where = await this.locate(runId);
    if ("local" in where) return this.spool.getRun(where.local);
    try {
      return await this.client.getRun(where.remote);
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(`run "${runId}" not found on the tracking server`, { cause: err });
      throw err;
    }
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    const where = await this.locate(runId);
    if ("local" in where) return this.spool.getMetricHistory(where.local, key);
    const history = await this.client.getMetricHistory(where.remote, key);
    return history.map(({ key: k, value, step, timestamp }) => ({ key: k, value, step, timestamp }));
  }

  async getMetricHistories(runId: string, keys: readonly string[] | undefined): Promise<Record<string, Metric[]>> {
    const where = await this.locate(runId);
    if ("local" in where) return this.spool.getMetricHistories(where.local, keys);
    const names = keys ?? Object.keys((await this.client.getRun(where.remote)).data.metrics);
    const out: Record<string, Metric[]> = {};
    for (const key of names) out[key] = await this.getMetricHistory(runId, key);
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
    const max = options.maxResults ?? SEARCH_MAX_RESULTS_DEFAULT;
    const out: RunRecord[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.client.searchRuns({
        experimentIds: ids,
        maxResults: Math.min(1000, max - out.length),
        ...(options.filter === undefined ? {} : { filter: options.filter }),
        ...(options.orderBy === undefined ? {} : { orderBy: options.orderBy }),
        ...(pageToken === undefined ? {} : { pageToken }),
      });
      out.push(...page.items);
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined && out.length < max);
    return out;
  }

  /** The local log's copy of a run, when this machine logged it (it holds every file and the manifest). */
  private async localFiles(runId: string): Promise<LocalQueries | undefined> {
    return (await this.spool.findRun(runId)) === undefined ? undefined : new LocalQueries(this.spool);
  }

  async listArtifacts(runId: string, path: string | undefined): Promise<ArtifactEntry[]> {
    const local = await this.localFiles(runId);
    if (local !== undefined) return local.listArtifacts(runId, path);
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
    if (local !== undefined) return local.downloadArtifacts(runId, path, dest, onProgress);
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
      const got = await downloadFile(this.http, uri, rel, join(dest, ...rel.split("/")), { ...progress, ...(known === undefined ? {} : { expectedSha256: known.sha256, expectedSize: known.size }) });
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
    if (local !== undefined) return local.runDatasets(runId);
    const run = await this.client.getRun(runId);
    return run.datasetInputs.map(({ dataset, tags }) => ({
      name: dataset.name,
      digest: tags["mltrail.digest"] ?? dataset.digest,
      source: dataset.source,
      sourceType: dataset.sourceType,
      ...(tags["mlflow.data.context"] === undefined ? {} : { context: tags["mlflow.data.context"] }),
      ...(dataset.schema === undefined ? {} : { schema: dataset.schema }),
      ...(dataset.profile === undefined ? {} : { profile: dataset.profile }),
    }));
  }

  async listExperiments(): Promise<Experiment[]> {
    const out: Experiment[] = [];
    for await (const e of this.client.iterateExperiments()) out.push({ experimentId: e.experimentId, name: e.name, creationTime: e.creationTime ?? 0, tags: e.tags });
    return out;
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    const e = await this.client.getExperimentByName(name);
    return e === undefined ? undefined : { experimentId: e.experimentId, name: e.name, creationTime: e.creationTime ?? 0, tags: e.tags };
  }
}

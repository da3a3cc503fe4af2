/**
 * Read-your-writes over any backend's queries: a run the local log holds is read from the log
 * until the backend has acknowledged all of it (src/remote/local-view.ts), and searches merge
 * those runs into the backend's answer. A local id of a replicated run is mapped to its
 * backend id.
 */
import { pageBySearch, type RunsPage, type SearchRunsPageOptions } from "../store/paging.js";
import { NotFoundError, StateError } from "../errors.js";
import type { Experiment, Metric, RunRecord, RunViewType } from "../model/types.js";
import { LocalQueries, type Queries } from "../queries.js";
import type { DatasetInfo } from "../artifacts/run-artifacts.js";
import type { ArtifactEntry, DownloadProgress } from "../store/artifact-queries.js";
import { parseRunFilter, searchRunRecords, SEARCH_MAX_RESULTS_DEFAULT, SEARCH_MAX_RESULTS_LIMIT, type SearchRunRecordsOptions } from "../store/filter.js";
import { parseOrderBy, sortRunRecords } from "../store/order.js";
import type { LocalStore } from "../store/local-store.js";
import type { BackendQueries } from "../backends/types.js";
import { LocalView, type LocalRun } from "./local-view.js";
import { defined } from "../internal/defined.js";
import type { HistoryQuery } from "../store/series/history.js";
import { selectPoints } from "../store/series/history-options.js";

/** Queries answered by a backend, with the local log for what the backend lacks. @internal */
export class RemoteQueries implements Queries {
  private readonly view: LocalView;

  /**
   * @param settle waits (bounded) for replication to catch up; used when a call needs the
   *   run on the server (a release points at the server's run).
   */
  constructor(
    private readonly backend: BackendQueries,
    private readonly spool: LocalStore,
    target: string,
    private readonly settle: () => Promise<void> = async () => undefined,
    /** False when the backend's `searchRuns` ignores filter and order: they are applied here. */
    private readonly searches = true,
  ) {
    this.view = new LocalView(spool, target);
  }

  async getRun(runId: string): Promise<RunRecord> {
    const where = await this.view.locate(runId);
    if ("local" in where) return this.view.record(where.local);
    return this.backend.getRun(where.remote);
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
    const points = await this.backend.getMetricHistory(where.remote, key, query);
    // A backend may answer with more than asked (no step filter, no limit): the same selection as the local store's.
    return query === undefined || query.sampled ? points : selectPoints(points, query.range, query.maxResults);
  }

  async getMetricHistories(runId: string, keys: readonly string[] | undefined): Promise<Record<string, Metric[]>> {
    const where = await this.view.locate(runId);
    if ("local" in where) return this.spool.getMetricHistories(where.local.localId, keys);
    const names = keys ?? Object.keys((await this.backend.getRun(where.remote)).data.metrics);
    const out: Record<string, Metric[]> = {};
    for (const key of names) out[key] = await this.getMetricHistory(where.remote, key);
    return out;
  }

  async searchRuns(experimentNames: readonly string[], options: SearchRunRecordsOptions, view: RunViewType = "ACTIVE_ONLY"): Promise<RunRecord[]> {
    const ids: string[] = [];
    for (const name of experimentNames) {
      const exp = await this.backend.getExperimentByName(name);
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
    const fromServer = this.searches
      ? await this.backend.searchRuns(ids, { ...options, maxResults: serverMax, view })
      : searchRunRecords(await this.backend.searchRuns(ids, { maxResults: SEARCH_MAX_RESULTS_LIMIT, view }), { ...options, maxResults: serverMax });
    if (unsent.length === 0) return fromServer;
    return this.merge(fromServer, unsent, Object.fromEntries(experimentNames.map((n, i) => [n, ids[i] as string])), options, view);
  }

  /** One page: the merged answer (as `searchRuns` gives it) up to the end of the page, sliced. */
  searchRunsPage(experimentNames: readonly string[], options: SearchRunsPageOptions, view: RunViewType = "ACTIVE_ONLY"): Promise<RunsPage> {
    const { filter, orderBy } = options;
    return pageBySearch(options, (maxResults) => this.searchRuns(experimentNames, { filter, orderBy, maxResults }, view));
  }

  /** The server's answer with the log's copies of runs it lacks part of; filter and order applied to both. */
  private async merge(
    fromServer: readonly RunRecord[],
    unsent: readonly LocalRun[],
    experimentIds: Readonly<Record<string, string>>,
    options: SearchRunRecordsOptions,
    view: RunViewType,
  ): Promise<RunRecord[]> {
    // A run that cannot be read (being created, damaged) is left out, as the local store does.
    const read = await Promise.allSettled(unsent.map((r) => this.view.record(r, experimentIds[r.experimentName])));
    const local = read.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const replaced = new Set(local.map((r) => r.info.runId));
    // The log's stage of its runs is the newer one (a deletion may still be on its way).
    const inView = local.filter((r) => view === "ALL" || (view === "DELETED_ONLY") === (r.info.deleted === true));
    const matching = searchRunRecords(inView, { ...defined({ filter: options.filter }), maxResults: SEARCH_MAX_RESULTS_LIMIT });
    const merged = sortRunRecords([...fromServer.filter((r) => !replaced.has(r.info.runId)), ...matching], parseOrderBy(options.orderBy ?? []));
    return merged.slice(0, options.maxResults ?? SEARCH_MAX_RESULTS_DEFAULT);
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
    return this.backend.listArtifacts(runId, path);
  }

  async downloadArtifacts(runId: string, path: string, dest: string, onProgress?: DownloadProgress): Promise<string> {
    const local = await this.localFiles(runId);
    if (local !== undefined) return local.queries.downloadArtifacts(local.id, path, dest, onProgress);
    return this.backend.downloadArtifacts(runId, path, dest, onProgress);
  }

  async runDatasets(runId: string): Promise<DatasetInfo[]> {
    const local = await this.localFiles(runId);
    if (local !== undefined) return local.queries.runDatasets(local.id);
    return this.backend.runDatasets(runId);
  }

  listExperiments(view?: RunViewType): Promise<Experiment[]> {
    return this.backend.listExperiments(view);
  }

  /** The log's folder name of a run it holds and the server has not fully acknowledged, or of a run created online (`runId` a local or server id). */
  async localId(runId: string): Promise<string | undefined> {
    if ((await this.spool.findRun(runId)) !== undefined) return runId;
    const where = await this.view.locate(runId);
    return "local" in where ? where.local.localId : undefined;
  }

  getExperimentByName(name: string): Promise<Experiment | undefined> {
    return this.backend.getExperimentByName(name);
  }
}

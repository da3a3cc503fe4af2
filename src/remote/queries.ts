/**
 * Queries against the tracking server. A run that exists only in the local log (started
 * while the server was down and not yet replicated) is read from the log; a local id of a
 * replicated run is mapped to its server id.
 */
import { NotFoundError } from "../errors.js";
import type { Experiment, Metric, RunRecord } from "../model/types.js";
import type { Queries } from "../queries.js";
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

/**
 * Run, logging and metric-history endpoints of the MLflow client.
 *
 * @packageDocumentation
 */
import type { EndStatus, Metric, RunStatus } from "../../model/types.js";
import type { RequestOptions } from "../http-types.js";
import { API } from "./base.js";
import { toMetric, toRun, toRunInfo } from "./convert.js";
import { MlflowExperimentsApi } from "./experiments.js";
import type { ViewType } from "./experiments.js";
import type { KeyValue, KeyValueInput, Page, RemoteDatasetInput, RemoteMetric, RemoteRun, RemoteRunInfo } from "./types.js";
import { encodeMetric, Responses, toKeyValues, toRecord } from "./wire.js";
import { MLFLOW_TAGS } from "../../model/system-tags.js";
import { defined } from "../../internal/defined.js";

/** Page size the Python client uses for metric history; sent on every call. */
export const METRIC_HISTORY_PAGE_SIZE = 25_000;

/**
 * Options of {@link MlflowRunsApi.createRun}.
 * @example `{ experimentId: "1", runName: "baseline", startTime: Date.now(), tags: { team: "growth" } }`
 */
export interface CreateRunOptions {
  readonly experimentId: string;
  /** Display name; must equal a `mlflow.runName` tag if both are given. @default a random name from the server */
  readonly runName?: string;
  /** ms since the epoch. */
  readonly startTime: number;
  readonly tags?: KeyValueInput;
  /** Deprecated `user_id` field. @default the `mlflow.user` tag, else `"unknown"` (as the Python client) */
  readonly userId?: string;
}

/**
 * Options of {@link MlflowRunsApi.updateRun}.
 * @example `{ runId, status: "FINISHED", endTime: Date.now() }`
 */
export interface UpdateRunOptions {
  readonly runId: string;
  readonly status?: RunStatus | EndStatus;
  /** ms since the epoch. */
  readonly endTime?: number;
  readonly runName?: string;
}

/**
 * Options of {@link MlflowRunsApi.searchRuns}.
 * @example `{ experimentIds: ["1"], filter: "metrics.acc > 0.9", orderBy: ["metrics.acc DESC"], maxResults: 10 }`
 */
export interface SearchRunsRemoteOptions {
  readonly experimentIds: readonly string[];
  /** MLflow search filter. @default no filter */
  readonly filter?: string;
  /** Order clauses. @default server order (start time descending) */
  readonly orderBy?: readonly string[];
  /** Page size (1..50000). @default 1000 */
  readonly maxResults?: number;
  readonly pageToken?: string;
  /** @default "ACTIVE_ONLY" */
  readonly viewType?: ViewType;
}

/**
 * What {@link MlflowRunsApi.logBatch} sends. The caller keeps within the server's batch
 * limits (1000 metrics, 100 params, 100 tags, 1000 entities); nothing is split here.
 * @example `{ metrics: [{ key: "loss", value: NaN, step: 1, timestamp: Date.now() }], params: { lr: "0.01" } }`
 */
export interface LogBatchInput {
  readonly metrics?: readonly Metric[];
  readonly params?: KeyValueInput;
  /** Applied in order; the last write of a key wins. */
  readonly tags?: KeyValueInput;
}

/**
 * Run calls. Part of {@link MlflowClient}; use that class.
 * @example `const run = await client.createRun({ experimentId, startTime: Date.now() });`
 */
export class MlflowRunsApi extends MlflowExperimentsApi {
  /**
   * Creates a run. Not idempotent: retried only when the server surely did not act
   * (see `RetryMode` `create`).
   * @example `const run = await client.createRun({ experimentId: "1", runName: "a", startTime: Date.now() });`
   */
  async createRun(run: CreateRunOptions, options: RequestOptions = {}): Promise<RemoteRun> {
    const tags: KeyValue[] = toKeyValues(run.tags);
    const userId = run.userId ?? toRecord(tags)[MLFLOW_TAGS.user] ?? "unknown";
    const body = await this.call(
      "POST",
      `${API}/runs/create`,
      Responses.run,
      {
        ...options,
        body: {
          experiment_id: run.experimentId,
          start_time: run.startTime,
          tags,
          user_id: userId,
          ...defined({ run_name: run.runName }),
        },
      },
      "create",
    );
    return toRun(body.run);
  }

  /**
   * Updates status, end time and/or name. Not retried (the replicator drives it).
   * @example `await client.updateRun({ runId, status: "FINISHED", endTime: Date.now() });`
   */
  async updateRun(update: UpdateRunOptions, options: RequestOptions = {}): Promise<RemoteRunInfo> {
    const body = await this.call(
      "POST",
      `${API}/runs/update`,
      Responses.runInfo,
      {
        ...options,
        body: {
          run_id: update.runId,
          ...defined({ status: update.status }),
          ...defined({ end_time: update.endTime }),
          ...defined({ run_name: update.runName }),
        },
      },
      "none",
    );
    return toRunInfo(body.run_info);
  }

  /**
   * Gets a run with its params, tags and latest metric values.
   * @throws ResourceNotFoundError when it does not exist.
   * @example `const { info, data } = await client.getRun(runId);`
   */
  async getRun(runId: string, options: RequestOptions = {}): Promise<RemoteRun> {
    const body = await this.call("GET", `${API}/runs/get`, Responses.run, { ...options, query: { run_id: runId } });
    return toRun(body.run);
  }

  /**
   * One page of runs.
   * @example `const page = await client.searchRuns({ experimentIds: ["1"], maxResults: 10 });`
   */
  async searchRuns(search: SearchRunsRemoteOptions, options: RequestOptions = {}): Promise<Page<RemoteRun>> {
    const body = await this.call("POST", `${API}/runs/search`, Responses.runs, {
      ...options,
      body: {
        experiment_ids: search.experimentIds,
        max_results: search.maxResults ?? 1000,
        run_view_type: search.viewType ?? "ACTIVE_ONLY",
        ...defined({ filter: search.filter }),
        ...defined({ order_by: search.orderBy }),
        ...defined({ page_token: search.pageToken }),
      },
    });
    return {
      items: (body.runs ?? []).map(toRun),
      ...defined({ nextPageToken: body.next_page_token }),
    };
  }

  /**
   * Every run matching `search`, following page tokens (`maxResults` is the page size).
   * @example `for await (const run of client.iterateRuns({ experimentIds: ["1"] })) …`
   */
  iterateRuns(search: Omit<SearchRunsRemoteOptions, "pageToken">, options: RequestOptions = {}): AsyncGenerator<RemoteRun, void, undefined> {
    return this.paginate((pageToken) => this.searchRuns(pageToken === undefined ? search : { ...search, pageToken }, options));
  }

  /** Marks a run deleted. @example `await client.deleteRun(runId);` */
  async deleteRun(runId: string, options: RequestOptions = {}): Promise<void> {
    await this.send("POST", `${API}/runs/delete`, { ...options, body: { run_id: runId } }, "idempotent");
  }

  /** Restores a deleted run. @example `await client.restoreRun(runId);` */
  async restoreRun(runId: string, options: RequestOptions = {}): Promise<void> {
    await this.send("POST", `${API}/runs/restore`, { ...options, body: { run_id: runId } }, "idempotent");
  }

  /**
   * Sends one `log-batch` as given: NaN and ±Infinity are encoded as strings; no splitting
   * and no retry here (the replicator does both). A 2xx counts only with a JSON object body
   * (MLflow answers `{}`): an HTML page or garbage throws `INVALID_RESPONSE`.
   * @throws BadRequestError for a rejected batch (e.g. a param changed value).
   * @example `await client.logBatch(runId, { metrics: [{ key: "loss", value: 0.3, step: 1, timestamp: Date.now() }] });`
   */
  async logBatch(runId: string, batch: LogBatchInput, options: RequestOptions = {}): Promise<void> {
    const body = {
      run_id: runId,
      metrics: (batch.metrics ?? []).map(encodeMetric),
      params: toKeyValues(batch.params),
      tags: toKeyValues(batch.tags),
    };
    await this.call("POST", `${API}/runs/log-batch`, Responses.empty, { ...options, body }, "none");
  }

  /**
   * Records dataset inputs of a run (idempotent on the server: deduplicated by name + digest).
   * @example `await client.logInputs(runId, [{ dataset: { name: "train", digest: "abc", sourceType: "local", source: "{}" } }]);`
   */
  async logInputs(runId: string, datasets: readonly RemoteDatasetInput[], options: RequestOptions = {}): Promise<void> {
    const body = {
      run_id: runId,
      datasets: datasets.map(({ dataset, tags }) => ({
        tags: toKeyValues(tags),
        dataset: {
          name: dataset.name,
          digest: dataset.digest,
          source_type: dataset.sourceType,
          source: dataset.source,
          ...defined({ schema: dataset.schema }),
          ...defined({ profile: dataset.profile }),
        },
      })),
    };
    await this.call("POST", `${API}/runs/log-inputs`, Responses.empty, { ...options, body }, "none");
  }

  /**
   * Every data point of one metric, following page tokens; sends `max_results=25000` (less
   * when `limit` asks for fewer points, and pages stop once `limit` points came back).
   * NaN and ±Infinity come back as numbers.
   * @example `const points = await client.getMetricHistory(runId, "loss");`
   */
  async getMetricHistory(runId: string, key: string, options: RequestOptions = {}, limit = Number.POSITIVE_INFINITY): Promise<RemoteMetric[]> {
    const points: RemoteMetric[] = [];
    const pages = this.paginate(async (pageToken) => {
      const body = await this.call("GET", `${API}/metrics/get-history`, Responses.metrics, {
        ...options,
        query: { run_id: runId, metric_key: key, max_results: Math.min(METRIC_HISTORY_PAGE_SIZE, limit - points.length), page_token: pageToken },
      });
      return {
        items: (body.metrics ?? []).map(toMetric),
        ...defined({ nextPageToken: body.next_page_token }),
      };
    });
    for await (const point of pages) {
      points.push(point);
      if (points.length >= limit) break;
    }
    return points;
  }

  /**
   * A sample of one metric's history for charts (`metrics/get-history-bulk-interval`): at most
   * `maxResults` points (1 to 2500) of the steps `startStep`..`endStep` (both or neither).
   * @example `const points = await client.getMetricHistorySampled(runId, "loss", 500);`
   */
  async getMetricHistorySampled(
    runId: string,
    key: string,
    maxResults: number,
    steps?: { startStep: number; endStep: number },
    options: RequestOptions = {},
  ): Promise<RemoteMetric[]> {
    const body = await this.call("GET", `${API}/metrics/get-history-bulk-interval`, Responses.metrics, {
      ...options,
      query: { run_ids: runId, metric_key: key, max_results: maxResults, ...defined({ start_step: steps?.startStep, end_step: steps?.endStep }) },
    });
    return (body.metrics ?? []).map(toMetric);
  }

  /** Sets (upserts) a run tag. Not retried. @example `await client.setTag(runId, "stage", "tuning");` */
  async setTag(runId: string, key: string, value: string, options: RequestOptions = {}): Promise<void> {
    await this.call("POST", `${API}/runs/set-tag`, Responses.empty, { ...options, body: { run_id: runId, key, value } }, "none");
  }

  /** Deletes a run tag. Not retried. @example `await client.deleteTag(runId, "stage");` */
  async deleteTag(runId: string, key: string, options: RequestOptions = {}): Promise<void> {
    await this.call("POST", `${API}/runs/delete-tag`, Responses.empty, { ...options, body: { run_id: runId, key } }, "none");
  }
}

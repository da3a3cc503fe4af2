/**
 * Experiment endpoints of the MLflow client.
 *
 * @packageDocumentation
 */
import { ConflictError } from "../../errors.js";
import type { RequestOptions } from "../http-types.js";
import { API, isAlreadyExists, isNotFound, MlflowApiBase } from "./base.js";
import { toExperiment } from "./convert.js";
import type { KeyValueInput, Page, RemoteExperiment } from "./types.js";
import { Responses, toKeyValues } from "./wire.js";
import { MLFLOW_TAGS } from "../../model/system-tags.js";
import { defined } from "../../internal/defined.js";

/**
 * Which lifecycle stages a search returns.
 * @default "ACTIVE_ONLY"
 * @example `"ALL"`
 */
export type ViewType = "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL";

/**
 * Options of {@link MlflowExperimentsApi.searchExperiments}.
 * @example `{ filter: "name LIKE 'churn%'", maxResults: 100 }`
 */
export interface SearchExperimentsOptions {
  /** MLflow filter over name, tags and times. @default no filter */
  readonly filter?: string;
  /** Order clauses, e.g. `["creation_time DESC"]`. @default server order */
  readonly orderBy?: readonly string[];
  /** Page size (1..50000); always sent. @default 1000 */
  readonly maxResults?: number;
  /** Token from a previous page. */
  readonly pageToken?: string;
  /** @default "ACTIVE_ONLY" */
  readonly viewType?: ViewType;
}

/**
 * Experiment tag MLflow's UI reads to pick the experiment's layout (source:
 * `EXPERIMENT_KIND_TAG_KEY` in MLflow's `ExperimentKindUtils.ts`).
 * @example `experiment.tags[EXPERIMENT_KIND_TAG] // "custom_model_development"`
 */
export const EXPERIMENT_KIND_TAG = MLFLOW_TAGS.experimentKind;

/**
 * The kind that opens an experiment in MLflow's model-training view (runs, metrics, models)
 * rather than the GenAI view (`ExperimentKind.CUSTOM_MODEL_DEVELOPMENT` in MLflow's UI).
 * @example `{ [EXPERIMENT_KIND_TAG]: MODEL_TRAINING_KIND }`
 */
export const MODEL_TRAINING_KIND = "custom_model_development";

/** How often get-or-create re-reads after losing a creation race. */
const GET_OR_CREATE_ROUNDS = 3;

/**
 * Experiment calls. Part of {@link MlflowClient}; use that class.
 * @example `const exp = await client.getOrCreateExperiment("churn");`
 */
export class MlflowExperimentsApi extends MlflowApiBase {
  /**
   * Finds an experiment by name, including a deleted one (check `lifecycleStage`).
   * @returns the experiment, or `undefined` when there is none.
   * @example `const exp = await client.getExperimentByName("churn");`
   */
  async getExperimentByName(name: string, options: RequestOptions = {}): Promise<RemoteExperiment | undefined> {
    try {
      const body = await this.call("GET", `${API}/experiments/get-by-name`, Responses.experiment, {
        ...options,
        query: { experiment_name: name },
      });
      return toExperiment(body.experiment);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Gets an experiment by id.
   * @throws ResourceNotFoundError when it does not exist.
   * @example `const exp = await client.getExperiment("1");`
   */
  async getExperiment(experimentId: string, options: RequestOptions = {}): Promise<RemoteExperiment> {
    const body = await this.call("GET", `${API}/experiments/get`, Responses.experiment, {
      ...options,
      query: { experiment_id: experimentId },
    });
    return toExperiment(body.experiment);
  }

  /**
   * Creates an experiment and returns its id.
   * @throws BadRequestError with `errorCode` `RESOURCE_ALREADY_EXISTS` when the name is taken
   * (also by a deleted experiment).
   * @example `const id = await client.createExperiment("churn", { team: "growth" });`
   */
  async createExperiment(name: string, tags?: KeyValueInput, options: RequestOptions = {}): Promise<string> {
    const body = await this.call("POST", `${API}/experiments/create`, Responses.experimentId, {
      ...options,
      body: { name, tags: toKeyValues(tags) },
    });
    return body.experiment_id;
  }

  /**
   * Returns the active experiment named `name`, creating it if needed. Safe under races:
   * when another caller creates it first (`RESOURCE_ALREADY_EXISTS` as HTTP 400, or
   * `ALREADY_EXISTS` / 409 on Databricks) it reads the winner's experiment. Tags are set
   * only when this call creates the experiment. A created experiment also gets
   * `mlflow.experimentKind: custom_model_development` (unless `tags` names a kind), so
   * MLflow's UI opens it in its model-training view; an existing experiment is left as it is.
   *
   * @throws ConflictError when the experiment exists but is deleted; it is not restored
   * (restore it on the server, or pick another name).
   * @example `const { experimentId } = await client.getOrCreateExperiment("churn");`
   */
  async getOrCreateExperiment(name: string, tags?: KeyValueInput, options: RequestOptions = {}): Promise<RemoteExperiment> {
    for (let round = 0; ; round += 1) {
      const existing = await this.getExperimentByName(name, options);
      if (existing !== undefined) return activeOrThrow(existing);
      try {
        const withKind = toKeyValues(tags);
        if (!withKind.some((t) => t.key === EXPERIMENT_KIND_TAG)) withKind.unshift({ key: EXPERIMENT_KIND_TAG, value: MODEL_TRAINING_KIND });
        const experimentId = await this.createExperiment(name, withKind, options);
        return await this.getExperiment(experimentId, options);
      } catch (error) {
        if (!isAlreadyExists(error) || round + 1 >= GET_OR_CREATE_ROUNDS) throw error;
      }
    }
  }

  /**
   * Marks an experiment deleted; MLflow marks its runs deleted with it. Idempotent.
   * @example `await client.deleteExperiment("3")`
   */
  async deleteExperiment(experimentId: string, options: RequestOptions = {}): Promise<void> {
    await this.send("POST", `${API}/experiments/delete`, { ...options, body: { experiment_id: experimentId } }, "idempotent");
  }

  /**
   * Restores a deleted experiment; MLflow restores its runs with it. Idempotent.
   * @example `await client.restoreExperiment("3")`
   */
  async restoreExperiment(experimentId: string, options: RequestOptions = {}): Promise<void> {
    await this.send("POST", `${API}/experiments/restore`, { ...options, body: { experiment_id: experimentId } }, "idempotent");
  }

  /**
   * One page of experiments. Always sends `max_results` (the server rejects a missing one).
   * @example `const { items, nextPageToken } = await client.searchExperiments({ maxResults: 50 });`
   */
  async searchExperiments(search: SearchExperimentsOptions = {}, options: RequestOptions = {}): Promise<Page<RemoteExperiment>> {
    const body = await this.call("POST", `${API}/experiments/search`, Responses.experiments, {
      ...options,
      body: {
        max_results: search.maxResults ?? 1000,
        view_type: search.viewType ?? "ACTIVE_ONLY",
        ...defined({ filter: search.filter }),
        ...defined({ order_by: search.orderBy }),
        ...defined({ page_token: search.pageToken }),
      },
    });
    return {
      items: (body.experiments ?? []).map(toExperiment),
      ...defined({ nextPageToken: body.next_page_token }),
    };
  }

  /**
   * Every experiment matching `search`, following page tokens.
   * @example `for await (const exp of client.iterateExperiments()) console.log(exp.name);`
   */
  iterateExperiments(
    search: Omit<SearchExperimentsOptions, "pageToken"> = {},
    options: RequestOptions = {},
  ): AsyncGenerator<RemoteExperiment, void, undefined> {
    return this.paginate((pageToken) => this.searchExperiments(pageToken === undefined ? search : { ...search, pageToken }, options));
  }
}

function activeOrThrow(experiment: RemoteExperiment): RemoteExperiment {
  if (experiment.lifecycleStage === "deleted") {
    throw new ConflictError(
      `experiment "${experiment.name}" (id ${experiment.experimentId}) exists on the server but is deleted; ` +
        `restore it (mlflow experiments restore --experiment-id ${experiment.experimentId}) or use another name`,
    );
  }
  return experiment;
}

/**
 * Model-registry endpoints of the MLflow client.
 *
 * @packageDocumentation
 */
import { ApiError } from "../../errors.js";
import type { RequestOptions } from "../http-types.js";
import { API, isAlreadyExists, isNotFound } from "./base.js";
import { toModelVersion, toRegisteredModel } from "./convert.js";
import { MlflowRunsApi } from "./runs.js";
import type { KeyValueInput, Page, RemoteModelVersion, RemoteRegisteredModel } from "./types.js";
import { Responses, toKeyValues } from "./wire.js";
import { defined } from "../../internal/defined.js";

/**
 * Options of {@link MlflowRegistryApi.createModelVersion}.
 * @example `{ name: "churn", source: \`runs:/${runId}/model\`, runId, tags: { "mltrail.semver": "1.2.0" } }`
 */
export interface CreateModelVersionOptions {
  readonly name: string;
  /** Artifact URI of the model; MLflow checks it against `runId`. */
  readonly source: string;
  readonly runId?: string;
  readonly tags?: KeyValueInput;
  readonly description?: string;
  readonly runLink?: string;
  /** MLflow 3 logged-model id. */
  readonly modelId?: string;
}

/**
 * Options of {@link MlflowRegistryApi.searchModelVersions}.
 * @example `{ filter: "name = 'churn'", maxResults: 200 }`
 */
export interface SearchModelVersionsOptions {
  /** MLflow filter, e.g. `name = 'churn'` or `tags.semver = '1.2.0'`. @default no filter */
  readonly filter?: string;
  /** Page size (1..200000). @default 1000 */
  readonly maxResults?: number;
  readonly pageToken?: string;
  readonly orderBy?: readonly string[];
}

const quoteAlias = /alias .* not found/i;

/**
 * Registry calls. Part of {@link MlflowClient}; use that class.
 * @example `const mv = await client.createModelVersion({ name: "churn", source, runId });`
 */
export class MlflowRegistryApi extends MlflowRunsApi {
  /**
   * Creates a registered model.
   * @throws BadRequestError with `errorCode` `RESOURCE_ALREADY_EXISTS` when the name is taken.
   * @example `await client.createRegisteredModel("churn", { description: "churn classifier" });`
   */
  async createRegisteredModel(
    name: string,
    init: { readonly tags?: KeyValueInput; readonly description?: string } = {},
    options: RequestOptions = {},
  ): Promise<RemoteRegisteredModel> {
    const body = await this.call("POST", `${API}/registered-models/create`, Responses.registeredModel, {
      ...options,
      body: { name, tags: toKeyValues(init.tags), ...defined({ description: init.description }) },
    });
    return toRegisteredModel(body.registered_model);
  }

  /**
   * Gets a registered model with its tags and aliases.
   * @returns the model, or `undefined` when it does not exist.
   * @example `const model = await client.getRegisteredModel("churn");`
   */
  async getRegisteredModel(name: string, options: RequestOptions = {}): Promise<RemoteRegisteredModel | undefined> {
    try {
      const body = await this.call("GET", `${API}/registered-models/get`, Responses.registeredModel, {
        ...options,
        query: { name },
      });
      return toRegisteredModel(body.registered_model);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Returns the registered model, creating it if needed; safe under creation races.
   * `init` applies only when this call creates it.
   * @example `const model = await client.getOrCreateRegisteredModel("churn");`
   */
  async getOrCreateRegisteredModel(
    name: string,
    init: { readonly tags?: KeyValueInput; readonly description?: string } = {},
    options: RequestOptions = {},
  ): Promise<RemoteRegisteredModel> {
    for (let round = 0; ; round += 1) {
      const existing = await this.getRegisteredModel(name, options);
      if (existing !== undefined) return existing;
      try {
        return await this.createRegisteredModel(name, init, options);
      } catch (error) {
        if (!isAlreadyExists(error) || round >= 2) throw error;
      }
    }
  }

  /**
   * Deletes a registered model and all its versions.
   * @example `await client.deleteRegisteredModel("scratch-model");`
   */
  async deleteRegisteredModel(name: string, options: RequestOptions = {}): Promise<void> {
    await this.send("DELETE", `${API}/registered-models/delete`, { ...options, body: { name } }, "idempotent");
  }

  /** Sets a registered-model tag. @example `await client.setRegisteredModelTag("churn", "owner", "growth");` */
  async setRegisteredModelTag(name: string, key: string, value: string, options: RequestOptions = {}): Promise<void> {
    await this.send("POST", `${API}/registered-models/set-tag`, { ...options, body: { name, key, value } }, "idempotent");
  }

  /**
   * Creates the next model version (max + 1). Not idempotent: retried only when the server
   * surely did not act (see `RetryMode` `create`).
   * @example `const mv = await client.createModelVersion({ name: "churn", source: \`runs:/${runId}/model\`, runId });`
   */
  async createModelVersion(version: CreateModelVersionOptions, options: RequestOptions = {}): Promise<RemoteModelVersion> {
    const body = await this.call(
      "POST",
      `${API}/model-versions/create`,
      Responses.modelVersion,
      {
        ...options,
        body: {
          name: version.name,
          source: version.source,
          tags: toKeyValues(version.tags),
          ...defined({ run_id: version.runId }),
          ...defined({ description: version.description }),
          ...defined({ run_link: version.runLink }),
          ...defined({ model_id: version.modelId }),
        },
      },
      "create",
    );
    return toModelVersion(body.model_version);
  }

  /**
   * Gets one model version (with its aliases).
   * @returns the version, or `undefined` when it does not exist or was deleted.
   * @example `const mv = await client.getModelVersion("churn", "3");`
   */
  async getModelVersion(name: string, version: string, options: RequestOptions = {}): Promise<RemoteModelVersion | undefined> {
    try {
      const body = await this.call("GET", `${API}/model-versions/get`, Responses.modelVersion, {
        ...options,
        query: { name, version },
      });
      return toModelVersion(body.model_version);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Deletes a model version. @example `await client.deleteModelVersion("churn", "3");` */
  async deleteModelVersion(name: string, version: string, options: RequestOptions = {}): Promise<void> {
    await this.send("DELETE", `${API}/model-versions/delete`, { ...options, body: { name, version } }, "idempotent");
  }

  /**
   * Updates a version's description.
   * @example `await client.updateModelVersion({ name: "churn", version: "3", description: "retrained" });`
   */
  async updateModelVersion(
    update: { readonly name: string; readonly version: string; readonly description: string },
    options: RequestOptions = {},
  ): Promise<RemoteModelVersion> {
    const body = await this.call("PATCH", `${API}/model-versions/update`, Responses.modelVersion, {
      ...options,
      body: { name: update.name, version: update.version, description: update.description },
    });
    return toModelVersion(body.model_version);
  }

  /**
   * One page of model versions. MLflow's search results carry no aliases; use
   * {@link getModelVersion} or the registered model's `aliases` for those.
   * @example `const { items } = await client.searchModelVersions({ filter: "name = 'churn'" });`
   */
  async searchModelVersions(search: SearchModelVersionsOptions = {}, options: RequestOptions = {}): Promise<Page<RemoteModelVersion>> {
    const body = await this.call("GET", `${API}/model-versions/search`, Responses.modelVersions, {
      ...options,
      query: {
        max_results: search.maxResults ?? 1000,
        filter: search.filter,
        page_token: search.pageToken,
        order_by: search.orderBy,
      },
    });
    return {
      items: (body.model_versions ?? []).map(toModelVersion),
      ...defined({ nextPageToken: body.next_page_token }),
    };
  }

  /**
   * Every model version matching `search`, following page tokens.
   * @example `for await (const mv of client.iterateModelVersions({ filter: "name = 'churn'" })) …`
   */
  iterateModelVersions(
    search: Omit<SearchModelVersionsOptions, "pageToken"> = {},
    options: RequestOptions = {},
  ): AsyncGenerator<RemoteModelVersion, void, undefined> {
    return this.paginate((pageToken) => this.searchModelVersions(pageToken === undefined ? search : { ...search, pageToken }, options));
  }

  /** Sets a model-version tag. @example `await client.setModelVersionTag("churn", "3", "semver", "1.2.0");` */
  async setModelVersionTag(name: string, version: string, key: string, value: string, options: RequestOptions = {}): Promise<void> {
    await this.send("POST", `${API}/model-versions/set-tag`, { ...options, body: { name, version, key, value } }, "idempotent");
  }

  /** Deletes a model-version tag. @example `await client.deleteModelVersionTag("churn", "3", "semver");` */
  async deleteModelVersionTag(name: string, version: string, key: string, options: RequestOptions = {}): Promise<void> {
    await this.send("DELETE", `${API}/model-versions/delete-tag`, { ...options, body: { name, version, key } }, "idempotent");
  }

  /**
   * Points `alias` at `version` (an upsert: moves it if it pointed elsewhere).
   * @example `await client.setRegisteredModelAlias("churn", "champion", "3");`
   */
  async setRegisteredModelAlias(name: string, alias: string, version: string, options: RequestOptions = {}): Promise<void> {
    await this.send("POST", `${API}/registered-models/alias`, { ...options, body: { name, alias, version } }, "idempotent");
  }

  /**
   * Removes an alias; no error when it does not exist.
   * @example `await client.deleteRegisteredModelAlias("churn", "champion");`
   */
  async deleteRegisteredModelAlias(name: string, alias: string, options: RequestOptions = {}): Promise<void> {
    await this.send("DELETE", `${API}/registered-models/alias`, { ...options, body: { name, alias } }, "idempotent");
  }

  /**
   * Resolves an alias. MLflow 3.18 answers an unknown alias with HTTP 400
   * `INVALID_PARAMETER_VALUE` "Registered model alias X not found." and an unknown model with
   * 404; both give `undefined`. An invalid alias name still throws. The reserved alias
   * `latest` resolves to the newest version.
   * @example `const champion = await client.getModelVersionByAlias("churn", "champion");`
   */
  async getModelVersionByAlias(name: string, alias: string, options: RequestOptions = {}): Promise<RemoteModelVersion | undefined> {
    try {
      const body = await this.call("GET", `${API}/registered-models/alias`, Responses.modelVersion, {
        ...options,
        query: { name, alias },
      });
      return toModelVersion(body.model_version);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      if (error instanceof ApiError && error.status === 400 && quoteAlias.test(error.message)) return undefined;
      throw error;
    }
  }
}

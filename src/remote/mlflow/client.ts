/**
 * The typed MLflow REST client. Its methods live in layers, one file per area:
 * `experiments.ts` → `runs.ts` → `registry.ts`; {@link MlflowClient} is the full client.
 *
 * @packageDocumentation
 */
import { MlflowRegistryApi } from "./registry.js";

/**
 * Typed client of an MLflow-compatible tracking server (experiments, runs, logging, metric
 * history, model registry), built on one {@link HttpClient} (any transport: axios in Node, `fetch` in the browser; this
 * module imports nothing from Node). Returns camelCase entities
 * (`RemoteRun`, `RemoteExperiment`, `RemoteModelVersion`, …) validated with zod.
 *
 * Retries: reads, experiment and registered-model creation, registry updates and run
 * delete/restore are retried on retryable failures (`isRetryable`); `createRun` and
 * `createModelVersion` only when the server surely did not act; `logBatch`, `logInputs`,
 * `updateRun`, `setTag` and `deleteTag` never (the replicator owns that loop).
 *
 * @example
 * ```ts
 * const client = new MlflowClient({ http: createFetchHttpClient({ trackingUri: "http://127.0.0.1:5000" }), ownsHttp: true });
 * const exp = await client.getOrCreateExperiment("churn");
 * const run = await client.createRun({ experimentId: exp.experimentId, runName: "baseline", startTime: Date.now() });
 * await client.logBatch(run.info.runId, { metrics: [{ key: "loss", value: 0.31, step: 1, timestamp: Date.now() }] });
 * await client.updateRun({ runId: run.info.runId, status: "FINISHED", endTime: Date.now() });
 * client.close();
 * ```
 */
export class MlflowClient extends MlflowRegistryApi {}

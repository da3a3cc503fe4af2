/**
 * MLflow as a backend: an MLflow-compatible tracking server reached over HTTP (`http:`/`https:`
 * tracking URIs). Assembles the MLflow protocol code of src/remote (transport, REST client,
 * artifact proxy, registry on model-version tags) behind the backend interface.
 */
import { BadRequestError, type MltrailError, ResourceNotFoundError } from "../../errors.js";
import { defined } from "../../internal/defined.js";
import { RUN_KEY_TAG } from "../../model/system-tags.js";
import type { ResolvedOptions } from "../../options.js";
import { AdaptiveTimeout, timedCall } from "../../remote/adaptive-timeout.js";
import { ConcurrencyLimit } from "../../remote/concurrency-limit.js";
import { WorkerSpread } from "../../remote/worker-spread.js";
import { isOverloadedStore } from "../../remote/errors.js";
import { createHttpClient } from "../../remote/http.js";
import { MlflowClient } from "../../remote/mlflow/client.js";
import { MlflowRegistry } from "../../remote/registry.js";
import type { BackendCapabilities, TrackingBackend } from "../types.js";
import { mlflowLifecycle, MlflowQueries } from "./queries.js";
import { MlflowSink } from "./sink.js";

/** What an MLflow server can do. */
export const MLFLOW_CAPABILITIES: BackendCapabilities = Object.freeze({
  replication: true,
  queries: true,
  search: true,
  registry: true,
  artifacts: true,
  readBack: true,
  appendOnly: false,
});

/**
 * The MLflow backend for a server URL (canonical, credentials already moved to `options.auth`).
 * Makes no request until the first call. @internal
 */
export function mlflowBackend(url: string, options: ResolvedOptions, onError: (error: MltrailError) => void): TrackingBackend {
  const http = createHttpClient({ ...options.auth, trackingUri: url, timeoutMs: options.requestTimeoutMs });
  const client = new MlflowClient({ http, retry: { baseMs: options.retryBaseMs, maxMs: options.retryMaxMs } });
  // No retries: creating a run at startRun must fail fast.
  const quick = new MlflowClient({ http, retry: false });
  // One estimate of the server's answer times for the run creates and every replicator's requests.
  const timeout = new AdaptiveTimeout({ floorMs: options.requestTimeoutMs });
  // ... and one limit on the requests in flight to it, shared the same way (one while it queues).
  const limit = new ConcurrencyLimit(options.maxConcurrentRequests);
  // ... and one check that a run's pipelined log-batches do not share one server worker.
  const spread = new WorkerSpread();
  // startRun waits for its run: its requests go before the replication requests waiting for a slot.
  const urgent = { limit, urgent: true };
  // Experiment ids by name, as startRun found or created them: the next run of the same
  // experiment is created with one request instead of two.
  const experimentIds = new Map<string, string>();
  return {
    kind: "mlflow",
    target: url,
    capabilities: MLFLOW_CAPABILITIES,
    sink: () => new MlflowSink(http, options.limits, timeout, limit, spread),
    queries: new MlflowQueries(client, http),
    registry: new MlflowRegistry(client, options.versionTag, onError),
    createRunNow: async (run, timeoutMs) => {
      const wait = (ms: number): number => Math.max(ms, timeoutMs);
      const lookUp = async (): Promise<string> => {
        const found = await timedCall(timeout, (ms) => quick.getOrCreateExperiment(run.experimentName, undefined, { timeoutMs: wait(ms) }), urgent);
        experimentIds.set(run.experimentName, found.experimentId);
        return found.experimentId;
      };
      const create = (experimentId: string) =>
        timedCall(
          timeout,
          (ms) =>
            quick.createRun(
              { experimentId, runName: run.name, startTime: run.startTime, tags: { [RUN_KEY_TAG]: run.runKey }, ...defined({ userId: run.user }) },
              { timeoutMs: wait(ms) },
            ),
          urgent,
        );
      const cached = experimentIds.get(run.experimentName);
      let experimentId = cached ?? (await lookUp());
      let created: Awaited<ReturnType<typeof create>>;
      try {
        created = await create(experimentId);
      } catch (error) {
        // An overloaded database says nothing about the experiment: keep its id and fail fast.
        if (isOverloadedStore(error)) throw error;
        experimentIds.delete(run.experimentName);
        // A remembered id may name an experiment deleted (or deleted for good) since: refused
        // outright, the run was not created, so look the name up again and create once more.
        if (cached === undefined || !(error instanceof BadRequestError || error instanceof ResourceNotFoundError)) throw error;
        experimentId = await lookUp();
        created = await create(experimentId);
      }
      return { runId: created.info.runId, experimentId };
    },
    lifecycle: mlflowLifecycle(client),
    runUrl: (experimentId, runId) => `${url}/#/experiments/${experimentId}/runs/${runId}`,
    close: () => http.close(),
  };
}

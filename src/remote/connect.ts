/**
 * Builds the server side of a tracker from resolved options: one HTTP transport, a client
 * for queries and one-off calls (with retries), a client without retries for the quick
 * online `startRun`, and the replicator.
 */
import type { MltrailError } from "../errors.js";
import type { Logger } from "../internal/logger.js";
import type { JournalRecord } from "../log/record.js";
import type { ResolvedOptions } from "../options.js";
import type { ApiError } from "../errors.js";
import type { ReplicationHealth } from "./health.js";
import { createHttpClient, type HttpClient } from "./http.js";
import { MlflowClient } from "./mlflow/client.js";
import { Replicator } from "./replicator.js";
import { ReplicationState } from "./replication-state.js";
import type { LocalStore } from "../store/local-store.js";

/** The server side of a tracker. @internal */
export interface RemoteSide {
  readonly target: string;
  readonly http: HttpClient;
  readonly client: MlflowClient;
  /** No retries: for calls that must fail fast, such as creating a run at `startRun`. */
  readonly quick: MlflowClient;
  readonly replicator: Replicator;
}

/** Event sinks of a remote side. @internal */
export interface RemoteEvents {
  onState(state: ReplicationHealth): void;
  onError(error: MltrailError): void;
  onRejected(info: { runId: string; seq: number; record: JournalRecord; error: ApiError }): void;
  /** The local run log, for finding the server ids of runs not in memory. */
  spool(): Promise<LocalStore>;
}

/** Connects to the server named by `options.backend` (no request is made yet). */
export function connectRemote(url: string, options: ResolvedOptions, log: Logger, events: RemoteEvents): RemoteSide {
  const http = createHttpClient({ ...options.auth, trackingUri: url, timeoutMs: options.requestTimeoutMs });
  const client = new MlflowClient({ http, retry: { baseMs: options.retryBaseMs, maxMs: options.retryMaxMs } });
  const quick = new MlflowClient({ http, retry: false });
  const replicator = new Replicator({
    http,
    limits: options.limits,
    maxConcurrentRequests: options.maxConcurrentRequests,
    intervalMs: options.replicationIntervalMs,
    retryBaseMs: options.retryBaseMs,
    retryMaxMs: options.retryMaxMs,
    downAfterFailures: 5,
    requestTimeoutMs: options.requestTimeoutMs,
    pausedProbeMs: options.authRetryMs,
    log,
    onState: events.onState,
    onError: events.onError,
    onRejected: events.onRejected,
    lookupRemoteId: async (localRunId) => {
      const store = await events.spool();
      const found = await store.findRun(localRunId);
      return found === undefined ? undefined : (await ReplicationState.load(found.paths.dir, url)).state.remoteRunId;
    },
  });
  return { target: url, http, client, quick, replicator };
}

/**
 * The replication side of a tracker with a backend that receives records: the backend and a
 * replicator over one of its sinks. Speaks only the backend interface.
 */
import type { MltrailError } from "../errors.js";
import type { Logger } from "../internal/logger.js";
import type { JournalRecord } from "../log/record.js";
import type { ResolvedOptions } from "../options.js";
import type { ApiError } from "../errors.js";
import type { TrackingBackend } from "../backends/types.js";
import type { ReplicationHealth } from "./health.js";
import { Replicator } from "./replicator.js";
import { ReplicationState } from "./replication-state.js";
import type { LocalStore } from "../store/local-store.js";

/** The replication side of a tracker. @internal */
export interface RemoteSide {
  /** The backend records go to. */
  readonly backend: TrackingBackend;
  /** Its identity (the key of each run's cursor). */
  readonly target: string;
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

/**
 * A replicator to `backend` (no request is made yet); undefined when the backend receives no
 * records (the local store).
 */
export function connectRemote(backend: TrackingBackend, options: ResolvedOptions, log: Logger, events: RemoteEvents): RemoteSide | undefined {
  if (backend.sink === undefined) return undefined;
  const target = backend.target;
  const replicator = new Replicator({
    sink: backend.sink(),
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
      return found === undefined ? undefined : (await ReplicationState.load(found.paths.dir, target)).state.remoteRunId;
    },
  });
  return { backend, target, replicator };
}

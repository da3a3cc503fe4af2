/**
 * Opening a tracker's store: the local run log, the queries (the backend's, read-your-writes
 * over the log, or the log's own), the registry, and the start-up drain that hands runs left
 * pending by earlier processes to the replicators.
 */
import { localBackend, type TrackingBackend } from "../backends/index.js";
import { MltrailError } from "../errors.js";
import type { Logger } from "../internal/logger.js";
import type { ResolvedOptions } from "../options.js";
import { LocalQueries, type Queries } from "../queries.js";
import type { RegistryStore } from "../registry/store.js";
import type { RemoteSide } from "../remote/connect.js";
import { claimPendingRuns, earlierRunsNotice } from "../remote/drain.js";
import type { FanOut } from "../remote/fan-out.js";
import { RemoteQueries } from "../remote/queries.js";
import { LocalStore } from "../store/local-store.js";

/** What a tracker opens once, at its first call that needs the store. */
export interface Core {
  readonly store: LocalStore;
  readonly queries: Queries;
  /** The backend's registry, else the local store's. */
  readonly registry: RegistryStore;
}

/** What opening the core needs from its tracker. */
export interface CoreDeps {
  readonly options: ResolvedOptions;
  readonly log: Logger;
  readonly backend: TrackingBackend | undefined;
  readonly remote: RemoteSide | undefined;
  /** The replicator, when records go to a server now (online). */
  readonly replicating: RemoteSide["replicator"] | undefined;
  /** The fan-out, when records go to further targets now (online). */
  readonly fanningOut: FanOut | undefined;
  /** The tracker's current drain (read when a query settles). */
  readonly draining: () => Promise<void>;
  /** Ids of the runs this tracker has open (the drain skips them). */
  readonly openIds: () => Set<string>;
  readonly emitError: (error: MltrailError) => void;
}

/** An error of the start-up scan, as the tracker reports it. */
function scanError(err: unknown): MltrailError {
  return err instanceof MltrailError ? err : new MltrailError(`could not scan for pending runs: ${String(err)}`);
}

/**
 * Opens the store and starts the drain (with `drainOnStart`). Resolves with the core and the
 * drain, which settles once the pending runs have been handed to the replicators.
 */
export async function openCore(deps: CoreDeps): Promise<{ core: Core; draining: Promise<void> }> {
  const { options, log, remote, emitError } = deps;
  const described = options.backend;
  const store = await LocalStore.open(described.kind === "local" ? described.root : options.spoolDir);
  store.onDamage = (error) => {
    log.error(error.message);
    emitError(error);
  };
  // Read-your-writes: the server's answers, with the log for runs the server lacks part of.
  const settle = async (): Promise<void> => {
    await deps.draining();
    await deps.replicating?.flush(options.closeTimeoutMs);
  };
  // The local store answers what the backend cannot (and everything when it is the backend).
  const local = localBackend(store, emitError);
  const own = deps.backend?.queries;
  const queries =
    remote === undefined || own === undefined
      ? new LocalQueries(store)
      : new RemoteQueries(own, store, remote.target, settle, remote.backend.capabilities.search);
  const registry = deps.backend?.registry ?? (local.registry as RegistryStore);
  let draining = deps.draining();
  if (remote !== undefined && deps.replicating !== undefined && options.drainOnStart) {
    const earlierToo = options.syncEarlierRuns === true;
    draining = claimPendingRuns(store, remote.target, { skip: deps.openIds(), earlier: earlierToo }).then(
      ({ sources, earlier }) => {
        if (sources.length > 0)
          log.info(`replicating ${sources.length} run(s) left pending by earlier processes${earlierToo ? " or logged before the server was configured" : ""}`);
        const notice = options.syncEarlierRuns === undefined ? earlierRunsNotice(earlier, remote.target, store.layout.root) : undefined;
        if (notice !== undefined) log.warn(notice);
        for (const s of sources) remote.replicator.add(s);
      },
      (err: unknown) => emitError(scanError(err)),
    );
  }
  const fanOut = deps.fanningOut;
  if (fanOut !== undefined && options.drainOnStart) {
    const previous = draining;
    draining = Promise.all([previous, fanOut.drain(store, deps.openIds())]).then(
      ([, count]) => {
        if (count > 0) log.info(`replicating ${count} run(s) left pending by earlier processes to ${fanOut.targets.join(", ")}`);
      },
      (err: unknown) => emitError(scanError(err)),
    );
  }
  return { core: { store, queries, registry }, draining };
}

/**
 * The tracker's delete and restore of runs and experiments (MLflow's lifecycle stage). The
 * local store records them itself (store/lifecycle-ops.ts). With a backend, a run this
 * machine's log holds is marked in the log first (so reads and `gc` see it at once, and the
 * change survives an outage) and then sent; any other run or experiment is changed on the
 * backend directly. Changes the backend has not received yet go with the next pass
 * ({@link syncLifecycle}: at `flush`, `close` and `mltrail sync`).
 */
import { MltrailError, NotFoundError, StateError, ValidationError } from "./errors.js";
import type { Experiment, RunViewType } from "./model/types.js";
import type { Queries } from "./queries.js";
import type { RemoteSide } from "./remote/connect.js";
import { replicateLifecycle } from "./remote/lifecycle-sync.js";
import { RUN_VIEW_TYPES } from "./store/lifecycle.js";
import { setExperimentDeleted, setRunDeleted } from "./store/lifecycle-ops.js";
import type { LocalStore } from "./store/local-store.js";

/**
 * Checks a `runViewType`/`viewType` option: one of `"ACTIVE_ONLY"`, `"DELETED_ONLY"`, `"ALL"`.
 * @default "ACTIVE_ONLY" when undefined
 */
export function checkViewType(field: string, value: unknown): RunViewType {
  if (value === undefined) return "ACTIVE_ONLY";
  if (typeof value === "string" && (RUN_VIEW_TYPES as readonly string[]).includes(value)) return value as RunViewType;
  throw new ValidationError(field, value, `must be one of ${RUN_VIEW_TYPES.join(", ")}`);
}

/** What the lifecycle calls of a tracker use. @internal */
export interface LifecycleContext {
  /** The local store, or the run log of a tracker with a backend. */
  readonly store: LocalStore;
  readonly queries: Queries & { localId?(runId: string): Promise<string | undefined> };
  /** The backend's replication side, when there is one. */
  readonly remote: RemoteSide | undefined;
  readonly now: number;
  /** Where a change that could not be sent yet is reported (it is sent by a later pass). */
  readonly onError: (error: MltrailError) => void;
}

function lifecycleOf(remote: RemoteSide): NonNullable<RemoteSide["backend"]["lifecycle"]> {
  const lifecycle = remote.backend.lifecycle;
  if (lifecycle === undefined) throw new StateError(`the ${remote.backend.kind} backend (${remote.target}) cannot delete or restore runs`);
  return lifecycle;
}

/**
 * Sends the stage of runs whose deletion or restore the backend has not received yet (all of
 * them, or `localIds`). Failures are reported, never thrown: the next pass retries.
 * @internal
 */
export async function syncLifecycle(ctx: Omit<LifecycleContext, "queries" | "now">, localIds?: readonly string[]): Promise<void> {
  const remote = ctx.remote;
  const lifecycle = remote?.backend.lifecycle;
  if (remote === undefined || lifecycle === undefined) return;
  const result = await replicateLifecycle(ctx.store, remote.target, (id, deleted) => lifecycle.setRunDeleted(id, deleted), localIds);
  for (const e of result.errors) ctx.onError(new MltrailError(`could not send a deletion or restore to ${remote.target} (sent again at the next flush): ${e}`));
}

/** Deletes (or restores) a run, on the local store or the backend. @internal */
export async function setRunStage(ctx: LifecycleContext, runId: string, deleted: boolean): Promise<void> {
  const remote = ctx.remote;
  if (remote === undefined) {
    await setRunDeleted(ctx.store, runId, deleted, ctx.now);
    return;
  }
  const lifecycle = lifecycleOf(remote);
  const localId = await ctx.queries.localId?.(runId);
  if (localId === undefined) {
    await lifecycle.setRunDeleted(runId, deleted); // NotFoundError for an unknown run
    return;
  }
  await setRunDeleted(ctx.store, localId, deleted, ctx.now);
  await syncLifecycle(ctx, [localId]);
}

/** Deletes (or restores) an experiment and its runs, on the local store or the backend. @internal */
export async function setExperimentStage(ctx: LifecycleContext, name: string, deleted: boolean): Promise<Experiment> {
  const remote = ctx.remote;
  if (remote === undefined) return setExperimentDeleted(ctx.store, name, deleted, ctx.now);
  const lifecycle = lifecycleOf(remote);
  const exp = await ctx.queries.getExperimentByName(name);
  if (exp === undefined) throw new NotFoundError(`experiment "${name}" not found on ${remote.target}`);
  if (deleted && exp.experimentId === "0") throw new ValidationError("experiment", name, "the Default experiment (id 0) cannot be deleted");
  await lifecycle.setExperimentDeleted(exp.experimentId, deleted);
  // The log's copy follows, so runs cannot start in it here either and pending runs read the same.
  if ((await ctx.store.getExperimentByName(name)) !== undefined) await setExperimentDeleted(ctx.store, name, deleted, ctx.now).catch(() => undefined);
  return (await ctx.queries.getExperimentByName(name)) ?? exp;
}

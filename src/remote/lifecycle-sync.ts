/**
 * Replicates deletions and restores of runs in a local run log to a target: a run the log
 * marks deleted (or restored) whose target copy was last told otherwise gets the change, and
 * `replication.json` remembers what the target was told (`deleted`). A run not on the
 * target yet is left for a later pass (after the replicator created it). Safe to repeat:
 * deleting or restoring twice is a no-op on MLflow.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { deletedAt, LIFECYCLE_FILE } from "../store/lifecycle.js";
import { RunPaths } from "../store/layout.js";
import type { LocalStore } from "../store/local-store.js";
import { ReplicationState } from "./replication-state.js";

/** Sets a run's stage on the target, by the target's run id. */
export type ApplyStage = (remoteRunId: string, deleted: boolean) => Promise<void>;

/** What {@link replicateLifecycle} did. */
export interface LifecycleSyncResult {
  /** Runs whose stage the target now has. */
  readonly applied: number;
  /** Runs whose stage could not be sent (not on the target yet, or the call failed). */
  readonly pending: number;
  /** Errors of failed calls (the run stays pending). */
  readonly errors: readonly string[];
}

/**
 * Sends the lifecycle stage of every run of `store` whose target copy differs, or only of
 * `runIds` (local ids). Never throws for a failed call: the run stays pending and the error
 * is counted.
 */
export async function replicateLifecycle(store: LocalStore, target: string, apply: ApplyStage, runIds?: readonly string[]): Promise<LifecycleSyncResult> {
  let applied = 0;
  let pending = 0;
  const errors: string[] = [];
  for (const exp of await store.listExperiments()) {
    // Only experiments whose runs were ever deleted or restored have a lifecycle log.
    if (!fs.existsSync(path.join(store.layout.experimentDir(exp.experimentId), LIFECYCLE_FILE))) continue;
    const stage = store.lifecycle.state(exp.experimentId);
    const ids = runIds ?? (await fsp.readdir(store.layout.runsDir(exp.experimentId)).catch(() => [] as string[]));
    for (const runId of ids) {
      const paths = new RunPaths(store.layout.runDir(exp.experimentId, runId));
      if (!fs.existsSync(paths.meta)) continue;
      const deleted = deletedAt(stage, runId) !== undefined;
      const state = await ReplicationState.load(paths.dir, target);
      if (!state.bound || (state.state.deleted === true) === deleted) continue;
      const remoteId = state.state.remoteRunId;
      if (remoteId === undefined) {
        pending++;
        continue;
      }
      try {
        await apply(remoteId, deleted);
        state.state.deleted = deleted;
        await state.save();
        applied++;
      } catch (err) {
        pending++;
        errors.push(`run ${runId}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return { applied, pending, errors };
}

/**
 * The browser tracker's model registry: the Node registry's calls, semver rules and release
 * record (`Models`, src/models.ts) on the MLflow server's registry (`MlflowRegistry`, the
 * same tags as Node's). A release records the run's params and metrics as the server has
 * them, so it first waits until the server has acknowledged every record of the run this
 * page logged: a release made right after `run.end()` never records `params {}`.
 */
import { StateError, type MltrailError } from "../errors.js";
import { Models } from "../models.js";
import { MlflowClient } from "../remote/mlflow/client.js";
import { runDatasetsOf } from "../remote/mlflow/convert.js";
import { MlflowRegistry } from "../remote/registry.js";
import type { Core } from "./core.js";

/**
 * The server id of a run whose records are all on the server. `runId` is the run's id as
 * this page knows it (`run.id`: the server's id, or its run key while the server had not
 * created it yet). Waits up to `timeoutMs` for replication.
 */
async function settledRunId(core: Core, runId: string, timeoutMs: number): Promise<string> {
  await core.commit.flush();
  const sender = core.pump.find(runId);
  if (sender !== undefined) {
    if (sender.pending > 0 || sender.doc.remoteRunId === undefined) await core.pump.flush(timeoutMs);
    if (sender.pending > 0 || sender.doc.remoteRunId === undefined)
      throw new StateError(
        `run "${runId}" has ${sender.pending} record(s) the server has not acknowledged after ${timeoutMs} ms, and a release must record the run as logged: retry once replication is UP (tracker.flush())`,
      );
    return sender.doc.remoteRunId;
  }
  const doc = await core.store.doc(runId); // a run key of a run this page no longer sends
  if (doc === undefined) return runId; // not logged from this origin: the server has it as it is
  if (doc.remoteRunId === undefined || (doc.done !== true && doc.ackedSeq < doc.seq))
    throw new StateError(`run "${runId}" is still being sent to the server (by another tab, or at the next page load): retry once it is acknowledged`);
  return doc.remoteRunId;
}

/** Registry calls of a browser tracker: releases read the run from the server once it has all of it. @internal */
export function browserModels(core: Core, report: (error: MltrailError) => void): Models {
  const client = new MlflowClient({ http: core.http });
  const store = new MlflowRegistry(client, core.options.versionTag, report);
  const serverId = (runId: string): Promise<string> => settledRunId(core, runId, core.options.closeTimeoutMs);
  return new Models({
    store: async () => store,
    getRun: async (runId) => client.getRun(await serverId(runId)),
    runDatasets: async (runId) => runDatasetsOf(await client.getRun(await serverId(runId))),
    requireRationale: false,
    namePolicy: undefined,
    clock: Date.now,
    user: () => "unknown",
  });
}

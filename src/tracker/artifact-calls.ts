/** The tracker's reads of a run's artifacts, and lineage (model version → run → datasets → code). */
import { checkArtifactPath } from "../artifacts/paths.js";
import { NotFoundError, ValidationError } from "../errors.js";
import { buildLineage, parseLineageTarget, type Lineage, type LineageTarget } from "../lineage.js";
import { checkFunction, checkOptions } from "../model/args.js";
import { checkRunId, checkString } from "../model/validate.js";
import type { ModelVersion } from "../models.js";
import { checkDownloadDest, type ArtifactEntry, type DownloadProgress } from "../store/artifact-queries.js";
import { getRun, runDatasets } from "./run-queries.js";
import type { TrackerSession } from "./session.js";

/** See `Tracker.listArtifacts`. */
export async function listArtifacts(session: TrackerSession, runId: string, path?: string): Promise<ArtifactEntry[]> {
  checkRunId("runId", runId);
  session.runs.commitOpen(runId);
  return (await session.core()).queries.listArtifacts(runId, path === undefined ? undefined : checkArtifactPath(path, "path"));
}

/** See `Tracker.downloadArtifacts`. */
export async function downloadArtifacts(
  session: TrackerSession,
  runId: string,
  path: string,
  dest: string,
  options: { readonly onProgress?: DownloadProgress },
): Promise<string> {
  checkRunId("runId", runId);
  checkString("dest", dest);
  if (checkOptions<{ onProgress?: unknown }>("options", options).onProgress !== undefined) checkFunction("options.onProgress", options.onProgress);
  session.runs.commitOpen(runId);
  const rel = path === "" ? "" : checkArtifactPath(path, "path");
  return (await session.core()).queries.downloadArtifacts(runId, rel, await checkDownloadDest(dest), options.onProgress);
}

/** See `Tracker.lineage`; `getModelVersion` resolves a model ref as the tracker does. */
export async function lineage(
  session: TrackerSession,
  getModelVersion: (name: string, ref: string | undefined) => Promise<ModelVersion>,
  target: LineageTarget,
): Promise<Lineage> {
  const parsed = parseLineageTarget(target);
  let modelVersion: ModelVersion | undefined;
  let runId: string;
  if (parsed.kind === "run") runId = parsed.runId;
  else {
    modelVersion = await getModelVersion(parsed.name, parsed.ref).catch((err: unknown) => {
      throw parsed.looksLikeRunId && err instanceof NotFoundError
        ? new NotFoundError(`${err.message} (for a run's lineage, pass { runId })`, { cause: err })
        : err;
    });
    if (modelVersion.runId === undefined) throw new ValidationError("target", target, "this model version records no run");
    runId = modelVersion.runId;
  }
  const [run, datasets] = await Promise.all([getRun(session, runId), runDatasets(session, runId)]);
  return buildLineage(run, datasets, modelVersion);
}

/**
 * Opening and finishing one run: the local folder, lock and journal; with a server, the
 * quick online create and the replication source.
 */
import { ConflictError, MltrailError, PermissionDeniedError } from "./errors.js";
import { withAuthHint } from "./remote/auth-hint.js";
import { appliedNothing } from "./remote/errors.js";
import type { RunLog } from "./log/run-log.js";
import { ReplicationState } from "./remote/replication-state.js";
import type { RunSource } from "./remote/run-replicator.js";
import { Run } from "./run.js";
import { contextTags, initialTags, planRun, runName } from "./start-run.js";
import type { RunMeta } from "./store/meta.js";
import { LiveFold } from "./store/index/live-fold.js";
import { endRun, LockHandoff, openRunLog, writeStartMeta, type OpenRun, type OpenRunInput } from "./open-run-base.js";
import { resumeRun } from "./resume-run.js";
import { defined } from "./internal/defined.js";
import { checkExperimentActive } from "./store/lifecycle-ops.js";

export type { OpenRun, OpenRunInput } from "./open-run-base.js";

/** A run created on the backend: its id and its experiment's id there. */
type CreatedRun = { readonly runId: string; readonly experimentId: string };

/** How long `startRun` waits for the backend's run before it starts the run locally, ms. */
const START_WAIT_MS = 10_000;

/**
 * Creates the run on the backend at once. `startRun` waits for the answer at most
 * min(requestTimeoutMs, 10 s): a server that has not answered by then (a queue of other
 * trainers' requests) starts the run locally, and the request goes on. Its answer, when it
 * comes, binds the run to the server's run (`pending`): the replicator awaits it rather than
 * guessing whether a create is still in the server's queue. A failure or an answer within the
 * wait is as before: undefined (the run starts locally) or, for a 403 or a deleted experiment,
 * thrown (a run started anyway would only pile up records the backend refuses).
 */
async function createOnline(
  input: OpenRunInput,
  experiment: string,
  name: string,
  startTime: number,
  user: string | undefined,
): Promise<{ online?: CreatedRun; pending?: Promise<CreatedRun | "refused" | undefined>; refused?: true }> {
  const create = input.remote?.backend.createRunNow;
  if (create === undefined) return {};
  const report = (err: unknown): void =>
    input.onError(err instanceof MltrailError ? err : new MltrailError(`could not create the run on ${input.remote?.target}: ${String(err)}`, { cause: err }));
  const request = create({ experimentName: experiment, name, startTime, runKey: input.runKey, user }, input.options.requestTimeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<"waited">((resolve) => {
    timer = setTimeout(() => resolve("waited"), Math.min(input.options.requestTimeoutMs, START_WAIT_MS));
  });
  try {
    const answer = await Promise.race([request, waited]);
    if (answer !== "waited") return { online: answer };
    const pending = request.catch((err: unknown) => {
      report(err);
      return appliedNothing(err) ? ("refused" as const) : undefined;
    });
    return { pending };
  } catch (err) {
    if (err instanceof PermissionDeniedError) throw withAuthHint(err, experiment, "startRun");
    if (err instanceof ConflictError) throw err; // the experiment is deleted there: a run started anyway could never be sent
    report(err);
    // Refused outright: no run can land from it, so the replicator creates it without waiting.
    return appliedNothing(err) ? { refused: true } : {};
  } finally {
    clearTimeout(timer);
  }
}

/** Opens a new run (or resumes one: see resume-run.ts): nothing is stored unless every option is valid. @internal */
export async function openRun(input: OpenRunInput): Promise<OpenRun> {
  const { options, store, clock } = input;
  const plan = planRun(input.request, options);
  if (plan.resume !== undefined) return resumeRun(input, { ...plan, resume: plan.resume });
  const experiment = await store.getOrCreateExperiment(plan.experiment, clock());
  checkExperimentActive(experiment);
  const startTime = clock();
  const context = await contextTags(options);
  // Only a name made from a template with {seq} needs the experiment's run count.
  const seq = plan.name === undefined && options.runNameTemplate.includes("{seq") ? (await store.countRuns(experiment.experimentId)) + 1 : 0;
  const name = runName(plan, options, { runId: input.runKey, startTime, seq, context });
  const user = context["mlflow.user"];
  const { online, pending, refused } = await createOnline(input, plan.experiment, name, startTime, user);
  const runId = online?.runId ?? input.runKey;
  const meta: RunMeta = {
    format: "mltrail-run",
    version: 1,
    runId,
    runKey: input.runKey,
    experimentId: experiment.experimentId,
    name,
    startTime,
    status: "RUNNING",
    ...defined({ parentRunId: plan.parentRunId }),
    ...defined({ description: plan.description }),
    ...defined({ user }),
  };
  const paths = await store.createRunDir(experiment.experimentId, runId);
  let opened: RunLog | undefined;
  const live = new LiveFold();
  let state: ReplicationState | undefined;
  try {
    opened = await openRunLog(input, paths, runId, live);
    await writeStartMeta(store, paths, meta, opened, options.durability);
    if (input.target !== undefined) {
      // Saved even offline: the run is bound for this server, and a later tracker sends it.
      const bound = await ReplicationState.load(paths.dir, input.target);
      if (input.remote !== undefined) {
        state = bound;
        if (online !== undefined) Object.assign(bound.state, { remoteRunId: online.runId, remoteExperimentId: online.experimentId });
        else Object.assign(bound.state, refused ? { createAttempted: false } : { createAttempted: true, createAttemptedAt: Date.now() });
      }
      await bound.save();
    }
  } catch (err) {
    // A start that fails (a full disk) leaves nothing behind: no folder, lock or temp file.
    try {
      opened?.closeSync();
    } catch {
      // Nothing was queued; the folder goes anyway.
    }
    await store.removeRunDir(runId, paths);
    throw err;
  }
  const log = opened;
  const run = new Run({
    id: runId,
    experimentId: experiment.experimentId,
    name,
    startTime,
    writer: log.writer,
    host: input.host,
    artifactsDir: paths.artifacts,
    live,
  });
  const handoff = new LockHandoff(log);
  const source: RunSource | undefined =
    state === undefined
      ? undefined
      : {
          runId,
          runKey: input.runKey,
          runDir: paths.dir,
          journalDir: paths.journal,
          experimentName: plan.experiment,
          name,
          startTime,
          user,
          writtenSeq: () => log.writer.writtenSeq,
          state,
          ...defined({ pendingCreate: pending }),
          release: handoff.release,
        };
  return {
    run,
    log,
    paths,
    meta,
    baseSeq: log.writer.seq,
    state,
    source,
    begin() {
      run.setTags(initialTags(plan, name, context));
      run.logParams(plan.params);
    },
    finish(status, endTime) {
      const close = (): Promise<boolean> => handoff.close(source !== undefined, () => input.onCommit(runId));
      return endRun(store, paths, meta, live, close, () => log.writer.seq, status, endTime);
    },
  };
}

/** `tracker.startRun`: resolving `resume: "auto"`, opening the run, and attaching it to replication and add-ons. */
import { v7 as uuidv7 } from "uuid";
import { registerExitParticipant } from "../internal/exit-hooks.js";
import { openRun } from "../open-run.js";
import { resolveAutoResume } from "../resume-auto.js";
import { attachAddons } from "../run-addons.js";
import type { Run } from "../run.js";
import type { StartRunOptions } from "../start-run.js";
import type { TrackerSession } from "./session.js";

/** See `Tracker.startRun`. */
export async function startRun(session: TrackerSession, request: StartRunOptions): Promise<Run> {
  const { store } = await session.core();
  const options = await resolveAutoResume(store, request, session.options.experiment);
  const resume = (options as { resume?: unknown } | null)?.resume;
  const replicating = session.replicating;
  if (typeof resume === "string" && replicating !== undefined) {
    // A crashed run of this log that the start-up drain is still sending holds its lock: let it finish first.
    await session.draining;
    if (replicating.holds(resume)) await replicating.flush(session.options.closeTimeoutMs);
  }
  const entry = await openRun({
    options: session.options,
    store,
    remote: session.replicating === undefined ? undefined : session.remote,
    target: session.remote?.target,
    clock: session.clock,
    runKey: uuidv7().replace(/-/g, ""),
    request: options,
    host: session.host,
    onError: (error) => {
      session.log.error(error.message);
      session.emitError(error);
    },
    onCommit: (runId) => {
      session.replicating?.notify(runId);
      session.fanningOut?.notify(runId);
    },
  });
  session.runs.add(entry);
  if (session.remote !== undefined)
    session.log.debug(
      entry.run.url === undefined
        ? `run "${entry.run.name}" started locally; ${session.remote.target} gets it once it answers`
        : `run "${entry.run.name}": ${entry.run.url}`,
    );
  if (session.options.handleExit && session.runs.size === 1) registerExitParticipant(session.exitParticipant);
  if (entry.source !== undefined) session.replicating?.add(entry.source);
  await session.fanningOut?.attach(entry, (await store.getExperiment(entry.meta.experimentId)).name);
  entry.begin();
  attachAddons(entry.run, session.options, options);
  return entry.run;
}

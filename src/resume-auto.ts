/**
 * `startRun({ name, resume: "auto" })`: continue the previous run of that name in this run log
 * when its process died without ending it, otherwise start a new run (W&B's `resume="auto"`).
 */
import { ValidationError } from "./errors.js";
import { LocalQueries } from "./queries.js";
import type { StartRunOptions } from "./start-run.js";
import type { LocalStore } from "./store/local-store.js";

/** A filter on the run name, when the name can be quoted (the syntax has no escapes). */
function nameFilter(name: string): string | undefined {
  if (!name.includes("'")) return `attributes.run_name = '${name}'`;
  if (!name.includes('"')) return `attributes.run_name = "${name}"`;
  return undefined;
}

/**
 * Turns `resume: "auto"` into either `resume: <id of the crashed run>` or a new run's options.
 * Only the newest run of the name counts: a crashed one is resumed, an ended one is left alone.
 * @internal
 */
export async function resolveAutoResume(store: LocalStore, options: StartRunOptions, defaultExperiment: string): Promise<StartRunOptions> {
  if (typeof options !== "object" || options === null || options.resume !== "auto") return options;
  const { resume: _auto, ...fresh } = options;
  if (typeof options.name !== "string" || options.name.length === 0)
    throw new ValidationError("startRun options.name", options.name, 'is required with resume: "auto": the run name is what finds the run to continue');
  const experiment = options.experiment ?? defaultExperiment;
  if ((await store.getExperimentByName(experiment)) === undefined) return fresh;
  const filter = nameFilter(options.name);
  const runs = await new LocalQueries(store).searchRuns([experiment], {
    orderBy: ["attributes.start_time DESC"],
    maxResults: filter === undefined ? 50_000 : 1000,
    ...(filter === undefined ? {} : { filter }),
  });
  const previous = runs.find((r) => r.info.name === options.name);
  if (previous?.info.crashed !== true) return fresh;
  const { name: _n, experiment: _e, parentRunId: _p, description: _d, ...rest } = fresh;
  return { ...rest, resume: previous.info.runId };
}

/**
 * Everything `startRun` decides before it touches the disk or the network: options checked
 * in full (so a bad param leaves no run behind), the name, the tags to set first.
 */
import { checkNamePolicy, renderName } from "./capture/naming.js";
import { captureContextTags } from "./capture/tags.js";
import { ValidationError } from "./errors.js";
import { MLFLOW_LIMITS } from "./model/limits.js";
import type { NestedParams, ParamValue } from "./model/types.js";
import { flattenParams } from "./model/flatten-params.js";
import { checkKey, checkName, checkParamValue, checkRecord, checkRunId, checkTagValue } from "./model/validate.js";
import type { ResolvedOptions } from "./options.js";
import { defined } from "./internal/defined.js";
import { checkCaptureConsole, checkSystemMetrics, type ConsoleCaptureOptions, type SystemMetricsOptions } from "./run-addons.js";

/**
 * Options of `startRun` and `withRun`.
 * @example `{ name: "baseline", params: { lr: 1e-3 }, tags: { team: "growth" } }`
 */
export interface StartRunOptions {
  /** Run name. @default rendered from the `runNameTemplate` option */
  readonly name?: string;
  /** Experiment name. @default the tracker's `experiment` option */
  readonly experiment?: string;
  /** Params logged at start; nested objects are flattened with `.` as in `logParams`. @default none */
  readonly params?: NestedParams;
  /** Tags set at start. @default none */
  readonly tags?: Readonly<Record<string, string>>;
  /** Parent run id for nested runs (tag `mlflow.parentRunId`). @default none */
  readonly parentRunId?: string;
  /** Description (tag `mlflow.note.content`). @default none */
  readonly description?: string;
  /**
   * Id of a run logged earlier, to continue it: a finished, failed or crashed (KILLED) run of
   * the local store, or, with a server, a run of this run log bound for it or a run that is
   * only on the server (logged on another machine: it is read from the server first). New
   * records append to its history (`run.lastStep(key)` tells where steps continue); its status
   * is RUNNING again until it ends anew, with the new status and end time. Combines with
   * `params` and `tags` only (the run keeps its name, experiment, parent and description). A
   * run another process holds is a {@link ConflictError}; an unknown id a
   * {@link NotFoundError}; a deleted run a {@link StateError}.
   *
   * `"auto"` (with `name`) continues the newest run of that name in this run log's experiment
   * when its process died without ending it (`crashed`), and otherwise starts a new run with
   * every option given: run the same script again after a crash and it picks up where it
   * stopped. Runs logged on other machines are not considered. @default none (a new run)
   * @example `await tracker.startRun({ resume: "0190a1b2c3d4e5f6" })`
   * @example `await tracker.startRun({ name: "nightly", resume: "auto", params: { lr: 1e-3 } })`
   */
  readonly resume?: string;
  /**
   * System metrics for this run, over the tracker's `systemMetrics` option: `true` samples
   * every 10 s (MLflow's default), `{ intervalMs }` sets the period, `false` turns them off.
   * @default the tracker's `systemMetrics` (off)
   * @example `await tracker.startRun({ systemMetrics: { intervalMs: 5000 } })`
   */
  readonly systemMetrics?: boolean | SystemMetricsOptions;
  /**
   * Console capture for this run, over the tracker's `captureConsole` option: stdout and stderr
   * stored as `console/output*.log`, secrets masked, at most `maxBytes`.
   * @default the tracker's `captureConsole` (off)
   * @example `await tracker.startRun({ captureConsole: true })`
   */
  readonly captureConsole?: boolean | ConsoleCaptureOptions;
}

const KNOWN = new Set(["name", "experiment", "params", "tags", "parentRunId", "description", "resume", "systemMetrics", "captureConsole"]);
/** Options a resumed run keeps from its first start. */
const NOT_WITH_RESUME = ["name", "experiment", "parentRunId", "description"] as const;

/** A checked `startRun` request. @internal */
export interface RunPlan {
  readonly experiment: string;
  readonly name: string | undefined;
  readonly parentRunId: string | undefined;
  readonly description: string | undefined;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly tags: Readonly<Record<string, string>>;
  /** Id of the run to continue, when resuming. */
  readonly resume: string | undefined;
}

/** Checks every field of `startRun` options; throws ValidationError naming the first bad one. @internal */
export function planRun(options: unknown, resolved: ResolvedOptions): RunPlan {
  const opts = checkRecord("startRun options", options === undefined ? {} : options) as StartRunOptions;
  for (const key of Object.keys(opts)) {
    if (!KNOWN.has(key))
      throw new ValidationError(
        `startRun options.${key}`,
        (opts as Record<string, unknown>)[key],
        "is not a known option (name, experiment, params, tags, parentRunId, description, resume, systemMetrics, captureConsole)",
      );
  }
  checkSystemMetrics("startRun options.systemMetrics", opts.systemMetrics);
  checkCaptureConsole("startRun options.captureConsole", opts.captureConsole);
  if (opts.resume !== undefined) {
    checkRunId("resume", opts.resume);
    for (const key of NOT_WITH_RESUME) {
      if (opts[key] !== undefined)
        throw new ValidationError(`startRun options.${key}`, opts[key], "cannot be combined with resume: a resumed run keeps the one it started with");
    }
  }
  const experiment = checkName("experiment name", opts.experiment ?? resolved.experiment, MLFLOW_LIMITS.experimentNameLength);
  checkNamePolicy("experiment", experiment, resolved.namePolicy.experiment);
  if (opts.name !== undefined) {
    checkName("run name", opts.name, MLFLOW_LIMITS.runNameLength);
    checkNamePolicy("run", opts.name, resolved.namePolicy.run);
  }
  if (opts.parentRunId !== undefined) checkRunId("parentRunId", opts.parentRunId);
  if (opts.description !== undefined) checkTagValue("mlflow.note.content", opts.description, MLFLOW_LIMITS.tagValueLength, "description");
  const params = flattenParams(checkRecord("params", opts.params === undefined ? {} : opts.params)) as Readonly<Record<string, ParamValue>>;
  for (const [k, v] of Object.entries(params)) {
    checkKey("param", k);
    checkParamValue(k, v);
  }
  const tags = checkRecord("tags", opts.tags === undefined ? {} : opts.tags) as Readonly<Record<string, string>>;
  for (const [k, v] of Object.entries(tags)) {
    checkKey("tag", k);
    checkTagValue(k, v);
  }
  return { experiment, name: opts.name, parentRunId: opts.parentRunId, description: opts.description, params, tags, resume: opts.resume };
}

/** Reproducibility tags, unless turned off. @internal */
export async function contextTags(resolved: ResolvedOptions): Promise<Record<string, string>> {
  return resolved.captureContext ? captureContextTags({ cwd: resolved.cwd }) : {};
}

/** The run's name: given, or rendered from the template. @internal */
export function runName(
  plan: RunPlan,
  resolved: ResolvedOptions,
  vars: { runId: string; startTime: number; seq: number; context: Readonly<Record<string, string>> },
): string {
  const c = vars.context;
  const name =
    plan.name ??
    renderName(resolved.runNameTemplate, {
      experiment: plan.experiment,
      date: new Date(vars.startTime),
      seq: vars.seq,
      runId: vars.runId,
      ...defined({ user: c["mlflow.user"] }),
      ...defined({ branch: c["mlflow.source.git.branch"] }),
      ...defined({ commit: c["mlflow.source.git.commit"] }),
    });
  checkName("run name", name, MLFLOW_LIMITS.runNameLength);
  checkNamePolicy("run", name, resolved.namePolicy.run);
  return name;
}

/** Tags set first on a new run. @internal */
export function initialTags(plan: RunPlan, name: string, context: Readonly<Record<string, string>>): Record<string, string> {
  return {
    ...context,
    "mlflow.runName": name,
    ...defined({ "mlflow.parentRunId": plan.parentRunId }),
    ...defined({ "mlflow.note.content": plan.description }),
    ...plan.tags,
  };
}

/**
 * What `startRun` does in a page: options checked in full (so a bad param leaves no run
 * behind), a new run's first records, and continuing a run of an earlier page load (`resume`).
 *
 * @packageDocumentation
 */
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { JournalRecord } from "../log/record.js";
import { MLFLOW_LIMITS } from "../model/limits.js";
import { MLFLOW_TAGS } from "../model/system-tags.js";
import { flattenParams } from "../model/flatten-params.js";
import type { ParamValue } from "../model/types.js";
import { checkKey, checkName, checkParamValue, checkRecord, checkRunId, checkTagValue, keyLabel } from "../model/validate.js";
import type { Core } from "./core.js";
import type { ResolvedBrowserOptions } from "./options.js";
import type { RunDoc } from "./store.js";

/**
 * Options of `startRun` and `withRun` in the browser (the Node SDK's, less the Node-only
 * system metrics and console capture).
 * @example `{ name: "fit", params: { lr: 1e-3 }, resume: "auto" }`
 */
export interface StartRunOptions {
  /** Run name. @default `run-<date>-<time>` */
  readonly name?: string;
  /** Experiment name. @default the tracker's `experiment` option */
  readonly experiment?: string;
  /** Params logged at start; nested objects are flattened with `.`. @default none */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Tags set at start. @default none */
  readonly tags?: Readonly<Record<string, string>>;
  /** Parent run id (a run of this tracker: its `id` or `key`) for nested runs. @default none */
  readonly parentRunId?: string;
  /** Description (tag `mlflow.note.content`). @default none */
  readonly description?: string;
  /**
   * Continue a run of an earlier page load (or of a tab that went away) instead of starting
   * one: its `key` or `id`. New records append to it (`run.lastStep(key)` tells where steps
   * continue) and it is RUNNING again until it ends anew. Combines with `params` and `tags`
   * only. A run that another open tab is logging is a {@link ConflictError}; an unknown one a
   * {@link NotFoundError}.
   *
   * `"auto"` (with `name`): continue the newest run of that name in this browser's run log
   * that was not ended by the page (it was reloaded, closed or crashed), else start a new run:
   * a page that calls `startRun({ name, resume: "auto" })` on load picks up after a reload.
   * @default none (a new run)
   * @example `await tracker.startRun({ name: "fit", resume: "auto" })`
   */
  readonly resume?: string;
}

const KNOWN = new Set(["name", "experiment", "params", "tags", "parentRunId", "description", "resume"]);
const NOT_WITH_RESUME = ["experiment", "parentRunId", "description"] as const;
/** How long an explicit resume waits for a tab that is still sending the run. */
const RESUME_WAIT_MS = 10_000;

/** A checked `startRun` request. @internal */
export interface BrowserRunPlan {
  readonly experiment: string;
  readonly name: string | undefined;
  readonly parentRunId: string | undefined;
  readonly description: string | undefined;
  readonly params: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly resume: string | undefined;
}

/** Checks every field of `startRun` options. @internal */
export function planBrowserRun(options: unknown, resolved: ResolvedBrowserOptions): BrowserRunPlan {
  const opts = checkRecord("startRun options", options === undefined ? {} : options) as StartRunOptions;
  for (const key of Object.keys(opts)) {
    if (!KNOWN.has(key))
      throw new ValidationError(`startRun options.${key}`, (opts as Record<string, unknown>)[key], `is not a known option (${[...KNOWN].join(", ")})`);
  }
  if (opts.resume !== undefined) {
    if (opts.resume !== "auto") checkRunId("resume", opts.resume);
    else if (opts.name === undefined)
      throw new ValidationError("startRun options.resume", "auto", "needs a name: the run continued is the newest of that name");
    for (const key of NOT_WITH_RESUME) {
      if (opts[key] !== undefined)
        throw new ValidationError(`startRun options.${key}`, opts[key], "cannot be combined with resume: a resumed run keeps the one it started with");
    }
    if (opts.resume !== "auto" && opts.name !== undefined)
      throw new ValidationError("startRun options.name", opts.name, "cannot be combined with resume: a resumed run keeps its name");
  }
  const experiment = checkName("experiment name", opts.experiment ?? resolved.experiment, MLFLOW_LIMITS.experimentNameLength);
  if (opts.name !== undefined) checkName("run name", opts.name, MLFLOW_LIMITS.runNameLength);
  if (opts.parentRunId !== undefined) checkRunId("parentRunId", opts.parentRunId);
  if (opts.description !== undefined) checkTagValue(MLFLOW_TAGS.noteContent, opts.description, MLFLOW_LIMITS.tagValueLength, "description");
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(flattenParams(checkRecord("params", opts.params ?? {})))) {
    checkKey("param", k);
    params[k] = checkParamValue(k, v as ParamValue);
  }
  const tags = checkRecord("tags", opts.tags ?? {}) as Readonly<Record<string, string>>;
  for (const [k, v] of Object.entries(tags)) {
    checkKey("tag", k);
    checkTagValue(k, v);
  }
  return { experiment, name: opts.name, parentRunId: opts.parentRunId, description: opts.description, params, tags, resume: opts.resume };
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** Records for params and tags, numbered from `afterSeq + 1`; params already logged with another value are a ConflictError. @internal */
export function startRecords(
  doc: RunDoc,
  params: Readonly<Record<string, string>>,
  tags: Readonly<Record<string, string>>,
  afterSeq: number,
  ts: number,
): JournalRecord[] {
  const out: JournalRecord[] = [];
  let s = afterSeq;
  for (const [k, v] of Object.entries(tags)) out.push({ s: ++s, t: "t", k, v, ts });
  for (const [k, v] of Object.entries(params)) {
    const previous = doc.params[k];
    if (previous === v) continue;
    if (previous !== undefined)
      throw ConflictError.of(`param ${keyLabel(k)} value`, v, `params are immutable: already logged as ${JSON.stringify(previous.slice(0, 60))}`);
    out.push({ s: ++s, t: "p", k, v, ts });
  }
  return out;
}

/** A new run's document and first records. @internal */
export async function newRun(core: Core, plan: BrowserRunPlan, now: number): Promise<{ doc: RunDoc; records: JournalRecord[] }> {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const rk = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const d = new Date(now);
  const name =
    plan.name ?? `run-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
  const doc: RunDoc = {
    rk,
    server: core.options.server,
    experiment: plan.experiment,
    name,
    startTime: now,
    seq: 0,
    ackedSeq: 0,
    rejected: 0,
    params: {},
    steps: {},
    touchedAt: now,
  };
  const parent = plan.parentRunId === undefined ? undefined : await parentKey(core, plan.parentRunId);
  const source = (globalThis as { location?: { origin?: string; pathname?: string } }).location;
  const tags: Record<string, string> = {
    [MLFLOW_TAGS.runName]: name,
    ...(source?.origin === undefined ? {} : { [MLFLOW_TAGS.sourceName]: `${source.origin}${source.pathname ?? ""}` }),
    ...(parent === undefined ? {} : { [MLFLOW_TAGS.parentRunId]: parent }),
    ...(plan.description === undefined ? {} : { [MLFLOW_TAGS.noteContent]: plan.description }),
    ...plan.tags,
  };
  return { doc, records: startRecords(doc, plan.params, tags, 0, now) };
}

/** The run key of a parent given by id or key; a server id not in this run log is kept as is. */
async function parentKey(core: Core, id: string): Promise<string | undefined> {
  const docs = await core.store.runs(core.options.server);
  const doc = docs.find((d) => d.rk === id || d.remoteRunId === id);
  return doc === undefined ? id : (doc.remoteRunId ?? doc.rk);
}

/**
 * The run a `resume` continues, its lock taken (or handed over by this page's drain). For
 * `"auto"`, undefined when there is none to continue.
 * @internal
 */
export async function runToResume(core: Core, plan: BrowserRunPlan): Promise<RunDoc | undefined> {
  const docs = (await core.store.runs(core.options.server)).filter((d) => d.experiment === plan.experiment || plan.resume !== "auto");
  let doc: RunDoc | undefined;
  if (plan.resume === "auto") {
    doc = docs
      .filter((d) => d.name === plan.name && (d.ended !== true || d.crashed === true) && !core.own.has(d.rk))
      .sort((a, b) => b.startTime - a.startTime)[0];
    if (doc === undefined) return undefined;
  } else {
    doc = docs.find((d) => d.rk === plan.resume || d.remoteRunId === plan.resume);
    if (doc === undefined) throw new NotFoundError(`resume: no run ${JSON.stringify(plan.resume)} in this browser's run log for ${core.options.server}`);
  }
  const rk = doc.rk;
  if (core.own.has(rk)) throw ConflictError.of("resume", plan.resume, "is a run this page is logging: use its Run handle");
  core.resuming.add(rk);
  await core.claiming.get(rk); // this page's drain may be ending it KILLED right now
  const live = core.pump.doc(rk);
  if (live !== undefined) return live; // this page's drain holds it: take it over
  const held = await core.locks.take(rk, plan.resume === "auto" ? RESUME_WAIT_MS / 5 : RESUME_WAIT_MS);
  if (!held) {
    core.resuming.delete(rk);
    core.watch(rk); // the request goes on: if it is granted later, the run is sent from here
    if (plan.resume === "auto") return undefined;
    throw ConflictError.of("resume", plan.resume, "is being logged in another tab (its Web Lock is held)");
  }
  const fresh = (await core.store.doc(rk)) ?? doc;
  fresh.seq = Math.max(fresh.seq, await core.store.lastSeq(rk));
  return core.pump.doc(rk) ?? fresh;
}

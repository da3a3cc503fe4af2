/**
 * An A/B test's record: the run params (`ab.*`) and tag (`mltrail.ab.key`) that freeze its
 * configuration, the check of the options that create it, and finding its runs.
 */
import { ValidationError } from "../errors.js";
import type { ModelReader, RunReader, RunStarter } from "../tracker-api.js";
import type { AbTestConfig, AbTestOptions, AbVariant } from "./types.js";

/** What reading an A/B test (`openAbTest`, analysis) needs of a tracker: searches and histories only. @example `openAbTest(tracker, "churn-1.1")` */
export type AbReader = Pick<RunReader, "getExperimentByName" | "searchRuns" | "getMetricHistory">;
/** What an A/B test needs of a tracker (a `Tracker` is one). @example `createAbTest(tracker, options)` */
export type AbTracker = AbReader & Pick<ModelReader, "getModelVersion"> & RunStarter;

/** Tag marking a run as an A/B test's record; its value is the test key. @example `tags.mltrail.ab.key = 'churn-1.1'` */
export const AB_KEY_TAG = "mltrail.ab.key";
/** Default experiment of A/B test runs. @example `AB_DEFAULT_EXPERIMENT // "ab-tests"` */
export const AB_DEFAULT_EXPERIMENT = "ab-tests";

const KEY_RE = /^[A-Za-z0-9_.-]{1,100}$/;

export function checkConfigSpec(opts: AbTestOptions): void {
  if (typeof opts !== "object" || opts === null) throw new ValidationError("abTest options", opts, "must be an object");
  if (typeof opts.key !== "string" || !KEY_RE.test(opts.key))
    throw new ValidationError("abTest key", opts.key, "must be 1-100 letters, digits, '_', '.' or '-'");
  if (!Array.isArray(opts.variants) || opts.variants.length < 2)
    throw new ValidationError("abTest variants", opts.variants, "needs at least two variants (control first)");
  const weights = opts.variants.map((v) => v.weight);
  const given = weights.filter((w) => w !== undefined).length;
  if (given !== 0 && given !== weights.length) throw new ValidationError("abTest variants[].weight", weights, "give a weight to every variant or to none");
  if (weights.some((w) => w !== undefined && !(typeof w === "number" && w >= 0 && w <= 1)))
    throw new ValidationError("abTest variants[].weight", weights, "each weight must be a number in [0, 1]");
  const total = weights.reduce<number>((s, w) => s + (w ?? 0), 0);
  if (given > 0 && (total < 0.99 || total > 1.01))
    throw new ValidationError("abTest variants[].weight", weights, "weights must sum to 1 (± 0.01), as in GrowthBook");
  const cov = opts.coverage ?? 1;
  if (typeof cov !== "number" || !(cov >= 0 && cov <= 1)) throw new ValidationError("abTest coverage", opts.coverage, "must be a number in [0, 1]");
  if (opts.hashVersion !== undefined && opts.hashVersion !== 1 && opts.hashVersion !== 2)
    throw new ValidationError("abTest hashVersion", opts.hashVersion, "must be 1 or 2");
}

export function configParams(c: AbTestConfig): Record<string, string | number> {
  return {
    "ab.key": c.key,
    "ab.seed": c.seed,
    "ab.hashVersion": c.hashVersion,
    "ab.hashAttribute": c.hashAttribute,
    "ab.coverage": c.coverage,
    "ab.variants": JSON.stringify(c.variants.map((v) => ({ model: v.model, ref: v.ref, version: v.version, weight: v.weight, range: v.range }))),
  };
}

function configFromParams(params: Readonly<Record<string, string>>, experiment: string): AbTestConfig {
  const variants = JSON.parse(params["ab.variants"] ?? "[]") as AbVariant[];
  return {
    key: params["ab.key"] ?? "",
    seed: params["ab.seed"] ?? "",
    hashVersion: Number(params["ab.hashVersion"]) === 1 ? 1 : 2,
    hashAttribute: params["ab.hashAttribute"] ?? "id",
    coverage: Number(params["ab.coverage"] ?? 1),
    variants,
    experiment,
  };
}

export async function findRuns(tracker: AbReader, key: string, experiment: string): Promise<{ runIds: string[]; config: AbTestConfig | undefined }> {
  if ((await tracker.getExperimentByName(experiment)) === undefined) return { runIds: [], config: undefined };
  const runs = await tracker.searchRuns({ experiment, filter: `tags.${AB_KEY_TAG} = '${key}'`, orderBy: ["attributes.start_time ASC"], maxResults: 1000 });
  const first = runs[0];
  return { runIds: runs.map((r) => r.info.runId), config: first === undefined ? undefined : configFromParams(first.data.params, experiment) };
}

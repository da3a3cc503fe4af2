/**
 * Explanations stored with a run: one JSON artifact (`explanations/<name>.json`: feature
 * names, per-row values, global importances) and one metric per feature
 * (`importance/<feature>`), so a release's run carries its explanation.
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import { CorruptDataError, NotFoundError, ValidationError } from "../index.js";
import type { ShapExplanation } from "./kernel-shap.js";
import type { PermutationImportance } from "./permutation.js";

/** An explainer's result: Kernel SHAP attributions or permutation importances. */
export type Explanation = ShapExplanation | PermutationImportance;

/** The version tag of the stored explanation format. */
export const EXPLANATION_FORMAT = "mltrail.explanation/1";

/**
 * What `logExplanation` stores (the artifact's JSON): the explainer's result plus its global
 * importances; read back by {@link loadExplanation}.
 *
 * @example
 * ```ts
 * const stored: StoredExplanation = await loadExplanation(tracker, "churn@1.3.0");
 * stored.globalImportance.income; // mean |SHAP| of "income"
 * ```
 */
export interface StoredExplanation {
  /** Always {@link EXPLANATION_FORMAT}. */
  readonly format: typeof EXPLANATION_FORMAT;
  /** The explanation's name, as given to `logExplanation`. */
  readonly name: string;
  /** How it was computed. */
  readonly method: Explanation["method"];
  /** One name per column. */
  readonly featureNames: readonly string[];
  /** Per feature: mean |SHAP| for Kernel SHAP, the mean score drop for permutation importance. */
  readonly globalImportance: Readonly<Record<string, number>>;
}

const storedSchema = z.looseObject({
  format: z.literal(EXPLANATION_FORMAT),
  name: z.string().min(1),
  method: z.enum(["kernel-shap", "permutation"]),
  featureNames: z.array(z.string().min(1)).min(1),
  globalImportance: z.record(z.string(), z.number()),
});

/**
 * Global importance per feature: mean |attribution| over the explained rows (Kernel SHAP), or
 * the mean score drop (permutation importance). Already-global explanations pass through.
 *
 * @example
 * ```ts
 * globalImportance(shap); // { age: 0.12, income: 0.4 }
 * ```
 */
export function globalImportance(e: Explanation | StoredExplanation): Record<string, number> {
  if ("globalImportance" in e) return { ...e.globalImportance };
  const values =
    e.method === "kernel-shap"
      ? e.featureNames.map((_, j) => e.values.reduce((s, row) => s + Math.abs(row[j] ?? 0), 0) / Math.max(1, e.values.length))
      : e.importancesMean;
  return Object.fromEntries(e.featureNames.map((f, j) => [f, values[j] ?? 0]));
}

/** The part of a `Run` {@link logExplanation} uses. */
export interface ExplanationRun {
  /** The run id. */
  readonly id: string;
  /** See `Run.logJSON`. */
  logJSON(value: unknown, artifactPath: string): Promise<{ readonly sha256: string }>;
  /** See `Run.logMetrics`. */
  logMetrics(metrics: Readonly<Record<string, number>>): void;
  /** See `Run.setTag`. */
  setTag(key: string, value: string): void;
}

/** The run tag that announces an explanation to `registerModel` (read by the registry). */
const TAG_PREFIX = "mltrail.explanation/";
/** MLflow's longest run tag value. */
const TAG_LIMIT = 8000;

/**
 * Options of {@link logExplanation}.
 *
 * @example
 * ```ts
 * const options: LogExplanationOptions = { name: "shap-holdout", metricPrefix: "shap" };
 * ```
 */
export interface LogExplanationOptions {
  /** Names the artifact `explanations/<name>.json`. @default "explanation" */
  readonly name?: string;
  /** Metric key prefix of the global importances; `false` logs no metrics. @default "importance" */
  readonly metricPrefix?: string | false;
}

const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function nameOf(name: unknown): string {
  const n = name ?? "explanation";
  if (typeof n !== "string" || !NAME_RULE.test(n) || n.length > 100)
    throw new ValidationError("options.name", name, "must be 1-100 letters, digits, `_`, `.` or `-`, starting with a letter or digit");
  return n;
}

/** The artifact path of an explanation named `name`. */
export function explanationPath(name = "explanation"): string {
  return `explanations/${nameOf(name)}.json`;
}

/**
 * Stores an explanation with a run: the metrics `<metricPrefix>/<feature>` (its global
 * importances; checked before anything is written, so a feature name that is no valid metric
 * key fails first), the artifact `explanations/<name>.json`, and the tag
 * `mltrail.explanation/<name>` (method, artifact path, sha256 and, when they fit in a tag, the
 * global importances) through which `registerModel` puts the explanation in the release record.
 *
 * @param run - An open run.
 * @param result - What `kernelShap` or `permutationImportance` returned.
 * @returns The artifact path and what was stored.
 * @example
 * ```ts
 * await tracker.withRun({ name: "train" }, async (run) => {
 *   await logExplanation(run, await kernelShap(predict, rows, { background }), { name: "shap" });
 * });
 * ```
 */
export async function logExplanation(run: ExplanationRun, result: Explanation, options: LogExplanationOptions = {}): Promise<LoggedExplanation> {
  if (result === null || typeof result !== "object" || (result.method !== "kernel-shap" && result.method !== "permutation")) {
    throw new ValidationError("result", result, "must be what kernelShap or permutationImportance returned");
  }
  const name = nameOf(options.name);
  const importance = globalImportance(result);
  const prefix = options.metricPrefix ?? "importance";
  if (prefix !== false) run.logMetrics(Object.fromEntries(Object.entries(importance).map(([f, v]) => [`${prefix}/${f}`, v])));
  const stored: StoredExplanation = { format: EXPLANATION_FORMAT, name, ...result, globalImportance: importance };
  const artifactPath = explanationPath(name);
  const { sha256 } = await run.logJSON(stored, artifactPath);
  const announce = { method: result.method, artifactPath, digest: `sha256:${sha256}` };
  const full = JSON.stringify({ ...announce, globalImportance: importance });
  run.setTag(`${TAG_PREFIX}${name}`, full.length <= TAG_LIMIT ? full : JSON.stringify(announce));
  return { artifactPath, stored };
}

/** The part of a `ModelVersion` {@link loadExplanation} uses. */
export interface ReleaseLike {
  /** The run the release came from, if any. */
  readonly runId: string | undefined;
  /** The model name. */
  readonly name: string;
  /** The semver version. */
  readonly version: string;
}

/**
 * What {@link logExplanation} returns.
 *
 * @example
 * ```ts
 * const { artifactPath }: LoggedExplanation = await logExplanation(run, shap);
 * ```
 */
export interface LoggedExplanation {
  /** Where the JSON went among the run's artifacts. */
  readonly artifactPath: string;
  /** The JSON stored. */
  readonly stored: StoredExplanation;
}

/** The part of a `Tracker` {@link loadExplanation} uses. */
export interface ExplanationSource {
  /** See `Tracker.getModelVersion`. */
  getModelVersion(nameOrRef: string): Promise<ReleaseLike>;
  /** See `Tracker.downloadArtifacts`. */
  downloadArtifacts(runId: string, path: string, dest: string): Promise<string>;
}

/**
 * Reads the explanation stored with a release (`"model@1.3.0"`, any ref `getModelVersion`
 * takes) or a run (`{ runId }`).
 *
 * @throws NotFoundError when the release has no run or the run no such explanation;
 * CorruptDataError when the stored file is not a valid explanation.
 * @example
 * ```ts
 * const e = await loadExplanation(tracker, "churn@1.3.0", { name: "shap" });
 * ```
 */
export async function loadExplanation(
  source: ExplanationSource,
  ref: string | { readonly runId: string },
  options: { readonly name?: string } = {},
): Promise<StoredExplanation> {
  let runId: string;
  if (typeof ref === "string") {
    const mv = await source.getModelVersion(ref);
    if (mv.runId === undefined) throw new NotFoundError(`model version ${mv.name}@${mv.version} has no run, so no explanation`);
    runId = mv.runId;
  } else {
    runId = ref.runId;
  }
  const rel = explanationPath(options.name);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "mltrail-explain-"));
  try {
    const local = await source.downloadArtifacts(runId, rel, dir);
    const text = await fs.readFile((await fs.stat(local)).isDirectory() ? path.join(local, path.basename(rel)) : local, "utf8");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new CorruptDataError(`explanation ${rel} of run ${runId} is not JSON`, { path: rel, runId, cause: err });
    }
    const checked = storedSchema.safeParse(parsed);
    if (!checked.success)
      throw new CorruptDataError(`explanation ${rel} of run ${runId} is not a valid explanation: ${checked.error.issues[0]?.message ?? "bad shape"}`, {
        path: rel,
        runId,
      });
    return checked.data as StoredExplanation;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

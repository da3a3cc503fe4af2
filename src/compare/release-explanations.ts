/**
 * `tracker.compareExplanations("churn@1.2.0", "churn@1.3.0")`: the explanations two releases
 * carry in their records (picked up by `registerModel` from the run), compared with
 * {@link compareImportances}. The global importances come from the release record; an entry
 * too large for a run tag, or a release made before records held explanations, is read from
 * the run's `explanations/<name>.json` artifact (checked against the recorded sha256).
 *
 * @packageDocumentation
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { CorruptDataError, NotFoundError, ValidationError } from "../errors.js";
import type { ModelVersion } from "../models.js";
import type { ArtifactReader, ModelReader } from "../tracker-api.js";
import { type CompareExplanationsOptions, type ExplanationDiff, compareImportances } from "./explanations.js";

/**
 * What comparing the explanations of releases needs from a tracker.
 * @example `const source: ExplanationReleaseSource = tracker;`
 */
export type ExplanationReleaseSource = Pick<ModelReader, "getModelVersion"> & ArtifactReader;

/**
 * Options of `tracker.compareExplanations`: the thresholds, and which explanation when the
 * releases carry several.
 * @example `{ name: "shap", rankMoved: 3, shareChanged: 0.15 }`
 */
export interface CompareReleaseExplanationsOptions extends Omit<CompareExplanationsOptions, "labels"> {
  /** The explanation to compare. @default the one name both releases carry (`"explanation"` for releases that carry none in their record) */
  readonly name?: string;
}

/**
 * One side of {@link ReleaseExplanationDiff}: the release and the explanation compared.
 * @example `diff.b.globalImportance.leak`
 */
export interface ExplainedRelease {
  /** Model name. */
  readonly model: string;
  /** Semver of the release. */
  readonly version: string;
  /** How the explanation was computed (`"kernel-shap"`, `"permutation"`, …). */
  readonly method: string;
  /** The explanation's artifact in the release's run. */
  readonly artifactPath: string;
  /** Its run. */
  readonly runId: string | null;
  /** Global importance per feature. */
  readonly globalImportance: Readonly<Record<string, number>>;
}

/**
 * What `tracker.compareExplanations` returns: the diff, which explanation, and the two sides.
 * @example `if (diff.flagged.length > 0) throw new Error(diff.verdict);`
 */
export interface ReleaseExplanationDiff extends ExplanationDiff {
  /** The explanation's name. */
  readonly name: string;
  /** The reference release. */
  readonly a: ExplainedRelease;
  /** The candidate release. */
  readonly b: ExplainedRelease;
}

const DEFAULT_NAME = "explanation";

/** The explanation name both releases carry, when `options.name` is not given. */
export function commonExplanationName(versions: readonly ModelVersion[]): string {
  const lists = versions.map((v) => (v.explanations ?? []).map((e) => e.name)).filter((names) => names.length > 0);
  if (lists.length === 0) return DEFAULT_NAME;
  const common = (lists[0] ?? []).filter((n) => lists.every((names) => names.includes(n)));
  const refs = versions.map((v) => `${v.name}@${v.version}`).join(" and ");
  if (common.length === 1) return common[0] as string;
  if (common.length === 0) throw new NotFoundError(`${refs} carry no explanation of the same name (${lists.map((l) => l.join(", ")).join(" vs ")})`);
  throw new ValidationError("options.name", undefined, `must name one of the explanations ${refs} both carry: ${common.join(", ")}`);
}

async function readArtifact(
  source: ArtifactReader,
  runId: string,
  rel: string,
  digest: string | undefined,
): Promise<{ method: string; globalImportance: Record<string, number> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "mltrail-explanation-"));
  try {
    const local = await source.downloadArtifacts(runId, rel, dir);
    const bytes = await fs.readFile((await fs.stat(local)).isDirectory() ? path.join(local, path.basename(rel)) : local);
    const damaged = (why: string, cause?: unknown): CorruptDataError =>
      new CorruptDataError(`explanation ${rel} of run ${runId} ${why}`, { path: rel, runId, ...(cause === undefined ? {} : { cause }) });
    if (digest !== undefined && `sha256:${createHash("sha256").update(bytes).digest("hex")}` !== digest)
      throw damaged(`does not match the release record's digest ${digest}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString("utf8"));
    } catch (err) {
      throw damaged("is not JSON", err);
    }
    const { method, globalImportance } = (typeof parsed === "object" && parsed !== null ? parsed : {}) as { method?: unknown; globalImportance?: unknown };
    const valid =
      typeof method === "string" &&
      typeof globalImportance === "object" &&
      globalImportance !== null &&
      !Array.isArray(globalImportance) &&
      Object.values(globalImportance).every((v) => typeof v === "number");
    if (!valid) throw damaged("has no method and global importances");
    return { method, globalImportance: globalImportance as Record<string, number> };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * The explanation `name` of a release: from its record, else from its run's artifact.
 * @throws NotFoundError when the release carries no such explanation; CorruptDataError when the artifact read is damaged.
 * @example `const side = await explainedRelease(tracker, await tracker.getModelVersion("churn@1.3.0"), "shap");`
 */
export async function explainedRelease(source: ArtifactReader, v: ModelVersion, name: string): Promise<ExplainedRelease> {
  const ref = `${v.name}@${v.version}`;
  const entry = v.explanations?.find((e) => e.name === name);
  if (entry === undefined && (v.explanations ?? []).length > 0)
    throw new NotFoundError(`${ref} carries no explanation "${name}" (it has ${(v.explanations ?? []).map((e) => e.name).join(", ")})`);
  const side = { model: v.name, version: v.version, runId: v.runId ?? null };
  if (entry?.globalImportance !== undefined)
    return { ...side, method: entry.method, artifactPath: entry.artifactPath, globalImportance: entry.globalImportance };
  const rel = entry?.artifactPath ?? `explanations/${name}.json`;
  if (v.runId === undefined) throw new NotFoundError(`${ref} has no run, so no explanation`);
  try {
    return { ...side, artifactPath: rel, ...(await readArtifact(source, v.runId, rel, entry?.digest)) };
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(`${ref} carries no explanation "${name}": ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * Compares the explanations of two releases (refs as `getModelVersion` takes them).
 * @example
 * ```ts
 * const diff = await compareReleaseExplanations(tracker, "churn@1.2.0", "churn@1.3.0", { rankMoved: 2, shareChanged: 0.1 });
 * diff.verdict; // "1 of 5 features changed from churn@1.2.0 to churn@1.3.0: account_closed rank 5→1, share 1%→64%"
 * ```
 */
export async function compareReleaseExplanations(
  source: ExplanationReleaseSource,
  a: string,
  b: string,
  options: CompareReleaseExplanationsOptions = {},
): Promise<ReleaseExplanationDiff> {
  const [va, vb] = await Promise.all([source.getModelVersion(a), source.getModelVersion(b)]);
  const name = options.name ?? commonExplanationName([va, vb]);
  const [ea, eb] = await Promise.all([explainedRelease(source, va, name), explainedRelease(source, vb, name)]);
  const { name: _n, ...thresholds } = options;
  const diff = compareImportances(ea.globalImportance, eb.globalImportance, {
    ...thresholds,
    labels: [`${va.name}@${va.version}`, `${vb.name}@${vb.version}`],
  });
  return { name, a: ea, b: eb, ...diff };
}

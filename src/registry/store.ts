/**
 * What the registry stores, and the interface both stores (local, MLflow) implement. The
 * release rules are applied by the caller (src/registry); a store only has to make version
 * allocation and alias changes atomic.
 */
import type { ChangeCategory } from "./changes.js";
import type { Bump, ChangeKind, ModelSignature } from "./signature.js";

/**
 * One change a release was made for, with what it is about and the bump it required.
 * @example `{ category: "architecture", kind: "architecture-changed", bump: "minor", description: "architecture changed" }`
 */
export interface ReleaseChange {
  /** What part of the model changed: signature, architecture, weights, data, params, metadata or declared (given by the user). */
  readonly category: ChangeCategory;
  /** The precise kind, e.g. `"input-removed"`. */
  readonly kind: ChangeKind;
  /** The smallest bump this change needed. */
  readonly bump: Bump;
  /** In words, as in `changes`. */
  readonly description: string;
}

/**
 * A dataset a release was trained on.
 * @example `{ name: "churn-train", digest: "d41d8cd98f00b204e9800998ecf8427e" }`
 */
export interface DatasetRef {
  /** Dataset name. */
  readonly name: string;
  /** Content digest (DVC md5 or sha256). */
  readonly digest: string;
  /** Where it came from. */
  readonly source?: string;
  /** `training`, `validation` or `test`. */
  readonly context?: string;
}

/**
 * An explanation the release's run logged (`logExplanation` of `mltrail/explain`), as the
 * release record keeps it: where the attributions are and their global importances.
 * @example `{ name: "shap", method: "kernel-shap", artifactPath: "explanations/shap.json", digest: "sha256:9f2c…", globalImportance: { income: 0.41, age: 0.12 } }`
 */
export interface ReleaseExplanation {
  /** The explanation's name (`logExplanation`'s `name`). */
  readonly name: string;
  /** How it was computed: `"kernel-shap"`, `"permutation"`, … */
  readonly method: string;
  /** The JSON artifact in the release's run. */
  readonly artifactPath: string;
  /** `sha256:<hex>` of that artifact. */
  readonly digest: string;
  /**
   * Per feature: mean |SHAP|, or the mean score drop of permutation importance. Absent when
   * the run's tag had no room for them (about 150 features or more): read them from the artifact.
   */
  readonly globalImportance?: Readonly<Record<string, number>>;
}

/**
 * One release as stored. Files, digest, signature and lineage are immutable (rule 6);
 * `deprecated`, `description` and `tags` are not.
 * @example `(await tracker.getModelVersion("churn", "^1")).version`
 */
export interface StoredVersion {
  /** Model name. */
  readonly name: string;
  /** Semantic version, e.g. `"1.2.0"` or `"1.3.0-rc.1"`. */
  readonly version: string;
  /** The store's own key: the local sequence number or MLflow's integer version. */
  readonly backendVersion: string;
  /** Where the model files are (e.g. `runs:/<runId>/model`). */
  readonly source: string;
  /** Run that produced it. */
  readonly runId: string | undefined;
  /** Input/output signature. */
  readonly signature: ModelSignature | undefined;
  /** Digest of the model files; identical content makes no new version. */
  readonly contentDigest: string | undefined;
  /** Digest of the model's topology without weights; absent when unknown (and in releases made before it was recorded). */
  readonly architectureDigest?: string;
  /** Who released it. */
  readonly author: string;
  /** When, ms since the epoch. */
  readonly createdAt: number;
  /** Why. */
  readonly rationale: string;
  /** The run's latest metrics at release. */
  readonly metrics: Readonly<Record<string, number>>;
  /** The run's params at release. */
  readonly params: Readonly<Record<string, string>>;
  /** Datasets the run used. */
  readonly datasets: readonly DatasetRef[];
  /** Git commit of the run. */
  readonly gitCommit: string | undefined;
  /** The bump this release made, and the changes that required it. */
  readonly bump: string;
  /** Changes since the previous release on its line, in words. */
  readonly changes: readonly string[];
  /**
   * The same changes, each with its category and the bump it required. Absent in releases
   * made before it was recorded and in promotions (whose `changes` say what was promoted).
   */
  readonly changeDetails?: readonly ReleaseChange[];
  /** The explanations its run logged, by name. Absent in releases made before they were recorded and when the run logged none. */
  readonly explanations?: readonly ReleaseExplanation[];
  /** Set when deprecated: the reason. Deprecated versions are skipped by range resolution. */
  readonly deprecated: string | undefined;
  /** Set when deleted: a tombstone, so the version is never reused (rule 5). */
  readonly deletedAt: number | undefined;
  /** Free text, mutable. */
  readonly description: string | undefined;
  /** Free tags, mutable. */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * One registry change, for the audit trail.
 * @example `{ action: "release", version: "1.1.0", by: "ana", at: 1764170000000, reason: "new features" }`
 */
export interface AuditEntry {
  /** What happened. */
  readonly action: "release" | "promote" | "alias" | "alias-delete" | "deprecate" | "delete" | "update";
  /** The version concerned. */
  readonly version?: string;
  /** For alias changes: the alias. */
  readonly alias?: string;
  /** For alias moves: the version it pointed to before. */
  readonly from?: string;
  /** Who. */
  readonly by: string;
  /** When, ms since the epoch. */
  readonly at: number;
  /** Why. */
  readonly reason?: string;
  /** For releases: the bump made (`"initial"` for a first release). */
  readonly bump?: string;
  /** For releases: the changes that required the bump, `<category>: <description>` (at most 10). */
  readonly changes?: readonly string[];
}

/**
 * Storage of a model registry: what a backend implements to hold releases (the semver rules
 * run in mltrail, above it). A store only has to make version allocation and alias changes
 * atomic; the local store takes a lock per model, MLflow's checks after creating.
 * @example `const versions = await store.listVersions("churn")`
 */
export interface RegistryStore {
  listModels(): Promise<string[]>;
  /** All versions, including tombstones, by backend version. */
  listVersions(name: string): Promise<StoredVersion[]>;
  aliases(name: string): Promise<Record<string, string>>;
  /** Allocates a version atomically: `decide` runs with the versions current at allocation time. */
  createVersion(name: string, decide: (existing: readonly StoredVersion[]) => Omit<StoredVersion, "backendVersion">): Promise<StoredVersion>;
  updateVersion(name: string, version: string, update: (current: StoredVersion) => StoredVersion): Promise<StoredVersion>;
  /** Points `alias` at `version` (undefined deletes it); `expected` makes it compare-and-set (null = must be unset). */
  setAlias(name: string, alias: string, version: string | undefined, expected?: string | null): Promise<void>;
  appendAudit(name: string, entry: AuditEntry): Promise<void>;
  history(name: string): Promise<AuditEntry[]>;
  /** Where the model's damaged versions or aliases are (files or server items), for the error when a lookup misses. */
  damaged(name: string): Promise<string[]>;
}

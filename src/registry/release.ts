/**
 * Plans one release against the versions a model has: which release it is compared with,
 * what changed, and the version it gets (README, "Model releases with semantic versions", rules 2–5). Pure: the
 * store's allocation calls it with the versions current under its lock.
 *
 * @packageDocumentation
 */
import { changeCategory, inferChanges, requiredBump } from "./changes.js";
import type { BumpPolicy, ReleaseFacts } from "./changes.js";
import type { Bump, Change } from "./signature.js";
import type { ReleaseChange, StoredVersion } from "./store.js";
import { compareVersions, planVersion, versionIdentity } from "./versioning.js";
import type { PrereleaseChannel } from "./versioning.js";
import { defined } from "../internal/defined.js";

/**
 * What the user asked for, of a release.
 *
 * @example
 * ```ts
 * const ask: ReleaseRequest = { bump: "patch", bumpPolicy: "semantic" };
 * ```
 */
export interface ReleaseRequest {
  readonly version?: string;
  readonly bump?: Bump;
  readonly changes?: readonly { readonly description: string; readonly bump: Bump }[];
  readonly prerelease?: PrereleaseChannel;
  readonly base?: string;
  readonly initial?: "1.0.0" | "0.1.0";
  /** @default "semantic" */
  readonly bumpPolicy?: BumpPolicy;
}

/**
 * The planned release: its version, the bump made and the changes, or the existing release
 * when the candidate is identical to it (no new version).
 *
 * @example
 * ```ts
 * const p: ReleasePlan = { version: "1.0.1", bump: "patch", changes: [] };
 * ```
 */
export type ReleasePlan = { readonly version: string; readonly bump: string; readonly changes: readonly Change[] } | { readonly identical: StoredVersion };

/** The facts of a stored release, for {@link inferChanges}. */
function factsOf(v: Pick<StoredVersion, "signature" | "contentDigest" | "architectureDigest" | "datasets" | "params">): ReleaseFacts {
  return {
    ...defined({ signature: v.signature }),
    ...defined({ contentDigest: v.contentDigest }),
    ...defined({ architectureDigest: v.architectureDigest }),
    datasets: v.datasets.map(({ name, digest }) => ({ name, digest })),
    params: v.params,
  };
}

/** The release the new one is compared with: the highest live stable release (below `requested` when given), or `base`. */
function previousRelease(versions: readonly StoredVersion[], requested: string | undefined, base: string | undefined): StoredVersion | undefined {
  const stable = versions.filter((v) => v.deletedAt === undefined && !v.version.includes("-"));
  if (base !== undefined) return stable.find((v) => versionIdentity(v.version) === versionIdentity(base));
  const sorted = [...stable].sort((a, b) => compareVersions(a.version, b.version));
  const below = requested === undefined ? sorted : sorted.filter((v) => compareVersions(v.version, requested) < 0);
  return below[below.length - 1];
}

/**
 * Plans a release of `next` among `existing` (tombstones included): compares it with the
 * previous release under `request.bumpPolicy`, adds the user's declared changes, and plans
 * the version with {@link planVersion}. A candidate identical to the previous release, with
 * no explicit version, bump or prerelease, is `{ identical: previous }`.
 *
 * @throws the errors of {@link planVersion}.
 * @example
 * ```ts
 * const plan = planRelease(existing, { contentDigest, architectureDigest, datasets, params }, { bump: "patch" });
 * if (!("identical" in plan)) plan.version; // "1.0.1"
 * ```
 */
export function planRelease(
  existing: readonly StoredVersion[],
  next: Pick<StoredVersion, "signature" | "contentDigest" | "architectureDigest" | "datasets" | "params">,
  request: ReleaseRequest,
): ReleasePlan {
  const previous = previousRelease(existing, request.version, request.base);
  const inferred = inferChanges(previous === undefined ? undefined : factsOf(previous), factsOf(next), { policy: request.bumpPolicy ?? "semantic" });
  const explicit = request.version !== undefined || request.bump !== undefined || request.prerelease !== undefined;
  if (previous !== undefined && inferred.identical && !explicit) return { identical: previous };
  const declared: Change[] = (request.changes ?? []).map((c) => ({ kind: "declared", bump: c.bump, description: c.description }));
  const changes = [...inferred.changes, ...declared];
  const required = requiredBump(changes);
  const planned = planVersion({
    existing: existing.map((v) => ({ version: v.version, deleted: v.deletedAt !== undefined })),
    ...defined({ requested: request.version }),
    ...defined({ bump: request.bump }),
    ...defined({ required }),
    requiredBecause: changes,
    ...defined({ prerelease: request.prerelease }),
    ...defined({ base: request.base }),
    ...defined({ initial: request.initial }),
  });
  return { version: planned.version, bump: planned.bump, changes };
}

/**
 * The changes as a release record keeps them: each with its category and bump.
 *
 * @example
 * ```ts
 * releaseChanges([{ kind: "architecture-changed", bump: "minor", description: "architecture changed" }]);
 * // [{ category: "architecture", kind: "architecture-changed", bump: "minor", description: "architecture changed" }]
 * ```
 */
export function releaseChanges(changes: readonly Change[]): ReleaseChange[] {
  return changes.map((c) => ({ category: changeCategory(c.kind), kind: c.kind, bump: c.bump, description: c.description }));
}

/**
 * A release's changes in words, each with its category when the release recorded one:
 * `"architecture: architecture changed"`. Releases made before categories were recorded (and
 * promotions) give their `changes` as they are.
 *
 * @example
 * ```ts
 * releaseChangeLines(await tracker.getModelVersion("churn@latest"));
 * // ["weights: weights changed (same architecture)", "params: params changed (lr)"]
 * ```
 */
export function releaseChangeLines(release: Pick<StoredVersion, "changes" | "changeDetails">): string[] {
  return release.changeDetails === undefined ? [...release.changes] : release.changeDetails.map((c) => `${c.category}: ${c.description}`);
}

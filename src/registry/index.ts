/**
 * The pure, store-agnostic core of the model registry: signatures and their diff, change
 * inference, semver planning, reference resolution and naming rules (README, "Model
 * releases with semantic versions").
 *
 * @example
 * ```ts
 * import { inferChanges, planVersion, requiredBump } from "./registry/index.js";
 * const { identical, changes } = inferChanges(previousFacts, nextFacts);
 * if (!identical) planVersion({ existing, required: requiredBump(changes), requiredBecause: changes });
 * ```
 *
 * @packageDocumentation
 */
export { checkSignature, diffSignatures } from "./signature.js";
export type { Bump, Change, ChangeKind, ModelSignature, TensorSpec } from "./signature.js";
export { ARCHITECTURE_HINT, changeCategory, compareBumps, inferChanges, requiredBump } from "./changes.js";
export type { BumpPolicy, ChangeCategory, InferOptions, InferredChanges, ReleaseFacts } from "./changes.js";
export { architectureDigestOf } from "./architecture.js";
export { EXPLANATION_TAG_PREFIX, explanationsOfRun } from "./explanations.js";
export { planRelease, releaseChangeLines, releaseChanges } from "./release.js";
export type { ReleasePlan, ReleaseRequest } from "./release.js";
export {
  PRERELEASE_CHANNELS,
  checkVersion,
  compareVersions,
  isPrerelease,
  planVersion,
  promote,
  versionIdentity,
} from "./versioning.js";
export type { ExistingVersion, PlanInput, PlannedVersion, PrereleaseChannel } from "./versioning.js";
export { checkAliasName, checkModelName, parseModelRef, resolveRef } from "./resolve.js";
export type { ModelRef, ResolvableVersion } from "./resolve.js";
export { MUTABLE_VERSION_FIELDS, checkVersionUpdate, releaseWithRetry } from "./rules.js";
export type { MutableVersionField, RetryOptions } from "./rules.js";

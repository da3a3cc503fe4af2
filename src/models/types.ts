/** The registry's public shapes: what `registerModel` takes and what every registry call resolves with. */
import type { RunRecord } from "../model/types.js";
import type { BumpPolicy } from "../registry/changes.js";
import type { Bump, ModelSignature } from "../registry/signature.js";
import type { PrereleaseChannel } from "../registry/versioning.js";
import type { RegistryStore, StoredVersion } from "../registry/store.js";

/**
 * Options of `tracker.registerModel`.
 * @example `{ runId: run.id, bump: "minor", rationale: "new features", aliases: ["challenger"] }`
 */
export interface RegisterModelOptions {
  /** The run that produced the model. */
  readonly runId: string;
  /** Path of the model in the run's artifacts. @default "model" */
  readonly artifactPath?: string;
  /** Where the model files are. @default `runs:/<runId>/<artifactPath>` */
  readonly source?: string;
  /** An exact version; checked against the rules. @default computed */
  readonly version?: string;
  /** The bump to make; must be at least what the changes require. @default inferred from the changes */
  readonly bump?: Bump;
  /** Changes the SDK cannot see, each with the bump it requires. @default none */
  readonly changes?: readonly {
    /** What changed, as it will appear in the release's change list, e.g. `"retrained on March data"`. */
    readonly description: string;
    /** The smallest bump this change needs. */
    readonly bump: Bump;
  }[];
  /** Input/output signature; a breaking difference requires a major bump. @default none */
  readonly signature?: ModelSignature;
  /** Digest of the model files; identical content makes no new version. @default the digest `run.logModel` recorded */
  readonly contentDigest?: string;
  /**
   * Digest of the model's architecture (its topology without weights), for models whose
   * layout mltrail cannot read: with it on this release and the previous one, new weights
   * of an unchanged architecture are a patch. Any stable string works, e.g. a hash of the
   * network definition; `architectureDigestOf(json)` computes it for Keras-style JSON.
   * @default the digest `run.logModel` recorded for a TF.js or Keras folder, else none
   */
  readonly architectureDigest?: string;
  /**
   * How new weights and changed params are versioned: `"semantic"` (an architecture change
   * is a minor, a hyperparameter tweak a patch) or `"strict"` (any new weights or params are
   * a minor). See {@link BumpPolicy}.
   * @default "semantic"
   */
  readonly bumpPolicy?: BumpPolicy;
  /** Release on a prerelease channel (`1.3.0-rc.0`). @default stable */
  readonly prerelease?: PrereleaseChannel;
  /** The first version of a new model. @default "1.0.0" */
  readonly initial?: "1.0.0" | "0.1.0";
  /** For a backport: the release whose line gets the new patch. @default none */
  readonly base?: string;
  /** Why this release exists. Required when the `requireRationale` option is on. @default "" */
  readonly rationale?: string;
  /** Aliases to point at the new version. @default none */
  readonly aliases?: readonly string[];
  /** Free tags. @default none */
  readonly tags?: Readonly<Record<string, string>>;
  /** Free description. @default none */
  readonly description?: string;
}

/**
 * A released model version.
 * @example `const mv = await tracker.getModelVersion("churn@^1"); mv.version // "1.2.0"`
 */
export interface ModelVersion extends Omit<StoredVersion, "deprecated" | "deletedAt"> {
  /** Aliases pointing at this version. */
  readonly aliases: readonly string[];
  /** True when deprecated (skipped by ranges and `latest`). */
  readonly deprecated: boolean;
  /** Why it was deprecated. */
  readonly deprecationReason: string | undefined;
}

/** What the registry needs from its tracker. @internal */
export interface RegistryHost {
  readonly store: () => Promise<RegistryStore>;
  readonly getRun: (runId: string) => Promise<RunRecord>;
  readonly runDatasets: (runId: string) => Promise<readonly RunDataset[]>;
  readonly requireRationale: boolean;
  readonly namePolicy: RegExp | undefined;
  readonly clock: () => number;
  /** Who makes a change (audit `by`, a release's author when the run has no user tag): the OS user in Node, `"unknown"` in a page. */
  readonly user: () => string;
}

/** The parts of a run's dataset a release records. @internal */
export interface RunDataset {
  readonly name: string;
  readonly digest: string;
  readonly source?: string | undefined;
  readonly context?: string | undefined;
}

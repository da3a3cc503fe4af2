/**
 * The model registry as users see it: releases that obey semantic-version rules, resolution
 * of `name@range|alias`, aliases, deprecation, tombstones, and an audit trail. The rules are
 * in src/registry (pure); the storage is the local store or an MLflow server.
 *
 * @packageDocumentation
 */
import * as os from "node:os";
import { checkNamePolicy } from "./capture/naming.js";
import { CorruptDataError, type MltrailError, NotFoundError, ValidationError } from "./errors.js";
import type { RunRecord } from "./model/types.js";
import {
  checkAliasName,
  checkModelName,
  checkSignature,
  checkVersionUpdate,
  explanationsOfRun,
  parseModelRef,
  planRelease,
  promote as promoteVersion,
  releaseChangeLines,
  releaseChanges,
  releaseWithRetry,
  resolveRef,
  versionIdentity,
  type Bump,
  type BumpPolicy,
  type ModelSignature,
  type PrereleaseChannel,
} from "./registry/index.js";
import type { AuditEntry, DatasetRef, RegistryStore, ReleaseChange, StoredVersion } from "./registry/store.js";
import { checkRefArgument, checkRegisterOptions, checkVersionChange } from "./registry/arguments.js";
import type { DatasetInfo } from "./artifacts/run-artifacts.js";
import { MLFLOW_TAGS } from "./model/system-tags.js";
import { defined } from "./internal/defined.js";

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
  readonly runDatasets: (runId: string) => Promise<readonly DatasetInfo[]>;
  readonly requireRationale: boolean;
  readonly namePolicy: RegExp | undefined;
  readonly clock: () => number;
}

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env["USER"] ?? process.env["USERNAME"] ?? "unknown";
  }
}

/** What `run.logModel` recorded for `artifactPath` (tag `mltrail.model/<path>`). */
function loggedModel(run: RunRecord, artifactPath: string): { contentDigest?: string; architectureDigest?: string; signature?: ModelSignature } {
  const raw = run.data.tags[`mltrail.model/${artifactPath}`];
  if (raw === undefined) return {};
  try {
    const parsed = JSON.parse(raw) as { contentDigest?: string; architectureDigest?: string; signature?: ModelSignature };
    return {
      ...(typeof parsed.contentDigest === "string" ? { contentDigest: parsed.contentDigest } : {}),
      ...(typeof parsed.architectureDigest === "string" ? { architectureDigest: parsed.architectureDigest } : {}),
      ...(parsed.signature === undefined ? {} : { signature: checkSignature(parsed.signature) }),
    };
  } catch {
    return {};
  }
}

/** `map[key]` when it is an own key (so `constructor` is not Object's). */
function own(map: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** The error of a lookup that missed: CorruptDataError when damaged items of the model may hold the answer. */
async function missing(store: RegistryStore, name: string, message: string): Promise<MltrailError> {
  const damaged = await store.damaged(name);
  if (damaged.length === 0) return new NotFoundError(message);
  return new CorruptDataError(`${message}; ${damaged.length} damaged registry item(s) of the model may hold it: ${damaged.slice(0, 3).join(", ")}`, {
    path: damaged[0] as string,
  });
}

function live(versions: readonly StoredVersion[]): StoredVersion[] {
  return versions.filter((v) => v.deletedAt === undefined);
}

/** The audit form of a release's changes: `<category>: <description>`, at most 10, each cut at 200 characters (MLflow tags are small). */
function auditChanges(changeDetails: readonly ReleaseChange[]): string[] {
  const lines = releaseChangeLines({ changes: [], changeDetails });
  const shown = lines.slice(0, 10).map((l) => (l.length > 200 ? `${l.slice(0, 199)}…` : l));
  return lines.length > 10 ? [...shown, `and ${lines.length - 10} more`] : shown;
}

/** Registry operations of a tracker. @internal */
export class Models {
  constructor(private readonly host: RegistryHost) {}

  private async view(name: string, v: StoredVersion): Promise<ModelVersion> {
    const aliases = Object.entries(await (await this.host.store()).aliases(name))
      .filter(([, version]) => versionIdentity(version) === versionIdentity(v.version))
      .map(([alias]) => alias);
    const { deprecated, deletedAt: _d, ...rest } = v;
    return { ...rest, aliases, deprecated: deprecated !== undefined, deprecationReason: deprecated };
  }

  private async audit(name: string, entry: Omit<AuditEntry, "by" | "at">): Promise<void> {
    await (await this.host.store()).appendAudit(name, { ...entry, by: currentUser(), at: this.host.clock() });
  }

  /** The `requireRationale` policy: a release or promotion needs a non-blank rationale. */
  checkRationale(rationale: string | undefined): void {
    if (this.host.requireRationale && (rationale ?? "").trim() === "")
      throw new ValidationError("rationale", rationale, "is required by the requireRationale policy");
  }

  async register(name: string, options: RegisterModelOptions): Promise<ModelVersion> {
    checkModelName(name);
    checkRegisterOptions(options);
    checkNamePolicy("model", name, this.host.namePolicy);
    if (options.version !== undefined && options.bump !== undefined) throw new ValidationError("bump", options.bump, "give either version or bump, not both");
    const rationale = options.rationale ?? "";
    this.checkRationale(rationale);
    const signature = options.signature === undefined ? undefined : checkSignature(options.signature);
    const aliases = (options.aliases ?? []).map((a, i) => checkAliasName(a, `aliases[${i}]`));
    const run = await this.host.getRun(options.runId);
    const artifactPath = options.artifactPath ?? "model";
    const source = options.source ?? `runs:/${run.info.runId}/${artifactPath}`;
    const logged = loggedModel(run, artifactPath);
    const datasets: DatasetRef[] = (await this.host.runDatasets(run.info.runId)).map((d) => ({
      name: d.name,
      digest: d.digest,
      ...defined({ source: d.source }),
      ...defined({ context: d.context }),
    }));
    const contentDigest = options.contentDigest ?? logged.contentDigest;
    const architectureDigest = options.architectureDigest ?? logged.architectureDigest;
    const signatureUsed = signature ?? logged.signature;
    const explanations = explanationsOfRun(run.data.tags);
    const next = {
      signature: signatureUsed,
      contentDigest,
      ...defined({ architectureDigest }),
      datasets,
      params: run.data.params,
    };
    const store = await this.host.store();
    let created = true;
    let details: ReleaseChange[] = [];
    const stored = await releaseWithRetry(
      () =>
        store.createVersion(name, (existing) => {
          const p = planRelease(existing, next, options);
          if ("identical" in p) throw new IdenticalRelease(p.identical);
          details = releaseChanges(p.changes);
          return {
            name,
            version: p.version,
            source,
            runId: run.info.runId,
            signature: signatureUsed,
            contentDigest,
            ...defined({ architectureDigest }),
            author: run.data.tags[MLFLOW_TAGS.user] ?? currentUser(),
            createdAt: this.host.clock(),
            rationale,
            metrics: run.data.metrics,
            params: run.data.params,
            datasets,
            gitCommit: run.data.tags[MLFLOW_TAGS.gitCommit],
            bump: p.bump,
            changes: p.changes.map((c) => c.description),
            changeDetails: details,
            ...(explanations.length === 0 ? {} : { explanations }),
            deprecated: undefined,
            deletedAt: undefined,
            description: options.description,
            tags: { ...options.tags },
          };
        }),
      { computed: options.version === undefined },
    ).catch((err: unknown) => {
      if (!(err instanceof IdenticalRelease)) throw err;
      created = false; // identical content: no new version (rule 2)
      return err.existing;
    });
    if (created) await this.audit(name, { action: "release", version: stored.version, reason: rationale, bump: stored.bump, changes: auditChanges(details) });
    for (const alias of aliases) await this.setAlias(name, alias, stored.version, {});
    return this.get(name, stored.version);
  }

  async list(name: string): Promise<ModelVersion[]> {
    checkModelName(name);
    const versions = live(await (await this.host.store()).listVersions(name));
    return Promise.all(versions.map((v) => this.view(name, v)));
  }

  async models(): Promise<string[]> {
    return (await this.host.store()).listModels();
  }

  async get(nameOrRef: string, ref?: string): Promise<ModelVersion> {
    const parsed = ref === undefined ? parseModelRef(nameOrRef) : { name: checkModelName(nameOrRef), ref: checkRefArgument(ref) };
    const store = await this.host.store();
    const versions = live(await store.listVersions(parsed.name));
    if (versions.length === 0) throw await missing(store, parsed.name, `model "${parsed.name}" has no versions`);
    const resolved = resolveRef(
      versions.map((v) => ({ version: v.version, deprecated: v.deprecated !== undefined })),
      await store.aliases(parsed.name),
      parsed.ref,
    );
    const found = resolved === undefined ? undefined : versions.find((v) => versionIdentity(v.version) === versionIdentity(resolved));
    if (found === undefined) throw await missing(store, parsed.name, `model "${parsed.name}" has no version matching "${parsed.ref}"`);
    return this.view(parsed.name, found);
  }

  async setAlias(name: string, alias: string, version: string, options: { expected?: string | null }): Promise<void> {
    checkAliasName(alias);
    const target = await this.get(name, checkRefArgument(version, "version"));
    const before = own(await (await this.host.store()).aliases(name), alias);
    await (await this.host.store()).setAlias(name, alias, target.version, options.expected);
    await this.audit(name, { action: "alias", alias, version: target.version, ...defined({ from: before }) });
  }

  async deleteAlias(name: string, alias: string, options: { expected?: string | null }): Promise<void> {
    checkModelName(name);
    checkRefArgument(alias, "alias");
    const store = await this.host.store();
    if ((await store.listVersions(name)).length === 0) throw new NotFoundError(`model "${name}" not found`);
    const before = own(await store.aliases(name), alias);
    await store.setAlias(name, alias, undefined, options.expected);
    await this.audit(name, { action: "alias-delete", alias, ...defined({ from: before }) });
  }

  async promote(name: string, version: string, rationale: string): Promise<ModelVersion> {
    const store = await this.host.store();
    const pre = await this.get(name, version);
    const stored = await store.createVersion(name, (existing) => {
      const target = promoteVersion(
        existing.map((v) => ({ version: v.version, deleted: v.deletedAt !== undefined })),
        pre.version,
      );
      const { aliases: _a, deprecated: _d, deprecationReason: _r, backendVersion: _b, changeDetails: _c, ...rest } = pre;
      return {
        ...rest,
        version: target,
        bump: "promote",
        changes: [`promoted from ${pre.version}`],
        createdAt: this.host.clock(),
        rationale: rationale || pre.rationale,
        author: currentUser(),
        deprecated: undefined,
        deletedAt: undefined,
      };
    });
    await this.audit(name, { action: "promote", version: stored.version, from: pre.version, reason: rationale });
    return this.get(name, stored.version);
  }

  async update(
    name: string,
    version: string,
    change: { deprecated?: string; description?: string; tags?: Readonly<Record<string, string>> },
    action: AuditEntry["action"],
    reason?: string,
  ): Promise<ModelVersion> {
    checkVersionChange(change);
    checkVersionUpdate(change);
    const target = await this.get(name, checkRefArgument(version, "version"));
    await (await this.host.store()).updateVersion(name, target.version, (current) => ({
      ...current,
      ...defined({ deprecated: change.deprecated }),
      ...defined({ description: change.description }),
      ...(change.tags === undefined ? {} : { tags: { ...current.tags, ...change.tags } }),
    }));
    await this.audit(name, { action, version: target.version, ...defined({ reason }) });
    return this.get(name, target.version);
  }

  async delete(name: string, version: string, reason: string | undefined): Promise<void> {
    const target = await this.get(name, checkRefArgument(version, "version"));
    const store = await this.host.store();
    for (const [alias, v] of Object.entries(await store.aliases(name)))
      if (versionIdentity(v) === versionIdentity(target.version)) await store.setAlias(name, alias, undefined);
    await store.updateVersion(name, target.version, (current) => ({ ...current, deletedAt: this.host.clock() }));
    await this.audit(name, { action: "delete", version: target.version, ...defined({ reason }) });
  }

  async history(name: string): Promise<AuditEntry[]> {
    checkModelName(name);
    return (await this.host.store()).history(name);
  }
}

/** Thrown inside a store's allocation to say: identical content, keep the existing version. */
class IdenticalRelease extends Error {
  constructor(readonly existing: StoredVersion) {
    super("identical release");
  }
}

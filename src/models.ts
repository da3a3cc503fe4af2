/**
 * The model registry as users see it: releases that obey semantic-version rules, resolution
 * of `name@range|alias`, aliases, deprecation, tombstones, and an audit trail. The rules are
 * in src/registry (pure); the storage is the local store or an MLflow server.
 *
 * @packageDocumentation
 */
import { checkNamePolicy } from "./capture/naming.js";
import { ValidationError, NotFoundError } from "./errors.js";
import { defined } from "./internal/defined.js";
import { createRelease } from "./models/release.js";
import { auditChanges, live, missing, own } from "./models/support.js";
import type { ModelVersion, RegisterModelOptions, RegistryHost } from "./models/types.js";
import { checkRefArgument, checkRegisterOptions, checkVersionChange } from "./registry/arguments.js";
import { checkAliasName, checkModelName, parseModelRef, resolveRef } from "./registry/resolve.js";
import { checkVersionUpdate } from "./registry/rules.js";
import { checkSignature } from "./registry/signature.js";
import { promote as promoteVersion, versionIdentity } from "./registry/versioning.js";
import type { AuditEntry, StoredVersion } from "./registry/store.js";

export type { ModelVersion, RegisterModelOptions, RegistryHost } from "./models/types.js";

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
    await (await this.host.store()).appendAudit(name, { ...entry, by: this.host.user(), at: this.host.clock() });
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
    const { stored, created, details } = await createRelease(this.host, name, options, rationale, signature);
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
        author: this.host.user(),
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

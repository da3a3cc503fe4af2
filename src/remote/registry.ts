/**
 * The model registry on an MLflow server. MLflow's integer model version stays the key; the
 * semver lives in a version tag (`versionTag`, default `mltrail.version`; GitLab uses
 * `gitlab.version`), the rest of the release in the `mltrail.release` tag (JSON). Aliases are
 * MLflow aliases. Tombstones of deleted versions live in the registered model's
 * `mltrail.tombstone.<version>` tags and the audit trail in `mltrail.audit.*` tags.
 *
 * MLflow has no lock, so a release is created first and checked after: when another
 * process created the same semver first (a lower integer version with the same tag), ours
 * is deleted again and ConflictError is thrown: exactly one wins and no orphan is left.
 */
import { ConflictError, NotFoundError } from "../errors.js";
import type { AuditEntry, RegistryStore, StoredVersion } from "../registry/store.js";
import { versionIdentity } from "../registry/versioning.js";
import type { MlflowClient } from "./mlflow/client.js";
import type { RemoteModelVersion } from "./mlflow/types.js";

const RELEASE_TAG = "mltrail.release";
/** One registered-model tag per deleted version, so concurrent deletes cannot lose one. */
const TOMBSTONE_PREFIX = "mltrail.tombstone.";
const AUDIT_PREFIX = "mltrail.audit.";

type ReleaseBody = Omit<StoredVersion, "name" | "version" | "backendVersion" | "source">;

const EMPTY_BODY: ReleaseBody = {
  runId: undefined,
  signature: undefined,
  contentDigest: undefined,
  author: "unknown",
  createdAt: 0,
  rationale: "",
  metrics: {},
  params: {},
  datasets: [],
  gitCommit: undefined,
  bump: "unknown",
  changes: [],
  deprecated: undefined,
  deletedAt: undefined,
  description: undefined,
  tags: {},
};

/** The registry of an MLflow server. */
export class MlflowRegistry implements RegistryStore {
  constructor(
    private readonly client: MlflowClient,
    private readonly versionTag: string,
  ) {}

  async listModels(): Promise<string[]> {
    const names = new Set<string>();
    for await (const mv of this.client.iterateModelVersions({})) if (mv.tags[this.versionTag] !== undefined) names.add(mv.name);
    return [...names].sort();
  }

  private toStored(mv: RemoteModelVersion): StoredVersion | undefined {
    const version = mv.tags[this.versionTag];
    if (version === undefined) return undefined; // not released through mltrail
    let body: Partial<ReleaseBody> = {};
    try {
      body = JSON.parse(mv.tags[RELEASE_TAG] ?? "{}") as Partial<ReleaseBody>;
    } catch {
      body = {};
    }
    return {
      ...EMPTY_BODY,
      runId: mv.runId,
      author: mv.userId ?? "unknown",
      createdAt: mv.creationTimestamp,
      ...body,
      description: mv.description === "" ? undefined : mv.description,
      name: mv.name,
      version,
      backendVersion: mv.version,
      source: mv.source,
    };
  }

  private async remoteVersions(name: string): Promise<RemoteModelVersion[]> {
    const out: RemoteModelVersion[] = [];
    for await (const mv of this.client.iterateModelVersions({ filter: `name = '${name.replace(/'/g, "\\'")}'` })) out.push(mv);
    return out.sort((a, b) => Number(a.version) - Number(b.version));
  }

  /** Deleted versions: `{ version, backendVersion, deletedAt }` only (a model tag holds 5000 chars). */
  private async tombstones(name: string): Promise<StoredVersion[]> {
    const model = await this.client.getRegisteredModel(name);
    return Object.entries(model?.tags ?? {})
      .filter(([key]) => key.startsWith(TOMBSTONE_PREFIX))
      .map(([, value]) => ({ ...EMPTY_BODY, name, source: "", ...(JSON.parse(value) as { version: string; backendVersion: string; deletedAt: number }) }));
  }

  async listVersions(name: string): Promise<StoredVersion[]> {
    const live = (await this.remoteVersions(name)).map((mv) => this.toStored(mv)).filter((v): v is StoredVersion => v !== undefined);
    return [...(await this.tombstones(name)), ...live];
  }

  async aliases(name: string): Promise<Record<string, string>> {
    const model = await this.client.getRegisteredModel(name);
    if (model === undefined) return {};
    const byBackend = new Map((await this.remoteVersions(name)).map((mv) => [mv.version, mv.tags[this.versionTag]]));
    const out: Record<string, string> = {};
    for (const [alias, backend] of Object.entries(model.aliases)) {
      const semver = byBackend.get(backend);
      if (semver !== undefined) out[alias] = semver;
    }
    return out;
  }

  async createVersion(name: string, decide: (existing: readonly StoredVersion[]) => Omit<StoredVersion, "backendVersion">): Promise<StoredVersion> {
    await this.client.getOrCreateRegisteredModel(name);
    const record = decide(await this.listVersions(name));
    const { name: _n, version, source, ...body } = record;
    const mv = await this.client.createModelVersion({
      name,
      source,
      ...(record.runId === undefined ? {} : { runId: record.runId }),
      tags: { [this.versionTag]: version, [RELEASE_TAG]: JSON.stringify(body) },
      ...(record.description === undefined ? {} : { description: record.description }),
    });
    // Check after create: the lowest MLflow version carrying this semver wins.
    const identity = versionIdentity(version);
    const rivals = (await this.remoteVersions(name)).filter((v) => v.tags[this.versionTag] !== undefined && versionIdentity(v.tags[this.versionTag] as string) === identity);
    const winner = rivals[0];
    const tomb = (await this.tombstones(name)).some((t) => versionIdentity(t.version) === identity);
    if (tomb || (winner !== undefined && winner.version !== mv.version)) {
      await this.client.deleteModelVersion(name, mv.version);
      throw new ConflictError(`model "${name}" version ${version} was released by another process first (MLflow version ${winner?.version ?? "?"}); nothing of this attempt was kept`);
    }
    return { ...record, backendVersion: mv.version };
  }

  async updateVersion(name: string, version: string, update: (current: StoredVersion) => StoredVersion): Promise<StoredVersion> {
    const current = (await this.listVersions(name)).find((v) => v.version === version && v.deletedAt === undefined);
    if (current === undefined) throw new NotFoundError(`model "${name}" has no version ${version}`);
    const next = update(current);
    if (next.deletedAt !== undefined) {
      const entry = { version: next.version, backendVersion: next.backendVersion, deletedAt: next.deletedAt };
      await this.client.setRegisteredModelTag(name, `${TOMBSTONE_PREFIX}${versionIdentity(next.version)}`, JSON.stringify(entry));
      await this.client.deleteModelVersion(name, current.backendVersion);
      return next;
    }
    const { name: _n, version: _v, backendVersion: _b, source: _s, ...body } = next;
    await this.client.setModelVersionTag(name, current.backendVersion, RELEASE_TAG, JSON.stringify(body));
    if (next.description !== current.description) {
      await this.client.updateModelVersion({ name, version: current.backendVersion, description: next.description ?? "" });
    }
    return next;
  }

  async setAlias(name: string, alias: string, version: string | undefined, expected?: string | null): Promise<void> {
    if (expected !== undefined) {
      const current = (await this.aliases(name))[alias];
      if ((current ?? null) !== expected) {
        throw new ConflictError(`alias "${alias}" of model "${name}" points to ${current ?? "nothing"}, not ${expected ?? "nothing"} (compare-and-set failed)`);
      }
    }
    if (version === undefined) {
      await this.client.deleteRegisteredModelAlias(name, alias);
      return;
    }
    const target = (await this.listVersions(name)).find((v) => v.version === version && v.deletedAt === undefined);
    if (target === undefined) throw new NotFoundError(`model "${name}" has no version ${version}`);
    await this.client.setRegisteredModelAlias(name, alias, target.backendVersion);
    if (expected !== undefined) {
      // MLflow has no compare-and-set: re-read, so a concurrent writer is at least reported.
      const after = (await this.aliases(name))[alias];
      if (after !== version) throw new ConflictError(`alias "${alias}" of model "${name}" was moved to ${after ?? "nothing"} concurrently (compare-and-set on MLflow is check-then-set)`);
    }
  }

  async appendAudit(name: string, entry: AuditEntry): Promise<void> {
    const key = `${AUDIT_PREFIX}${String(entry.at).padStart(15, "0")}.${Math.random().toString(36).slice(2, 8)}`;
    await this.client.setRegisteredModelTag(name, key, JSON.stringify(entry));
  }

  async history(name: string): Promise<AuditEntry[]> {
    const model = await this.client.getRegisteredModel(name);
    if (model === undefined) return [];
    return Object.entries(model.tags)
      .filter(([k]) => k.startsWith(AUDIT_PREFIX))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => JSON.parse(v) as AuditEntry);
  }
}

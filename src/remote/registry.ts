/**
 * The model registry on an MLflow server. MLflow's integer model version stays the key; the
 * semver lives in a version tag (`versionTag`, default `mltrail.version`; GitLab uses
 * `gitlab.version`), the rest of the release in the `mltrail.release` tag (JSON). The
 * version's MLflow description is the release rationale (then the user's description), so
 * MLflow's UI shows why a version exists. Aliases are MLflow aliases. Tombstones of deleted
 * versions live in the registered model's `mltrail.tombstone.<version>` tags; the audit trail
 * in one `mltrail.audit` tag per version (./registry-audit.ts). Every tag read back is
 * checked; a damaged one is reported and skipped.
 *
 * MLflow has no lock, so a release is created first and checked after: when another
 * process created the same semver first (a lower integer version with the same tag), ours
 * is deleted again and ConflictError is thrown: exactly one wins and no orphan is left.
 */
import { ConflictError, CorruptDataError, NotFoundError, type SpoolError } from "../errors.js";
import { parseReleaseBody, type ReleaseBody } from "../registry/records.js";
import type { AuditEntry, RegistryStore, StoredVersion } from "../registry/store.js";
import { versionIdentity } from "../registry/versioning.js";
import type { MlflowClient } from "./mlflow/client.js";
import type { RemoteModelVersion } from "./mlflow/types.js";
import { AUDIT_TAG, DAMAGED_AUDIT_TAG, MODEL_AUDIT_LIMIT, VERSION_AUDIT_LIMIT, appendAuditAt, fitAudit, mergeAudit, parseAuditList } from "./registry-audit.js";
import { defined } from "../internal/defined.js";

const RELEASE_TAG = "mltrail.release";
/** One registered-model tag per deleted version, so concurrent deletes cannot lose one. */
const TOMBSTONE_PREFIX = "mltrail.tombstone.";

/** A deleted version as its tombstone tag holds it. */
interface Tombstone {
  readonly version: string;
  readonly backendVersion: string;
  readonly deletedAt: number;
  readonly audit?: AuditEntry[];
}

/**
 * The MLflow description of a version: the rationale, then the user's description.
 * @example `versionDescription({ rationale: "retrained on March", description: "see the report" })`
 */
export function versionDescription(v: Pick<StoredVersion, "rationale" | "description">): string {
  return [v.rationale.trim(), v.description?.trim() ?? ""].filter((part) => part !== "").join("\n\n");
}

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
    private readonly report: (error: SpoolError) => void = () => undefined,
  ) {}

  private reportDamage(what: string, path: string): void {
    this.report(new CorruptDataError(`registry: ${what} on the server is damaged and was skipped`, { path }));
  }

  async listModels(): Promise<string[]> {
    const names = new Set<string>();
    for await (const mv of this.client.iterateModelVersions({})) if (mv.tags[this.versionTag] !== undefined) names.add(mv.name);
    return [...names].sort();
  }

  private toStored(mv: RemoteModelVersion, quiet = false): StoredVersion | undefined {
    const version = mv.tags[this.versionTag];
    if (version === undefined) return undefined; // not released through mltrail
    const raw = mv.tags[RELEASE_TAG];
    let body: ReleaseBody | undefined = { ...EMPTY_BODY, runId: mv.runId, author: mv.userId ?? "unknown", createdAt: mv.creationTimestamp };
    if (raw !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        parsed = undefined;
      }
      body = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parseReleaseBody({ ...body, ...parsed }) : undefined;
    }
    if (body === undefined) {
      if (!quiet) this.reportDamage(`the release tag of model "${mv.name}" version ${mv.version}`, `models:/${mv.name}/${mv.version}`);
      return undefined;
    }
    return {
      ...body,
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

  /** Deleted versions as their tombstone tags hold them (a registered-model tag holds 5000 chars on SQL stores). */
  private tombstonesOf(name: string, tags: Readonly<Record<string, string>>): Tombstone[] {
    const out: Tombstone[] = [];
    for (const [key, value] of Object.entries(tags)) {
      if (!key.startsWith(TOMBSTONE_PREFIX)) continue;
      try {
        const t = JSON.parse(value) as Partial<Tombstone>;
        if (typeof t.version !== "string" || typeof t.backendVersion !== "string" || typeof t.deletedAt !== "number") throw new Error("not a tombstone");
        out.push({
          version: t.version,
          backendVersion: t.backendVersion,
          deletedAt: t.deletedAt,
          audit: parseAuditList(JSON.stringify(t.audit ?? []), this.report, `tag ${key} of model "${name}"`),
        });
      } catch {
        this.reportDamage(`tag ${key} of model "${name}"`, `models:/${name}`);
      }
    }
    return out;
  }

  private async tombstones(name: string): Promise<StoredVersion[]> {
    const model = await this.client.getRegisteredModel(name);
    return this.tombstonesOf(name, model?.tags ?? {}).map(({ version, backendVersion, deletedAt }) => ({
      ...EMPTY_BODY,
      name,
      source: "",
      version,
      backendVersion,
      deletedAt,
    }));
  }

  async listVersions(name: string): Promise<StoredVersion[]> {
    const live = (await this.remoteVersions(name)).map((mv) => this.toStored(mv)).filter((v): v is StoredVersion => v !== undefined);
    return [...(await this.tombstones(name)), ...live];
  }

  async aliases(name: string): Promise<Record<string, string>> {
    const model = await this.client.getRegisteredModel(name);
    if (model === undefined) return {};
    const byBackend = new Map((await this.remoteVersions(name)).map((mv) => [mv.version, mv.tags[this.versionTag]]));
    const out: [string, string][] = [];
    for (const [alias, backend] of Object.entries(model.aliases)) {
      const semver = byBackend.get(backend);
      if (semver !== undefined) out.push([alias, semver]);
    }
    return Object.fromEntries(out); // own properties: an alias named __proto__ stays an alias
  }

  async createVersion(name: string, decide: (existing: readonly StoredVersion[]) => Omit<StoredVersion, "backendVersion">): Promise<StoredVersion> {
    await this.client.getOrCreateRegisteredModel(name);
    const record = decide(await this.listVersions(name));
    const { name: _n, version, source, ...body } = record;
    const mv = await this.client.createModelVersion({
      name,
      source,
      ...defined({ runId: record.runId }),
      tags: { [this.versionTag]: version, [RELEASE_TAG]: JSON.stringify(body) },
      description: versionDescription(record),
    });
    // Check after create: the lowest MLflow version carrying this semver wins.
    const identity = versionIdentity(version);
    const rivals = (await this.remoteVersions(name)).filter(
      (v) => v.tags[this.versionTag] !== undefined && versionIdentity(v.tags[this.versionTag] as string) === identity,
    );
    const winner = rivals[0];
    const tomb = (await this.tombstones(name)).some((t) => versionIdentity(t.version) === identity);
    if (tomb || (winner !== undefined && winner.version !== mv.version)) {
      await this.client.deleteModelVersion(name, mv.version);
      throw new ConflictError(
        `model "${name}" version ${version} was released by another process first (MLflow version ${winner?.version ?? "?"}); nothing of this attempt was kept`,
      );
    }
    return { ...record, backendVersion: mv.version };
  }

  async updateVersion(name: string, version: string, update: (current: StoredVersion) => StoredVersion): Promise<StoredVersion> {
    const current = (await this.listVersions(name)).find((v) => v.version === version && v.deletedAt === undefined);
    if (current === undefined) throw new NotFoundError(`model "${name}" has no version ${version}`);
    const next = update(current);
    if (next.deletedAt !== undefined) {
      // The version's audit trail goes with it into the tombstone.
      const audit = fitAudit(await this.versionAudit(name, current.backendVersion), MODEL_AUDIT_LIMIT - 200);
      const entry: Tombstone = { version: next.version, backendVersion: next.backendVersion, deletedAt: next.deletedAt, audit };
      await this.client.setRegisteredModelTag(name, `${TOMBSTONE_PREFIX}${versionIdentity(next.version)}`, JSON.stringify(entry));
      await this.client.deleteModelVersion(name, current.backendVersion);
      return next;
    }
    const { name: _n, version: _v, backendVersion: _b, source: _s, ...body } = next;
    await this.client.setModelVersionTag(name, current.backendVersion, RELEASE_TAG, JSON.stringify(body));
    if (versionDescription(next) !== versionDescription(current)) {
      await this.client.updateModelVersion({ name, version: current.backendVersion, description: versionDescription(next) });
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
      if (after !== version)
        throw new ConflictError(
          `alias "${alias}" of model "${name}" was moved to ${after ?? "nothing"} concurrently (compare-and-set on MLflow is check-then-set)`,
        );
    }
  }

  private async versionAudit(name: string, backendVersion: string): Promise<AuditEntry[]> {
    const mv = await this.client.getModelVersion(name, backendVersion);
    return parseAuditList(mv?.tags[AUDIT_TAG], this.report, `model "${name}" version ${backendVersion}`);
  }

  /** Adds an entry to the audit list of its version (live or deleted), else of the model. */
  async appendAudit(name: string, entry: AuditEntry): Promise<void> {
    const about = entry.version ?? entry.from;
    const same = (v: string | undefined): boolean => about !== undefined && v !== undefined && versionIdentity(v) === versionIdentity(about);
    const live = (await this.remoteVersions(name)).find((mv) => same(mv.tags[this.versionTag]));
    if (live !== undefined) {
      await appendAuditAt(entry, {
        read: async () => (await this.client.getModelVersion(name, live.version))?.tags[AUDIT_TAG],
        write: (list) => this.client.setModelVersionTag(name, live.version, AUDIT_TAG, JSON.stringify(fitAudit(list, VERSION_AUDIT_LIMIT))),
        keepDamaged: (raw) => this.client.setModelVersionTag(name, live.version, DAMAGED_AUDIT_TAG, raw),
      });
      return;
    }
    const tags = async (): Promise<Readonly<Record<string, string>>> => (await this.client.getRegisteredModel(name))?.tags ?? {};
    const tomb = this.tombstonesOf(name, await tags()).find((t) => same(t.version));
    if (tomb !== undefined) {
      const key = `${TOMBSTONE_PREFIX}${versionIdentity(tomb.version)}`;
      await appendAuditAt(entry, {
        read: async () => JSON.stringify(this.tombstonesOf(name, await tags()).find((t) => t.version === tomb.version)?.audit ?? []),
        write: (list) => this.client.setRegisteredModelTag(name, key, JSON.stringify({ ...tomb, audit: fitAudit(list, MODEL_AUDIT_LIMIT - 200) })),
        keepDamaged: async () => undefined, // a damaged tombstone is skipped as a whole
      });
      return;
    }
    await appendAuditAt(entry, {
      read: async () => (await tags())[AUDIT_TAG],
      write: (list) => this.client.setRegisteredModelTag(name, AUDIT_TAG, JSON.stringify(fitAudit(list, MODEL_AUDIT_LIMIT))),
      keepDamaged: (raw) => this.client.setRegisteredModelTag(name, DAMAGED_AUDIT_TAG, raw.slice(0, MODEL_AUDIT_LIMIT)),
    });
  }

  async damaged(name: string): Promise<string[]> {
    return (await this.remoteVersions(name))
      .filter((mv) => mv.tags[this.versionTag] !== undefined && this.toStored(mv, true) === undefined)
      .map((mv) => `models:/${name}/${mv.version}`);
  }

  async history(name: string): Promise<AuditEntry[]> {
    const model = await this.client.getRegisteredModel(name);
    if (model === undefined) return [];
    const lists = [
      ...this.tombstonesOf(name, model.tags).map((t) => t.audit ?? []),
      ...(await this.remoteVersions(name)).map((mv) => parseAuditList(mv.tags[AUDIT_TAG], this.report, `model "${name}" version ${mv.version}`)),
    ];
    return mergeAudit(model.tags, lists, this.report, name);
  }
}

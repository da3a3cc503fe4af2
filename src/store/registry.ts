/**
 * The model registry of the local store: one folder per model under `<root>/registry/`.
 *
 * ```
 * registry/<model, URI-encoded>/model.json          { name, createdAt }
 * registry/<model>/versions/<n>.json                one release; n = backend version 1, 2, 3…
 * registry/<model>/aliases.json                     { alias: version }
 * registry/<model>/audit.jsonl                      every change: who, when, what, why
 * registry/<model>/.lock                            held around allocation and alias changes
 * ```
 *
 * The semver rules live in src/registry; this file stores and serialises.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { ConflictError, NotFoundError } from "../errors.js";
import { readJsonFile, writeFileAtomic } from "../log/atomic.js";
import { withLock } from "../log/lock.js";
import type { AuditEntry, RegistryStore, StoredVersion } from "../registry/store.js";

/** The local store's registry. */
export class LocalRegistry implements RegistryStore {
  private readonly dir: string;

  constructor(root: string) {
    this.dir = path.join(root, "registry");
  }

  private modelDir(name: string): string {
    return path.join(this.dir, encodeURIComponent(name));
  }

  async listModels(): Promise<string[]> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    // A model exists once a release was written (model.json is written with the first one).
    const released = await Promise.all(names.map(async (n) => !n.startsWith(".") && (await readJsonFile(path.join(this.dir, n, "model.json"))) !== undefined));
    return names.filter((_, i) => released[i]).map((n) => decodeURIComponent(n)).sort();
  }

  async listVersions(name: string): Promise<StoredVersion[]> {
    const dir = path.join(this.modelDir(name), "versions");
    const files = await fsp.readdir(dir).catch(() => [] as string[]);
    const out: StoredVersion[] = [];
    for (const f of files) {
      if (!/^\d+\.json$/.test(f)) continue;
      const raw = await readJsonFile(path.join(dir, f));
      if (raw !== undefined) out.push(raw as StoredVersion);
    }
    return out.sort((a, b) => Number(a.backendVersion) - Number(b.backendVersion));
  }

  async aliases(name: string): Promise<Record<string, string>> {
    return ((await readJsonFile(path.join(this.modelDir(name), "aliases.json"))) as Record<string, string> | undefined) ?? {};
  }

  /**
   * Allocates and writes a release under the model's lock. `decide` sees the versions as
   * they are under the lock and returns the record to write, so two processes can never both
   * take one version: the second sees the first's file.
   */
  async createVersion(name: string, decide: (existing: readonly StoredVersion[]) => Omit<StoredVersion, "backendVersion">): Promise<StoredVersion> {
    const dir = this.modelDir(name);
    await fsp.mkdir(path.join(dir, "versions"), { recursive: true });
    return withLock(path.join(dir, ".lock"), `model "${name}"`, async () => {
      const existing = await this.listVersions(name);
      const record = decide(existing); // may throw: then nothing is written
      if ((await readJsonFile(path.join(dir, "model.json"))) === undefined) {
        await writeFileAtomic(path.join(dir, "model.json"), `${JSON.stringify({ name, createdAt: Date.now() })}\n`);
      }
      const backendVersion = String(existing.reduce((max, v) => Math.max(max, Number(v.backendVersion)), 0) + 1);
      const stored: StoredVersion = { ...record, backendVersion };
      await writeFileAtomic(path.join(dir, "versions", `${backendVersion}.json`), `${JSON.stringify(stored, null, 2)}\n`);
      return stored;
    });
  }

  async updateVersion(name: string, version: string, update: (current: StoredVersion) => StoredVersion): Promise<StoredVersion> {
    const dir = this.modelDir(name);
    return withLock(path.join(dir, ".lock"), `model "${name}"`, async () => {
      const current = (await this.listVersions(name)).find((v) => v.version === version);
      if (current === undefined) throw new NotFoundError(`model "${name}" has no version ${version}`);
      const next = update(current);
      await writeFileAtomic(path.join(dir, "versions", `${current.backendVersion}.json`), `${JSON.stringify(next, null, 2)}\n`);
      return next;
    });
  }

  async setAlias(name: string, alias: string, version: string | undefined, expected?: string | null): Promise<void> {
    const dir = this.modelDir(name);
    await fsp.mkdir(dir, { recursive: true });
    await withLock(path.join(dir, ".lock"), `model "${name}"`, async () => {
      const aliases = await this.aliases(name);
      const current = aliases[alias];
      if (expected !== undefined && (current ?? null) !== expected) {
        throw new ConflictError(`alias "${alias}" of model "${name}" points to ${current ?? "nothing"}, not ${expected ?? "nothing"} (compare-and-set failed)`);
      }
      if (version === undefined) delete aliases[alias];
      else aliases[alias] = version;
      await writeFileAtomic(path.join(dir, "aliases.json"), `${JSON.stringify(aliases, null, 2)}\n`);
    });
  }

  async appendAudit(name: string, entry: AuditEntry): Promise<void> {
    const dir = this.modelDir(name);
    await fsp.mkdir(dir, { recursive: true });
    await fsp.appendFile(path.join(dir, "audit.jsonl"), `${JSON.stringify(entry)}\n`);
  }

  async history(name: string): Promise<AuditEntry[]> {
    const text = await fsp.readFile(path.join(this.modelDir(name), "audit.jsonl"), "utf8").catch(() => "");
    return text
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as AuditEntry);
  }
}

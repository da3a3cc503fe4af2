/**
 * The model registry of the local store: one folder per model under `<root>/registry/`.
 *
 * ```
 * registry/<slug>+<hash>/model.json         { name, createdAt }: the real model name
 * registry/<slug>+<hash>/versions/<n>.json  one release; n = backend version 1, 2, 3…
 * registry/<slug>+<hash>/aliases.json       { alias: version }
 * registry/<slug>+<hash>/audit.jsonl        every change: who, when, what, why
 * registry/<slug>+<hash>/.lock              held around allocation and alias changes
 * ```
 *
 * Folder names are described in ./registry-layout.ts. Every file read is checked
 * (src/registry/records.ts); a damaged one is reported through `report` and skipped, and
 * never written onto: a damaged version number is never reused, a damaged alias file is kept
 * aside as `aliases.json.damaged-<ms>` before a new one is written, and an audit entry
 * always starts on a fresh line. The semver rules live in src/registry; this file stores.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { ConflictError, CorruptDataError, NotFoundError, type SpoolError } from "../errors.js";
import { writeFileAtomic } from "../log/atomic.js";
import { withLock } from "../log/lock.js";
import { parseAliases, parseAuditEntry, parseModelFile, parseStoredVersion, withKey } from "../registry/records.js";
import type { AuditEntry, RegistryStore, StoredVersion } from "../registry/store.js";
import { migrateLegacyRegistry, modelFolderName } from "./registry-layout.js";

/** What a damaged file reads as. */
const DAMAGED = Symbol("damaged");

/** The local store's registry. */
export class LocalRegistry implements RegistryStore {
  private readonly dir: string;
  private migrated: Promise<void> | undefined;

  /**
   * @param root - The store root.
   * @param report - Told about every damaged file met (it is skipped). @default ignore
   */
  constructor(
    private readonly root: string,
    private readonly report: (error: SpoolError) => void = () => undefined,
  ) {
    this.dir = path.join(root, "registry");
  }

  /** The model's folder, once stores of the older layout are moved. */
  private async modelDir(name: string): Promise<string> {
    this.migrated ??= migrateLegacyRegistry(this.root, this.dir, this.report);
    await this.migrated;
    return path.join(this.dir, modelFolderName(name));
  }

  /** Reads and checks a JSON file: its value, `undefined` when absent, {@link DAMAGED} (reported) when unreadable. */
  private async read<T>(file: string, parse: (raw: unknown) => T | undefined, what: string | undefined): Promise<T | undefined | typeof DAMAGED> {
    let text: string;
    try {
      text = await fsp.readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      if (what !== undefined) this.reportDamage(file, what, (err as Error).message);
      return DAMAGED;
    }
    let value: T | undefined;
    try {
      value = parse(JSON.parse(text) as unknown);
    } catch {
      value = undefined;
    }
    if (value === undefined && what !== undefined) this.reportDamage(file, what, "not a valid record");
    return value ?? DAMAGED;
  }

  async damaged(name: string): Promise<string[]> {
    const dir = await this.modelDir(name);
    const files = (await fsp.readdir(path.join(dir, "versions")).catch(() => [] as string[]))
      .filter((f) => /^\d+\.json$/.test(f))
      .map((f) => path.join(dir, "versions", f));
    const out: string[] = [];
    for (const file of files) if ((await this.read(file, parseStoredVersion, undefined)) === DAMAGED) out.push(path.relative(this.root, file));
    if ((await this.read(path.join(dir, "aliases.json"), parseAliases, undefined)) === DAMAGED)
      out.push(path.relative(this.root, path.join(dir, "aliases.json")));
    return out;
  }

  private reportDamage(file: string, what: string, why: string): void {
    this.report(new CorruptDataError(`registry: ${what} is damaged (${why}) and was skipped: ${path.relative(this.root, file)}`, { path: file }));
  }

  /** Runs `fn` holding the model's lock (calls of this process queue; other processes wait on the file). */
  private async locked<T>(dir: string, name: string, fn: () => Promise<T>): Promise<T> {
    return withLock(path.join(dir, ".lock"), `model "${name}"`, fn);
  }

  private async requireModel(name: string): Promise<string> {
    const dir = await this.modelDir(name);
    if ((await fsp.stat(dir).catch(() => undefined))?.isDirectory() !== true) throw new NotFoundError(`model "${name}" not found`);
    return dir;
  }

  async listModels(): Promise<string[]> {
    await this.modelDir("");
    const entries = await fsp.readdir(this.dir, { withFileTypes: true }).catch(() => []);
    const names: string[] = [];
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith(".")) continue;
      const model = await this.read(path.join(this.dir, e.name, "model.json"), parseModelFile, "a model file");
      // A model exists once a release was written (model.json is written with the first one).
      if (model !== undefined && model !== DAMAGED) names.push(model.name);
    }
    return names.sort();
  }

  async listVersions(name: string): Promise<StoredVersion[]> {
    return (await this.versionFiles(await this.modelDir(name), name)).versions;
  }

  /** The readable versions of a model, and the highest version number on disk (damaged files included). */
  private async versionFiles(dir: string, name: string): Promise<{ versions: StoredVersion[]; highest: number }> {
    const files = (await fsp.readdir(path.join(dir, "versions")).catch(() => [] as string[])).filter((f) => /^\d+\.json$/.test(f));
    const versions: StoredVersion[] = [];
    for (const f of files) {
      const v = await this.read(path.join(dir, "versions", f), parseStoredVersion, `version file ${f} of model "${name}"`);
      if (v === undefined || v === DAMAGED) continue;
      if (v.backendVersion === f.slice(0, -5)) versions.push(v);
      else this.reportDamage(path.join(dir, "versions", f), `version file ${f} of model "${name}"`, `it says version ${v.backendVersion}`);
    }
    const highest = files.reduce((max, f) => Math.max(max, Number(f.slice(0, -5))), 0);
    return { versions: versions.sort((a, b) => Number(a.backendVersion) - Number(b.backendVersion)), highest };
  }

  async aliases(name: string): Promise<Record<string, string>> {
    const read = await this.read(path.join(await this.modelDir(name), "aliases.json"), parseAliases, `the alias file of model "${name}"`);
    return read === undefined || read === DAMAGED ? {} : { ...read };
  }

  /**
   * Allocates and writes a release under the model's lock. `decide` sees the versions as
   * they are under the lock and returns the record to write, so two writers can never both
   * take one version: the second sees the first's file.
   */
  async createVersion(name: string, decide: (existing: readonly StoredVersion[]) => Omit<StoredVersion, "backendVersion">): Promise<StoredVersion> {
    const dir = await this.modelDir(name);
    await fsp.mkdir(path.join(dir, "versions"), { recursive: true });
    return this.locked(dir, name, async () => {
      const { versions, highest } = await this.versionFiles(dir, name);
      const record = decide(versions); // may throw: then nothing is written
      const modelFile = path.join(dir, "model.json");
      const model = await this.read(modelFile, parseModelFile, `the model file of "${name}"`);
      if (model !== undefined && model !== DAMAGED && model.name !== name) {
        throw new ConflictError(`model "${name}" maps to the folder of model "${model.name}" (a hash collision); choose another name`);
      }
      if (model === undefined || model === DAMAGED) await writeFileAtomic(modelFile, `${JSON.stringify({ name, createdAt: Date.now() })}\n`);
      const backendVersion = String(highest + 1);
      const stored: StoredVersion = { ...record, backendVersion };
      await writeFileAtomic(path.join(dir, "versions", `${backendVersion}.json`), `${JSON.stringify(stored, null, 2)}\n`);
      return stored;
    });
  }

  async updateVersion(name: string, version: string, update: (current: StoredVersion) => StoredVersion): Promise<StoredVersion> {
    const dir = await this.requireModel(name);
    return this.locked(dir, name, async () => {
      const current = (await this.versionFiles(dir, name)).versions.find((v) => v.version === version);
      if (current === undefined) throw new NotFoundError(`model "${name}" has no version ${version}`);
      const next = update(current);
      await writeFileAtomic(path.join(dir, "versions", `${current.backendVersion}.json`), `${JSON.stringify(next, null, 2)}\n`);
      return next;
    });
  }

  async setAlias(name: string, alias: string, version: string | undefined, expected?: string | null): Promise<void> {
    const dir = await this.requireModel(name);
    await this.locked(dir, name, async () => {
      const file = path.join(dir, "aliases.json");
      const read = await this.read(file, parseAliases, `the alias file of model "${name}"`);
      const aliases = read === undefined || read === DAMAGED ? {} : read;
      const current = Object.hasOwn(aliases, alias) ? aliases[alias] : undefined;
      if (expected !== undefined && (current ?? null) !== expected) {
        throw new ConflictError(`alias "${alias}" of model "${name}" points to ${current ?? "nothing"}, not ${expected ?? "nothing"} (compare-and-set failed)`);
      }
      if (read === DAMAGED) await fsp.rename(file, `${file}.damaged-${Date.now()}`); // kept for inspection, never written onto
      await writeFileAtomic(file, `${JSON.stringify(withKey(aliases, alias, version), null, 2)}\n`);
    });
  }

  async appendAudit(name: string, entry: AuditEntry): Promise<void> {
    const dir = await this.requireModel(name);
    const file = path.join(dir, "audit.jsonl");
    await this.locked(dir, name, async () => {
      const handle = await fsp.open(file, "a+");
      try {
        // A line torn by a crash is never glued onto: start on a fresh line.
        const { size } = await handle.stat();
        const last = Buffer.alloc(1);
        if (size > 0) await handle.read(last, 0, 1, size - 1);
        await handle.appendFile(`${size > 0 && last[0] !== 0x0a ? "\n" : ""}${JSON.stringify(entry)}\n`);
      } finally {
        await handle.close();
      }
    });
  }

  async history(name: string): Promise<AuditEntry[]> {
    const file = path.join(await this.modelDir(name), "audit.jsonl");
    const text = await fsp.readFile(file, "utf8").catch(() => "");
    const out: AuditEntry[] = [];
    for (const [i, line] of text.split("\n").entries()) {
      if (line.trim() === "") continue;
      let entry: AuditEntry | undefined;
      try {
        entry = parseAuditEntry(JSON.parse(line) as unknown);
      } catch {
        entry = undefined;
      }
      if (entry === undefined) this.reportDamage(file, `line ${i + 1} of the audit log of model "${name}"`, "not a valid entry");
      else out.push(entry);
    }
    return out;
  }
}

/**
 * The experiments of a LocalStore: one folder each under the store's `experiments/`, named by
 * a numeric id and described by its `experiment.json`. Lists skip (and report) damaged
 * documents; new experiments are created under the store lock, so concurrent processes agree
 * on one id per name.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { NotFoundError } from "../errors.js";
import { withLock } from "../log/lock.js";
import { readJsonFile, writeFileAtomic } from "../log/atomic.js";
import { storageError } from "../log/fs-errors.js";
import type { Experiment } from "../model/types.js";
import type { StoreLayout } from "./layout.js";
import { parseExperimentMeta, toExperiment, type ExperimentMeta } from "./meta.js";

/** Runs a read; a damaged document is reported and read as absent (see `LocalStore.onDamage`). */
export type SkipDamaged = <T>(read: () => Promise<T | undefined>) => Promise<T | undefined>;

/** The experiment documents of one store. */
export class Experiments {
  /** Experiments by name, with the stamp of their document when read (see {@link getOrCreate}). */
  private readonly byNameCache = new Map<string, { experimentId: string; stamp: string; meta: ExperimentMeta }>();

  constructor(
    private readonly layout: StoreLayout,
    private readonly skipDamaged: SkipDamaged,
  ) {}

  /** All experiments, ordered by id. */
  async list(): Promise<Experiment[]> {
    return (await this.metas()).map(toExperiment);
  }

  /** Ids of every experiment folder, readable or not. */
  async ids(): Promise<string[]> {
    const names = await fsp.readdir(this.layout.experimentsDir).catch(() => [] as string[]);
    return names.filter((id) => /^\d+$/.test(id)).sort((a, b) => Number(a) - Number(b));
  }

  /** Readable experiments; damaged ones are reported and skipped. */
  private async metas(): Promise<ExperimentMeta[]> {
    const metas: ExperimentMeta[] = [];
    for (const id of await this.ids()) {
      const meta = await this.skipDamaged(() => this.readMeta(id));
      if (meta !== undefined) metas.push(meta);
    }
    return metas;
  }

  private async readMeta(id: string): Promise<ExperimentMeta | undefined> {
    const file = this.layout.experimentFile(id);
    const raw = await readJsonFile(file);
    return raw === undefined ? undefined : parseExperimentMeta(raw, file);
  }

  /** The experiment with this name, or undefined. */
  async byName(name: string): Promise<Experiment | undefined> {
    const meta = (await this.metas()).find((m) => m.name === name);
    return meta === undefined ? undefined : toExperiment(meta);
  }

  /** The experiment with this id. Throws {@link NotFoundError}. */
  async get(experimentId: string): Promise<Experiment> {
    const meta = /^\d+$/.test(experimentId) ? await this.readMeta(experimentId) : undefined;
    if (meta === undefined) throw new NotFoundError(`experiment id "${experimentId}" not found in the local store`);
    return toExperiment(meta);
  }

  /**
   * Gets an experiment by name, creating it when absent. Safe across processes. The experiment
   * found last time is reused while a `stat` of its document shows it unchanged (a rename, a
   * deletion or a tag rewrites it), instead of reading every experiment's document again.
   */
  async getOrCreate(name: string, now: number): Promise<Experiment> {
    const cached = this.byNameCache.get(name);
    if (cached !== undefined && this.stamp(cached.experimentId) === cached.stamp) return toExperiment(cached.meta);
    const existing = await this.byName(name);
    if (existing !== undefined) {
      await this.remember(name, existing.experimentId);
      return existing;
    }
    return withLock(this.layout.storeLock, "the local store", async () => {
      const found = (await this.metas()).find((m) => m.name === name);
      if (found !== undefined) return toExperiment(found);
      // Ids count every folder, damaged ones too: a new experiment never writes over one.
      const ids = await this.ids();
      const id = name === "Default" && !ids.includes("0") ? "0" : String(ids.reduce((max, i) => Math.max(max, Number(i)), 0) + 1);
      const meta: ExperimentMeta = { format: "mltrail-experiment", version: 1, experimentId: id, name, creationTime: now, lifecycleStage: "active", tags: {} };
      try {
        await fsp.mkdir(this.layout.runsDir(id), { recursive: true });
        await writeFileAtomic(this.layout.experimentFile(id), `${JSON.stringify(meta, null, 2)}\n`);
      } catch (err) {
        // A full disk leaves no half-made experiment folder behind.
        await fsp.rm(this.layout.experimentDir(id), { recursive: true, force: true }).catch(() => undefined);
        throw storageError(err, `cannot create experiment "${name}"`, this.layout.experimentDir(id));
      }
      return toExperiment(meta);
    });
  }

  private stamp(id: string): string | undefined {
    const st = fs.statSync(this.layout.experimentFile(id), { throwIfNoEntry: false });
    return st === undefined ? undefined : `${st.ino}:${st.size}:${st.mtimeMs}`;
  }

  /** Caches an experiment's document with the stamp taken before reading it (a change meanwhile makes the next stat differ). */
  private async remember(name: string, id: string): Promise<void> {
    const stamp = this.stamp(id);
    const meta = await this.readMeta(id).catch(() => undefined);
    if (stamp !== undefined && meta?.name === name) this.byNameCache.set(name, { experimentId: id, stamp, meta });
  }
}

/**
 * LocalStore: the embedded default store. Experiments and runs live in folders under one
 * root; a run's state is its journal folded (see fold.ts). Reads never modify files, so a run
 * another process is writing can be read at any time.
 *
 * Damage stays local: a damaged `experiment.json` or `run.json` throws
 * {@link CorruptDataError} when that experiment or run is asked for, and is reported through
 * {@link LocalStore.onDamage} and skipped by listings; corrupt journal lines are skipped and
 * reported by every read that meets them (the summary cache remembers them).
 * Experiment documents are kept by experiments.ts; how one run is read is in run-reads.ts.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { CorruptDataError, NotFoundError, SpoolError } from "../errors.js";
import { readJsonFile, StagedFile, writeFileAtomic, writeFileAtomicSync } from "../log/atomic.js";
import { storageError } from "../log/fs-errors.js";
import type { Experiment, Metric, RunRecord, RunViewType } from "../model/types.js";
import { keyedRecord } from "../internal/keyed.js";
import type { FoldedRun } from "./fold.js";
import { RunPaths, StoreLayout, STORE_FORMAT_UPGRADABLE, STORE_FORMAT_VERSION } from "./layout.js";
import { parseRunMeta, type RunMeta } from "./meta.js";
import type { CorruptLine } from "../log/segments.js";
import type { DatasetRecord } from "../log/record.js";
import { RunIndex } from "./index/run-index.js";
import { RunCounter } from "./run-count.js";
import { copyRecord, type IndexRow } from "./index/entry.js";
import { isLongJournal } from "./index/tail-fold.js";
import { deletedAt, LIFECYCLE_FILE, LifecycleLogs } from "./lifecycle.js";
import { readHistories, type HistoryQuery } from "./series/history.js";
import { Experiments } from "./experiments.js";
import { corruptLinesError, exists, foldJournal, runMetaText, runRecordOf, writerGone } from "./run-reads.js";

/** The embedded default store. */
export class LocalStore {
  readonly layout: StoreLayout;
  /**
   * Called each time a read skips damaged data: corrupt journal lines (on every read that
   * meets them), or a damaged experiment or run document a listing skipped.
   */
  onDamage: ((error: CorruptDataError) => void) | undefined;
  private readonly runDirs = new Map<string, { experimentId: string; paths: RunPaths }>();
  private readonly runCounter = new RunCounter();
  private readonly index: RunIndex;
  /** Which runs are deleted (see lifecycle.ts): source data, kept apart from the derived index. */
  readonly lifecycle: LifecycleLogs;
  private readonly experiments: Experiments;

  private constructor(root: string) {
    this.layout = new StoreLayout(root);
    this.experiments = new Experiments(this.layout, (read) => this.skipDamaged(read));
    this.lifecycle = new LifecycleLogs((id) => path.join(this.layout.experimentDir(id), LIFECYCLE_FILE));
    this.index = new RunIndex({
      layout: this.layout,
      writerGone,
      reportCorrupt: (runId, paths, corrupt) => this.reportCorrupt(runId, paths, corrupt),
      readMeta: (paths) => this.skipDamaged(async () => ((await readJsonFile(paths.meta)) === undefined ? undefined : this.readRunMeta(paths))),
    });
  }

  /** Opens a store at `root`, creating it (with the `Default` experiment, id "0") if needed. */
  static async open(root: string): Promise<LocalStore> {
    const store = new LocalStore(root);
    const { layout } = store;
    try {
      await fsp.mkdir(layout.experimentsDir, { recursive: true });
      const marker = (await readJsonFile(layout.marker)) as { version?: unknown } | undefined;
      if (marker === undefined || STORE_FORMAT_UPGRADABLE.includes(marker.version as number)) {
        await writeFileAtomic(layout.marker, `${JSON.stringify({ format: "mltrail-store", version: STORE_FORMAT_VERSION })}\n`);
      } else if (marker.version !== STORE_FORMAT_VERSION) {
        throw new SpoolError(`store format version ${String(marker.version)} is not supported by this mltrail (reads ${STORE_FORMAT_VERSION})`, { path: root });
      }
    } catch (err) {
      if (err instanceof SpoolError) throw err;
      throw new SpoolError(`cannot open the local store: ${(err as Error).message}`, { cause: err, path: root });
    }
    await store.getOrCreateExperiment("Default");
    return store;
  }

  /** All experiments, ordered by id. */
  async listExperiments(): Promise<Experiment[]> {
    return this.experiments.list();
  }

  /** Runs `read`; a damaged document is reported through {@link onDamage} and read as absent. */
  private async skipDamaged<T>(read: () => Promise<T | undefined>): Promise<T | undefined> {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof CorruptDataError)) throw err;
      this.onDamage?.(err);
      return undefined;
    }
  }

  /** The experiment with this name, or undefined. */
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    return this.experiments.byName(name);
  }

  /** The experiment with this id. Throws {@link NotFoundError}. */
  async getExperiment(experimentId: string): Promise<Experiment> {
    return this.experiments.get(experimentId);
  }

  /**
   * Gets an experiment by name, creating it when absent. Safe across processes. Every
   * `startRun` asks: the experiment found last time is reused while a `stat` of its document
   * shows it unchanged (a rename, a deletion or a tag rewrites it), instead of reading every
   * experiment's document again.
   */
  async getOrCreateExperiment(name: string, now: number = Date.now()): Promise<Experiment> {
    return this.experiments.getOrCreate(name, now);
  }

  /** Number of runs in an experiment (for run-name templates). */
  async countRuns(experimentId: string): Promise<number> {
    return this.runCounter.count(this.layout.runsDir(experimentId));
  }

  /**
   * Creates a run's folder. The caller takes the writer lock, then writes the meta with
   * {@link writeRunMeta}: a run is listed only once its meta exists, and by then it is locked.
   */
  async createRunDir(experimentId: string, runId: string): Promise<RunPaths> {
    const paths = new RunPaths(this.layout.runDir(experimentId, runId));
    try {
      // microseconds; a trip through the thread pool per level costs more
      this.runCounter.adding(this.layout.runsDir(experimentId), () => fs.mkdirSync(paths.journal, { recursive: true }));
    } catch (err) {
      await fsp.rm(paths.dir, { recursive: true, force: true }).catch(() => undefined);
      throw storageError(err, `cannot create the folder of run "${runId}"`, paths.dir);
    }
    this.runDirs.set(runId, { experimentId, paths });
    return paths;
  }

  /** Removes the folder of a run whose start failed (it holds no data: its meta was never written). */
  async removeRunDir(runId: string, paths: RunPaths): Promise<void> {
    this.runDirs.delete(runId);
    await fsp.rm(paths.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Writes a run's meta atomically (at its start, and with status and end time at its end). */
  async writeRunMeta(paths: RunPaths, meta: RunMeta): Promise<void> {
    await writeFileAtomic(paths.meta, runMetaText(meta));
  }

  /**
   * Writes a run's meta to a temp file now, to be fsynced alongside other fsyncs and renamed
   * into place by the caller (`commit()`), or dropped (`abort()`).
   */
  stageRunMeta(paths: RunPaths, meta: RunMeta): StagedFile {
    return new StagedFile(paths.meta, runMetaText(meta));
  }

  /**
   * Writes a run's `run.json` synchronously, for exit paths that cannot await. The store owns
   * the file's format: callers never write it themselves.
   */
  static writeRunMetaSync(paths: RunPaths, meta: RunMeta): void {
    writeFileAtomicSync(paths.meta, runMetaText(meta));
  }

  /** Finds a run's folder by id, or undefined. */
  async findRun(runId: string): Promise<{ experimentId: string; paths: RunPaths } | undefined> {
    const cached = this.runDirs.get(runId);
    if (cached !== undefined) return cached;
    if (!/^[\w-]+$/.test(runId)) return undefined;
    // By folder, not by experiment document: a run stays reachable when its experiment's file is damaged.
    for (const experimentId of await this.experiments.ids()) {
      const paths = new RunPaths(this.layout.runDir(experimentId, runId));
      if (await exists(paths.meta)) {
        const found = { experimentId, paths };
        this.runDirs.set(runId, found);
        return found;
      }
    }
    return undefined;
  }

  private async requireRun(runId: string): Promise<RunPaths> {
    const found = await this.findRun(runId);
    if (found === undefined) throw new NotFoundError(`run "${runId}" not found in the local store at ${this.layout.root}`);
    return found.paths;
  }

  /** Reads a run's meta document. Throws {@link CorruptDataError} when it is damaged. */
  async readRunMeta(paths: RunPaths): Promise<RunMeta> {
    return parseRunMeta(await readJsonFile(paths.meta), paths.meta);
  }

  /** Reads a run: its meta plus its folded journal. Throws {@link NotFoundError}. */
  async getRun(runId: string): Promise<RunRecord> {
    const found = await this.findRun(runId);
    if (found === undefined) throw new NotFoundError(`run "${runId}" not found in the local store at ${this.layout.root}`);
    // A long run is read through the run index (its row, plus what was appended since), not
    // re-read; a small one is folded (with the summary cache). A damaged run.json throws below.
    const indexed = (await isLongJournal(found.paths.journal)) ? await this.index.of(found.experimentId).get(runId) : undefined;
    const run = indexed === undefined ? await this.readRunAt(found.paths) : copyRecord(indexed);
    return this.withStage(found.experimentId, run) ?? run;
  }

  /** The run marked `deleted` when its experiment's lifecycle log says so (a copy); undefined when it is active. */
  private withStage(experimentId: string, run: RunRecord, stage = this.lifecycle.state(experimentId)): RunRecord | undefined {
    if (deletedAt(stage, run.info.runId) === undefined) return undefined;
    return { info: { ...run.info, deleted: true }, data: run.data };
  }

  /**
   * What a run has logged so far, for a writer that resumes it (after taking its lock).
   * Throws {@link NotFoundError} for an unknown run. @internal
   */
  async foldRun(runId: string): Promise<{ experimentId: string; paths: RunPaths; meta: RunMeta; state: FoldedRun }> {
    const found = await this.findRun(runId);
    if (found === undefined) throw new NotFoundError(`run "${runId}" not found in the local store at ${this.layout.root}`);
    const meta = await this.readRunMeta(found.paths);
    return { ...found, meta, state: await this.fold(found.paths, runId) };
  }

  /**
   * The run's journal is no longer final (it is being resumed): searches, in every process,
   * check it again until its next end. Call before the journal changes. @internal
   */
  runReopened(experimentId: string, runId: string): void {
    this.index.of(experimentId).reopen(runId);
  }

  /** A run's folded journal (see run-reads.ts); corrupt lines are reported on every call. */
  private async fold(paths: RunPaths, runId: string): Promise<FoldedRun> {
    return foldJournal(paths, runId, (id, at, corrupt) => this.reportCorrupt(id, at, corrupt));
  }

  private reportCorrupt(runId: string, paths: RunPaths, corrupt: readonly CorruptLine[]): void {
    const error = corruptLinesError(runId, paths, corrupt);
    if (error !== undefined) this.onDamage?.(error);
  }

  private async readRunAt(paths: RunPaths): Promise<RunRecord> {
    const meta = await this.readRunMeta(paths);
    return runRecordOf(paths, meta, await this.fold(paths, meta.runId));
  }

  /**
   * A metric's history in logged order, or the part `query` selects (a step range, the first
   * points, a sample). Throws {@link NotFoundError} for an unknown run.
   */
  async getMetricHistory(runId: string, key: string, query?: HistoryQuery): Promise<Metric[]> {
    return (await this.getMetricHistories(runId, [key], query))[key] ?? [];
  }

  /** A run's artifact manifest (path → sha256, size) and dataset inputs, from its journal. */
  async runFiles(runId: string): Promise<{ paths: RunPaths; artifacts: Map<string, { sha256: string; size: number }>; datasets: DatasetRecord[] }> {
    const paths = await this.requireRun(runId);
    const state = await this.fold(paths, runId);
    return { paths, artifacts: state.artifacts, datasets: state.datasets };
  }

  /** Several metrics' histories (all metrics when `keys` is undefined), each selected by `query`. */
  async getMetricHistories(runId: string, keys: readonly string[] | undefined, query?: HistoryQuery): Promise<Record<string, Metric[]>> {
    const paths = await this.requireRun(runId);
    const read = await readHistories(paths, keys, query);
    this.reportCorrupt(runId, paths, read.corrupt);
    return keyedRecord(read.histories);
  }

  /**
   * Every run of the given experiments in the lifecycle stages asked (deleted runs carry
   * `deleted: true`), through the run index (see
   * index/run-index.ts); runs with a damaged `run.json` are reported and skipped. The
   * records are shared with the index: callers copy what they hand out.
   */
  async listRuns(experimentIds: readonly string[], view: RunViewType = "ACTIVE_ONLY"): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    for (const experimentId of experimentIds) {
      const runs = await this.index.of(experimentId).runs();
      // One look at the lifecycle log per experiment, not per run (it is a stat each time).
      const stage = this.lifecycle.state(experimentId);
      if (stage.deleted.size === 0 && stage.allDeletedAt === undefined) {
        if (view !== "DELETED_ONLY") for (const run of runs) out.push(run);
        continue;
      }
      for (const run of runs) {
        const deleted = this.withStage(experimentId, run, stage);
        if (view === "ALL" || (view === "DELETED_ONLY") === (deleted !== undefined)) out.push(deleted ?? run);
      }
    }
    return out;
  }

  /** Adds the row of a run this process ended to its experiment's index. */
  indexEndedRun(experimentId: string, row: IndexRow): void {
    try {
      this.index.of(experimentId).add(row);
    } catch {
      // Derived data: readers fold the run's journal instead.
    }
  }
}

/**
 * The run index of one experiment, held in memory and kept in step with the disk: the index
 * log (rows appended by writers at a run's end and by readers that folded a run), the runs
 * folder (new runs) and, for every run that has not ended, its journal (appends since the
 * row was written). A search then reads no journal of an ended run.
 *
 * Trust rules (the journal is the source of truth):
 * - a row is used only for the journal position it records; a run whose last segment has
 *   another size or time, or another last segment, is folded on from that position;
 * - an ended run's journal is final, so within one process its row is checked once (a
 *   `stat` of its last segment and of its run.json); a run that has not ended is checked on
 *   every search;
 * - a run with no row (a new run, a store written before the index, a row lost) is folded
 *   from its journal, and its row is appended for the next reader.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { CorruptLine } from "../../log/segments.js";
import type { RunRecord } from "../../model/types.js";
import { RunPaths, type StoreLayout } from "../layout.js";
import type { RunMeta } from "../meta.js";
import { emptyRow, isRow, rowToRecord, type IndexRow, type RowMeta } from "./entry.js";
import { rowOf, slotOf, syncSlot, type Slot } from "./slot.js";
import { appendReopen, appendRows, compactLog, INDEX_FILE, readRows } from "./index-log.js";
import { readSnapshot, SNAPSHOT_FILE, writeSnapshot } from "./snapshot.js";
import { sortNatural } from "../order.js";
import { foldTail, LONG_JOURNAL_BYTES, unchanged } from "./tail-fold.js";

/** Rows folded by a reader past this many journal bytes are saved even for a run still going (a checkpoint). */
const CHECKPOINT_BYTES = LONG_JOURNAL_BYTES;
/** Compact when the log holds this many more lines than runs. */
const COMPACT_SLACK = 1000;

/** What the index asks of the store. */
export interface RunIndexHost {
  readonly layout: StoreLayout;
  /** True when a RUNNING run's writer is gone (its process died without ending it). */
  writerGone(paths: RunPaths): Promise<boolean>;
  /** Reports the corrupt journal lines of a run (on every search that returns it). */
  reportCorrupt(runId: string, paths: RunPaths, corrupt: readonly CorruptLine[]): void;
  /** A run's meta; undefined when it has none yet or it is damaged (then reported). */
  readMeta(paths: RunPaths): Promise<RunMeta | undefined>;
}

/** The row fields of a run.json document. */
export function rowMeta(meta: RunMeta): RowMeta {
  return { name: meta.name, startTime: meta.startTime, status: meta.status, endTime: meta.endTime, parentRunId: meta.parentRunId };
}

/** Path of an experiment's index log. */
export function indexFile(layout: StoreLayout, experimentId: string): string {
  return path.join(layout.experimentDir(experimentId), "index", INDEX_FILE);
}

/** Write the snapshot at most this often per process (it holds the whole index). */
const SNAPSHOT_INTERVAL_MS = 1000;

/** One experiment's index. */
export class ExperimentIndex {
  private slots = new Map<string, Slot>();
  private readonly file: string;
  private readonly snapFile: string;
  private readonly runsDir: string;
  private ino: number | undefined;
  private offset = 0;
  private lines = 0;
  private runsMtime = -1;
  private runIds: readonly string[] = [];
  private loaded = false;
  /** Something changed since the snapshot was read or written. */
  private snapStale = true;
  private snapWritten = 0;
  /** The records of the last search, and the same sorted in natural order. */
  private last: RunRecord[] = [];
  private sorted: RunRecord[] = [];

  constructor(
    private readonly host: RunIndexHost,
    readonly experimentId: string,
  ) {
    this.file = indexFile(host.layout, experimentId);
    this.snapFile = path.join(path.dirname(this.file), SNAPSHOT_FILE);
    this.runsDir = host.layout.runsDir(experimentId);
  }

  /** Starts from the snapshot when it was taken from the log there is now. */
  private load(): void {
    this.loaded = true;
    const snap = readSnapshot(this.snapFile);
    if (snap === undefined) return;
    let st: fs.Stats;
    try {
      st = fs.statSync(this.file);
    } catch {
      return;
    }
    if (st.ino !== snap.ino || st.size < snap.offset) return;
    this.ino = snap.ino;
    this.offset = snap.offset;
    this.lines = snap.lines;
    this.runsMtime = snap.runsMtime;
    this.runIds = snap.ids;
    this.slots = snap.slots;
    this.snapStale = false;
  }

  private readLog(): void {
    const read = readRows(this.file, this.offset, this.ino);
    if (read === undefined) return;
    if (read.ino !== this.ino && this.ino !== undefined) this.lines = 0;
    if (read.rows.length > 0 || read.ino !== this.ino) this.snapStale = true;
    this.ino = read.ino;
    this.offset = read.end;
    this.lines += read.lines;
    for (const entry of read.rows) {
      if (!isRow(entry)) {
        const slot = this.slots.get(entry.reopened);
        if (slot !== undefined) {
          slot.reopened = true;
          slot.checked = false;
        }
        continue;
      }
      const slot = this.slots.get(entry.runId);
      // A row never replaces a fresher view of the same journal.
      if (slot !== undefined && (slot.lastSeq > entry.lastSeq || (slot.ended && entry.end === undefined))) continue;
      this.slots.set(entry.runId, slotOf(this.experimentId, entry));
    }
  }

  private listRuns(): void {
    const dir = this.runsDir;
    let mtime: number;
    try {
      mtime = fs.statSync(dir).mtimeMs;
    } catch {
      this.runIds = [];
      return;
    }
    if (mtime === this.runsMtime) return;
    this.runsMtime = mtime;
    this.runIds = fs.readdirSync(dir);
    this.snapStale = true;
  }

  /**
   * Every run of the experiment, up to date with the journals, in natural order (start time
   * descending, then run id). The array and records are shared: copy before handing out.
   */
  async runs(): Promise<readonly RunRecord[]> {
    if (!this.loaded) this.load();
    this.readLog();
    this.listRuns();
    const toSave: IndexRow[] = [];
    const out: RunRecord[] = [];
    for (const runId of this.runIds) {
      const slot = this.slots.get(runId);
      // An ended run checked once (in this process, or by the snapshot's writer) needs no I/O.
      const record = slot?.checked === true && slot.ended && !slot.corrupt && !slot.reopened ? slot.record : await this.refresh(runId, toSave);
      if (record !== undefined) out.push(record);
    }
    if (toSave.length > 0) this.save(toSave);
    if (this.lines > this.slots.size + COMPACT_SLACK) await this.compact();
    if (out.length !== this.last.length || out.some((r, i) => r !== this.last[i])) {
      this.last = out;
      this.sorted = sortNatural(out);
    }
    if (this.snapStale && Date.now() - this.snapWritten >= SNAPSHOT_INTERVAL_MS) this.writeSnapshot();
    return this.sorted;
  }

  private async compact(): Promise<void> {
    const done = await compactLog(this.file);
    if (done === undefined) return;
    this.lines = this.slots.size;
    // Every row this process read is in the new file up to `end`: read on from there.
    if (done.oldEnd === this.offset && this.ino !== undefined) {
      this.ino = done.ino;
      this.offset = done.end;
    }
    this.snapStale = true;
  }

  /** Saves what this process checked, for the next process to start from. */
  private writeSnapshot(): void {
    if (this.ino === undefined) return;
    const head = { ino: this.ino, offset: this.offset, lines: this.lines, runsMtime: this.runsMtime, ids: this.runIds };
    if (writeSnapshot(this.snapFile, head, this.slots)) {
      this.snapStale = false;
      this.snapWritten = Date.now();
    }
  }

  /**
   * One run, up to date with its journal (checked on every call); undefined when it has no
   * readable run.json. The record is shared: copy before handing out.
   */
  async get(runId: string): Promise<RunRecord | undefined> {
    if (!this.loaded) this.load();
    this.readLog();
    const slot = this.slots.get(runId);
    if (slot !== undefined) slot.checked = false;
    const toSave: IndexRow[] = [];
    const record = await this.refresh(runId, toSave);
    if (toSave.length > 0) this.save(toSave);
    // Searches check the run again: a change after this read is still noticed by them.
    const after = this.slots.get(runId);
    if (after !== undefined) after.checked = false;
    return record;
  }

  /** Appends rows; when nothing else was appended meanwhile, this process need not read them back. */
  private save(rows: readonly IndexRow[]): void {
    try {
      const at = appendRows(this.file, rows);
      if (at === undefined) return;
      if (at.ino === this.ino && at.end - at.bytes === this.offset) this.offset = at.end;
      this.lines += rows.length;
      this.snapStale = true;
    } catch {
      // Best effort: the next reader folds these runs again.
    }
  }

  private async refresh(runId: string, toSave: IndexRow[]): Promise<RunRecord | undefined> {
    let slot = this.slots.get(runId);
    // Plain concatenation: this runs once per run per search (path.join showed in profiles).
    const dir = `${this.runsDir}${path.sep}${runId}`;
    const paths = new RunPaths(dir);
    if (slot?.ended === true && slot.record !== undefined && !slot.reopened) {
      // An ended run's journal is final: a stat of it and of run.json confirms its row.
      const row = rowOf(slot);
      if (!slot.checked && unchanged(row, `${dir}${path.sep}journal`) && mtimeOf(`${dir}${path.sep}run.json`) === row.metaMtimeMs) {
        slot.checked = true;
        this.snapStale = true;
      }
      if (slot.checked) {
        if (slot.corrupt) this.host.reportCorrupt(runId, paths, row.corrupt);
        return slot.record;
      }
    }
    const metaMtimeMs = mtimeOf(paths.meta);
    const read = await this.host.readMeta(paths);
    if (read === undefined) return undefined; // being created, damaged (reported), or not a run
    if (slot === undefined) {
      slot = slotOf(this.experimentId, emptyRow(runId, rowMeta(read)));
      this.slots.set(runId, slot);
    }
    const row = rowOf(slot);
    row.meta = rowMeta(read);
    const metaChanged = row.metaMtimeMs !== metaMtimeMs;
    row.metaMtimeMs = metaMtimeMs;
    const fold = await foldTail(row, paths.journal);
    const changed = fold.changed || metaChanged;
    syncSlot(slot, row);
    if (row.corrupt.length > 0) this.host.reportCorrupt(runId, paths, row.corrupt);
    // A resumed run's row is saved only once it ended again, by its writer: that row ends its reopen mark.
    if (changed && ((row.end !== undefined && !slot.reopened) || fold.bytesRead >= CHECKPOINT_BYTES)) toSave.push(row);
    const crashed = row.end === undefined && row.meta.status === "RUNNING" && (await this.host.writerGone(paths));
    if (changed || !slot.checked || slot.record === undefined || crashed !== slot.crashed) {
      slot.record = rowToRecord(this.experimentId, row, crashed);
      slot.crashed = crashed;
      this.snapStale = true;
    }
    slot.checked = true;
    return slot.record;
  }

  /**
   * Marks a run as resumed, before its journal changes: the mark goes to the log (for other
   * processes and the snapshot), so the run is checked on every search until its next end.
   * Throws when the mark can be neither written nor made unneeded (the snapshot removed).
   */
  reopen(runId: string): void {
    const slot = this.slots.get(runId);
    if (slot !== undefined) {
      slot.checked = false;
      slot.reopened = true;
    }
    try {
      appendReopen(this.file, runId);
    } catch (err) {
      // Without the mark no snapshot may be trusted: remove it (the log's rows are then checked one by one).
      fs.rmSync(this.snapFile, { force: true });
      if (fs.existsSync(this.snapFile)) throw err;
    }
  }

  /** Records the row of a run this process ended, in memory and in the log (checked once by the next search). */
  add(row: IndexRow): void {
    this.save([row]);
    this.slots.set(row.runId, slotOf(this.experimentId, row));
  }
}

/** A file's modification time, or undefined when it cannot be read. */
export function mtimeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The run indexes of a store's experiments, loaded on first use. */
export class RunIndex {
  private readonly experiments = new Map<string, ExperimentIndex>();

  constructor(private readonly host: RunIndexHost) {}

  /** The index of one experiment. */
  of(experimentId: string): ExperimentIndex {
    let index = this.experiments.get(experimentId);
    if (index === undefined) {
      index = new ExperimentIndex(this.host, experimentId);
      this.experiments.set(experimentId, index);
    }
    return index;
  }
}

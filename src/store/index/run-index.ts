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
import { emptyRow, rowToRecord, type IndexRow, type RowMeta } from "./entry.js";
import { appendRows, compactLog, INDEX_FILE, readRows } from "./index-log.js";
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

interface Slot {
  row: IndexRow;
  /** Checked against its journal in this process (ended runs only need it once). */
  checked: boolean;
  record: RunRecord | undefined;
  crashed: boolean;
}

/** One experiment's index. */
export class ExperimentIndex {
  private readonly slots = new Map<string, Slot>();
  private readonly file: string;
  private readonly runsDir: string;
  private ino: number | undefined;
  private offset = 0;
  private lines = 0;
  private runsMtime = -1;
  private runIds: string[] = [];

  constructor(
    private readonly host: RunIndexHost,
    readonly experimentId: string,
  ) {
    this.file = indexFile(host.layout, experimentId);
    this.runsDir = host.layout.runsDir(experimentId);
  }

  private readLog(): void {
    const read = readRows(this.file, this.offset, this.ino);
    if (read === undefined) return;
    if (read.ino !== this.ino && this.ino !== undefined) this.lines = 0;
    this.ino = read.ino;
    this.offset = read.end;
    this.lines += read.lines;
    for (const row of read.rows) {
      const slot = this.slots.get(row.runId);
      // A row never replaces a fresher view of the same journal.
      if (slot !== undefined && (slot.row.lastSeq > row.lastSeq || (slot.row.end !== undefined && row.end === undefined))) continue;
      this.slots.set(row.runId, {
        row,
        checked: false,
        record: row.end === undefined ? undefined : rowToRecord(this.experimentId, row, false),
        crashed: false,
      });
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
  }

  /** Every run of the experiment, up to date with the journals. Records are shared: copy before handing out. */
  async runs(): Promise<RunRecord[]> {
    this.readLog();
    this.listRuns();
    const toSave: IndexRow[] = [];
    const out: RunRecord[] = [];
    for (const runId of this.runIds) {
      const record = await this.refresh(runId, toSave);
      if (record !== undefined) out.push(record);
    }
    if (toSave.length > 0) this.save(toSave);
    if (this.lines > this.slots.size + COMPACT_SLACK) {
      if (await compactLog(this.file)) this.lines = this.slots.size;
    }
    return out;
  }

  /**
   * One run, up to date with its journal (checked on every call); undefined when it has no
   * readable run.json. The record is shared: copy before handing out.
   */
  async get(runId: string): Promise<RunRecord | undefined> {
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
    } catch {
      // Best effort: the next reader folds these runs again.
    }
  }

  private async refresh(runId: string, toSave: IndexRow[]): Promise<RunRecord | undefined> {
    let slot = this.slots.get(runId);
    // Plain concatenation: this runs once per run per search (path.join showed in profiles).
    const dir = `${this.runsDir}${path.sep}${runId}`;
    if (slot?.checked === true && slot.row.end !== undefined && slot.record !== undefined && slot.row.corrupt.length === 0) return slot.record;
    const paths = new RunPaths(dir);
    if (slot?.row.end !== undefined && slot.record !== undefined) {
      // An ended run's journal is final: a stat of it and of run.json confirms its row.
      if (!slot.checked && unchanged(slot.row, `${dir}${path.sep}journal`) && mtimeOf(`${dir}${path.sep}run.json`) === slot.row.metaMtimeMs)
        slot.checked = true;
      if (slot.checked) {
        if (slot.row.corrupt.length > 0) this.host.reportCorrupt(runId, paths, slot.row.corrupt);
        return slot.record;
      }
    }
    const metaMtimeMs = mtimeOf(paths.meta);
    const read = await this.host.readMeta(paths);
    if (read === undefined) return undefined; // being created, damaged (reported), or not a run
    if (slot === undefined) {
      slot = { row: emptyRow(runId, rowMeta(read)), checked: false, record: undefined, crashed: false };
      this.slots.set(runId, slot);
    } else slot.row.meta = rowMeta(read);
    const { row } = slot;
    const metaChanged = row.metaMtimeMs !== metaMtimeMs;
    row.metaMtimeMs = metaMtimeMs;
    const fold = await foldTail(row, paths.journal);
    const changed = fold.changed || metaChanged;
    if (row.corrupt.length > 0) this.host.reportCorrupt(runId, paths, row.corrupt);
    if (changed && (row.end !== undefined || fold.bytesRead >= CHECKPOINT_BYTES)) toSave.push(row);
    slot.checked = true;
    const crashed = row.end === undefined && row.meta.status === "RUNNING" && (await this.host.writerGone(paths));
    if (changed || slot.record === undefined || crashed !== slot.crashed) {
      slot.record = rowToRecord(this.experimentId, row, crashed);
      slot.crashed = crashed;
    }
    return slot.record;
  }

  /** Makes the next search check the run again: it was resumed, so its journal is no longer final. */
  recheck(runId: string): void {
    const slot = this.slots.get(runId);
    if (slot !== undefined) slot.checked = false;
  }

  /** Records the row of a run this process ended, in memory and in the log (checked once by the next search). */
  add(row: IndexRow): void {
    this.save([row]);
    this.slots.set(row.runId, { row, checked: false, record: rowToRecord(this.experimentId, row, false), crashed: false });
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

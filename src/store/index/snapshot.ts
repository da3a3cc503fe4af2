/**
 * The snapshot of an experiment's run index (`index/runs.snap`): every row a search checked,
 * in one file, so that a new process reads one file instead of checking each ended run's
 * journal (two `stat`s per run, most of a cold search at 10,000 runs).
 *
 * It is derived data, valid only with the index log it was taken from: it names the log's
 * inode and the offset it had read up to. A reader takes its rows as checked, then reads the
 * log past that offset; every row appended since (a run that ended, a row a reader folded)
 * and every reopen mark (a run resumed) makes that run be checked against its journal again.
 * An ended run's journal changes only when the run is resumed, and resuming appends a reopen
 * mark first, so an ended row of the snapshot is never trusted over a journal that moved on.
 * Runs that have not ended are checked on every search, as without a snapshot.
 *
 * One line, `<crc32 hex8> <json>`: a torn or damaged file fails its checksum and is ignored.
 * It is written to a temp file and renamed into place, so a SIGKILL leaves the old snapshot
 * or the new one; deleting it is always safe.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { crc32 } from "../../log/crc.js";
import type { RunRecord } from "../../model/types.js";
import { rowDoc } from "./entry.js";
import { rowOf, type Slot } from "./slot.js";
import { LONG_JOURNAL_BYTES } from "./tail-fold.js";

const FIRST_SEGMENT = "0000000000000001.jsonl";

/** File name of the snapshot inside an experiment's `index/` folder. */
export const SNAPSHOT_FILE = "runs.snap";
const FORMAT = "mltrail-index-snapshot";
const VERSION = 1;

/** Where the snapshot stands in the index log and the runs folder. */
export interface SnapshotHead {
  /** Inode of the index log it was taken from. */
  readonly ino: number;
  /** Offset of that log up to which its lines are in the snapshot. */
  readonly offset: number;
  /** Lines of the log up to `offset` (for deciding when to compact). */
  readonly lines: number;
  /** Modification time (ms) of the runs folder when it was listed. */
  readonly runsMtime: number;
  /** Every run folder name then, with a row or not. */
  readonly ids: readonly string[];
}

/** A read snapshot: its head and its runs. */
export interface Snapshot extends SnapshotHead {
  readonly slots: Map<string, Slot>;
}

/**
 * One run: `row` is the row's JSON text (parsed only when the run is folded further); a
 * trusted ended run (`t`) also has its record (`i` info, `d` data, metric values that JSON
 * cannot hold as strings, `nf` set then), so loading it builds nothing. `o`: reopened.
 */
interface Entry {
  q: number;
  e?: 1;
  c?: 1;
  o?: 1;
  t?: 1;
  i?: RunRecord["info"];
  d?: { params: Record<string, string>; metrics: Record<string, number | string>; tags: Record<string, string> };
  nf?: 1;
  row?: string;
}

interface SnapshotDoc {
  format: string;
  version: number;
  log: [number, number, number];
  /** The runs folder's time, and its names that have no entry. */
  runs: [number, string[]];
  entries: Entry[];
}

const SPECIAL: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, "-Infinity": Number.NEGATIVE_INFINITY, "-0": -0 };

function slotOfEntry(e: Entry): Slot {
  let record: RunRecord | undefined;
  if (e.t === 1 && e.i !== undefined && e.d !== undefined) {
    if (e.nf === 1)
      for (const k of Object.keys(e.d.metrics)) if (typeof e.d.metrics[k] === "string") e.d.metrics[k] = SPECIAL[e.d.metrics[k] as string] as number;
    record = { info: e.i, data: e.d as RunRecord["data"] };
  }
  const trusted = record !== undefined;
  if (record === undefined && e.row === undefined) throw new TypeError("a snapshot entry with neither row nor record");
  return { row: undefined, raw: e.row, lastSeq: e.q, ended: e.e === 1, corrupt: e.c === 1, checked: trusted, record, crashed: false, reopened: e.o === 1 };
}

/** Reads a snapshot; undefined when there is none, or it is damaged or of another version. */
export function readSnapshot(file: string): Snapshot | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  if (buf.length < 10 || buf[8] !== 0x20) return undefined;
  let end = buf.length;
  if (buf[end - 1] === 0x0a) end--;
  if (crc32(buf.subarray(9, end)) !== Number.parseInt(buf.toString("latin1", 0, 8), 16)) return undefined;
  let doc: SnapshotDoc;
  try {
    doc = JSON.parse(buf.toString("utf8", 9, end)) as SnapshotDoc;
  } catch {
    return undefined;
  }
  if (doc.format !== FORMAT || doc.version !== VERSION || !Array.isArray(doc.entries) || !Array.isArray(doc.log) || !Array.isArray(doc.runs)) return undefined;
  const slots = new Map<string, Slot>();
  const [ino, offset, lines] = doc.log;
  const [runsMtime, others] = doc.runs;
  const ids: string[] = [];
  for (const e of doc.entries) {
    const slot = slotOfEntry(e);
    const runId = e.i?.runId ?? rowOf(slot).runId;
    slots.set(runId, slot);
    ids.push(runId);
  }
  for (const id of others) ids.push(id);
  return { ino, offset, lines, runsMtime, ids, slots };
}

/** True when re-folding the run from the start would cost: its row is kept to fold on from its position. */
function longRow(slot: Slot): boolean {
  const pos = slot.row?.position;
  return slot.raw !== undefined || (pos !== undefined && (pos.offset >= LONG_JOURNAL_BYTES || pos.segment !== FIRST_SEGMENT));
}

function entryOf(slot: Slot): Entry {
  const e: Entry = { q: slot.lastSeq };
  if (slot.ended) e.e = 1;
  if (slot.corrupt) e.c = 1;
  if (slot.reopened) e.o = 1;
  const r = slot.record;
  if (slot.checked && slot.ended && !slot.reopened && !slot.corrupt && r !== undefined) {
    e.t = 1;
    e.i = r.info;
    let metrics: Record<string, number | string> = r.data.metrics;
    for (const k of Object.keys(metrics)) {
      const v = metrics[k] as number;
      if (!Number.isFinite(v) || Object.is(v, -0)) {
        if (e.nf === undefined) metrics = { ...metrics };
        e.nf = 1;
        metrics[k] = Object.is(v, -0) ? "-0" : String(v);
      }
    }
    e.d = { params: r.data.params, metrics, tags: r.data.tags };
  }
  if (e.t === undefined || longRow(slot)) e.row = slot.raw ?? JSON.stringify(rowDoc(rowOf(slot)));
  return e;
}

/**
 * Writes a snapshot of `slots` (temp file, then rename). Best effort: false when it could not
 * be written. Ended runs not checked in this process are left out (the next process checks them).
 */
export function writeSnapshot(file: string, head: SnapshotHead, slots: ReadonlyMap<string, Slot>): boolean {
  const entries: Entry[] = [];
  const others: string[] = [];
  for (const runId of head.ids) {
    const slot = slots.get(runId);
    if (slot !== undefined && (slot.checked || !slot.ended || slot.reopened)) entries.push(entryOf(slot));
    else others.push(runId);
  }
  const doc: SnapshotDoc = { format: FORMAT, version: VERSION, log: [head.ino, head.offset, head.lines], runs: [head.runsMtime, others], entries };
  const json = JSON.stringify(doc);
  const tmp = path.join(path.dirname(file), `.${SNAPSHOT_FILE}.${process.pid}.tmp`);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`);
    fs.renameSync(tmp, file);
    return true;
  } catch {
    fs.rmSync(tmp, { force: true });
    return false;
  }
}

/**
 * What an experiment's index holds of one run in memory: its row (parsed lazily when it came
 * from the snapshot, where a trusted ended run only needs its record), its record, and how far
 * it was checked against its journal.
 */
import type { RunRecord } from "../../model/types.js";
import { emptyRow, rowFromDoc, rowToRecord, type IndexRow, type RowDoc } from "./entry.js";

/** One run of the index. */
export interface Slot {
  /** The row; undefined until needed when the slot came from the snapshot (then `raw` holds it). */
  row: IndexRow | undefined;
  /** The row's JSON text, as the snapshot stored it. */
  raw: string | undefined;
  /** The row's last sequence number folded. */
  lastSeq: number;
  /** The row has an end record. */
  ended: boolean;
  /** The row lists corrupt journal lines (reported on every search). */
  corrupt: boolean;
  /** Checked against its journal in this process (ended runs only need it once). */
  checked: boolean;
  record: RunRecord | undefined;
  crashed: boolean;
  /** Resumed after this row: checked on every search until a later row (its next end). */
  reopened: boolean;
}

/** A slot for a row read from the log or folded here (not checked yet). */
export function slotOf(experimentId: string, row: IndexRow): Slot {
  return {
    row,
    raw: undefined,
    lastSeq: row.lastSeq,
    ended: row.end !== undefined,
    corrupt: row.corrupt.length > 0,
    checked: false,
    record: row.end === undefined ? undefined : rowToRecord(experimentId, row, false),
    crashed: false,
    reopened: false,
  };
}

/**
 * The slot's row, parsed from the snapshot's text on first use. A snapshot keeps no row for a
 * short ended run (it only needs its record): its row is then an empty one at no journal
 * position, which the next check folds from the start.
 */
export function rowOf(slot: Slot): IndexRow {
  if (slot.row === undefined) {
    const info = slot.record?.info;
    const row = slot.raw === undefined ? undefined : rowFromDoc(JSON.parse(slot.raw) as RowDoc);
    if (row !== undefined) slot.row = row;
    else if (info !== undefined) {
      slot.row = emptyRow(info.runId, {
        name: info.name,
        startTime: info.startTime,
        status: info.status,
        endTime: info.endTime,
        parentRunId: info.parentRunId,
      });
      slot.lastSeq = 0;
      slot.ended = false;
    } else throw new TypeError("a snapshot entry with neither row nor record"); // the snapshot never writes one
  }
  return slot.row;
}

/** Keeps the slot's summary fields in step with its row after a fold. */
export function syncSlot(slot: Slot, row: IndexRow): void {
  slot.row = row;
  slot.raw = undefined;
  slot.lastSeq = row.lastSeq;
  slot.ended = row.end !== undefined;
  slot.corrupt = row.corrupt.length > 0;
}

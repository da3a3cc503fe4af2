/**
 * The lifecycle log of one experiment (`experiments/<id>/lifecycle.log`): which runs are
 * deleted. It is source data, not derived (the run index never holds it, so rebuilding the
 * index cannot bring a deleted run back), and it is append-only:
 *
 * - a run record `{"r":"<runId>","d":1,"ts":…}` deletes one run (`"d":0` restores it);
 * - an experiment record `{"x":1,"d":1,"ts":…}` deletes every run of the experiment (`"d":0`
 *   restores every one), as MLflow's delete and restore of an experiment do.
 *
 * The last record that names a run decides. Lines are framed as journal lines
 * (`<crc32 hex8> <json>`); each append begins with a newline and is fsynced before the call
 * returns, so a torn line of a killed appender stays its own line and is skipped, and a
 * deletion that returned survives a crash.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { crc32 } from "../log/crc.js";
import { storageError } from "../log/fs-errors.js";
import type { RunViewType } from "../model/types.js";

/** File name of an experiment's lifecycle log in its folder. */
export const LIFECYCLE_FILE = "lifecycle.log";

/** The run view types, for argument checks. */
export const RUN_VIEW_TYPES: readonly RunViewType[] = ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"];

/** One record of the log. */
export type LifecycleRecord = { readonly r: string; readonly d: 0 | 1; readonly ts: number } | { readonly x: 1; readonly d: 0 | 1; readonly ts: number };

/** The folded log: the stage of every run it names, and the stage of runs it does not name. */
export interface LifecycleState {
  /** Deletion time of each deleted run named (or covered by an experiment record). */
  readonly deleted: ReadonlyMap<string, number>;
  /** Runs restored by name after an experiment-wide deletion. */
  readonly restored: ReadonlySet<string>;
  /** Time of the last experiment-wide deletion still in force: runs not named since are deleted. */
  readonly allDeletedAt: number | undefined;
}

const EMPTY: LifecycleState = { deleted: new Map(), restored: new Set(), allDeletedAt: undefined };

/** True when `runId` is deleted in `state`; its deletion time then. */
export function deletedAt(state: LifecycleState, runId: string): number | undefined {
  const at = state.deleted.get(runId);
  if (at !== undefined) return at;
  return state.allDeletedAt !== undefined && !state.restored.has(runId) ? state.allDeletedAt : undefined;
}

/** Folds the lines of a log; damaged lines are skipped. */
export function foldLifecycle(text: string): LifecycleState {
  const deleted = new Map<string, number>();
  const restored = new Set<string>();
  let allDeletedAt: number | undefined;
  for (const line of text.split("\n")) {
    if (line.length < 10 || line.charCodeAt(8) !== 0x20) continue;
    const json = line.slice(9);
    if (crc32(json) !== Number.parseInt(line.slice(0, 8), 16)) continue;
    let rec: Partial<{ r: unknown; x: unknown; d: unknown; ts: unknown }>;
    try {
      rec = JSON.parse(json) as typeof rec;
    } catch {
      continue;
    }
    if ((rec.d !== 0 && rec.d !== 1) || typeof rec.ts !== "number") continue;
    if (rec.x === 1) {
      deleted.clear();
      restored.clear();
      allDeletedAt = rec.d === 1 ? rec.ts : undefined;
    } else if (typeof rec.r === "string") {
      if (rec.d === 1) {
        deleted.set(rec.r, rec.ts);
        restored.delete(rec.r);
      } else {
        deleted.delete(rec.r);
        restored.add(rec.r);
      }
    }
  }
  return { deleted, restored, allDeletedAt };
}

/** Encodes one record as a log line (newline excluded). */
export function encodeLifecycle(record: LifecycleRecord): string {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}`;
}

/** The lifecycle logs of a store, read again only when a file changed. */
export class LifecycleLogs {
  private readonly cache = new Map<string, { size: number; mtimeMs: number; state: LifecycleState }>();

  /** @param fileOf the log's path for an experiment id. */
  constructor(private readonly fileOf: (experimentId: string) => string) {}

  /** The folded log of an experiment (empty when it has none). */
  state(experimentId: string): LifecycleState {
    const file = this.fileOf(experimentId);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      this.cache.delete(experimentId);
      return EMPTY;
    }
    const cached = this.cache.get(experimentId);
    if (cached !== undefined && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return cached.state;
    const state = foldLifecycle(fs.readFileSync(file, "utf8"));
    this.cache.set(experimentId, { size: st.size, mtimeMs: st.mtimeMs, state });
    return state;
  }

  /** Appends records durably (fsynced, and the folder too when the log is new). */
  append(experimentId: string, records: readonly LifecycleRecord[]): void {
    const file = this.fileOf(experimentId);
    const text = `\n${records.map(encodeLifecycle).join("\n")}\n`;
    try {
      const isNew = !fs.existsSync(file);
      const fd = fs.openSync(file, "a");
      try {
        fs.writeSync(fd, text);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      if (isNew) fsyncDirSync(path.dirname(file));
    } catch (err) {
      throw storageError(err, "cannot record the deletion or restore", file);
    }
    this.cache.delete(experimentId);
  }
}

function fsyncDirSync(dir: string): void {
  try {
    const fd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a folder; the file itself is synced.
  }
}

/**
 * How a LocalStore reads one run: its journal folded (through the summary cache), the record
 * built from its meta and that fold, whether its writer is gone, and the report of corrupt
 * journal lines. Plain functions; the store supplies where damage is reported.
 */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import { CorruptDataError } from "../errors.js";
import { readLock, lockIsStale } from "../log/lock.js";
import { forEachSegment, type CorruptLine } from "../log/segments.js";
import type { RunRecord, RunStatus } from "../model/types.js";
import { defined } from "../internal/defined.js";
import { keyedRecord } from "../internal/keyed.js";
import { emptyFold, foldRecords, type FoldedRun } from "./fold.js";
import type { RunPaths } from "./layout.js";
import type { RunMeta } from "./meta.js";
import { journalFingerprint, readSummary, writeSummary } from "./summary.js";

/** Reports a run's corrupt journal lines (nothing when there are none). */
export type CorruptReport = (runId: string, paths: RunPaths, corrupt: readonly CorruptLine[]) => void;

/**
 * A run's folded journal: from the summary cache when it is valid, else folded (and cached
 * once ended). Corrupt lines are reported on every call, cached or not.
 */
export async function foldJournal(paths: RunPaths, runId: string, reportCorrupt: CorruptReport): Promise<FoldedRun> {
  const fingerprint = await journalFingerprint(paths.journal);
  const cached = await readSummary(paths.dir, fingerprint);
  if (cached !== undefined) {
    reportCorrupt(runId, paths, cached.corrupt);
    return cached.state;
  }
  const state = emptyFold();
  const report = await forEachSegment(paths.journal, 0, (records) => foldRecords(state, records));
  reportCorrupt(runId, paths, report.corrupt);
  if (state.end !== undefined && report.tailBytes === 0) await writeSummary(paths.dir, fingerprint, state, report.corrupt);
  return state;
}

/** The error that reports a run's corrupt journal lines, or undefined when there are none. */
export function corruptLinesError(runId: string, paths: RunPaths, corrupt: readonly CorruptLine[]): CorruptDataError | undefined {
  if (corrupt.length === 0) return undefined;
  const first = corrupt[0] as CorruptLine;
  const where = corrupt
    .slice(0, 5)
    .map((c) => `${c.segment} line ${c.line}`)
    .join(", ");
  const more = corrupt.length > 5 ? `, … ${corrupt.length - 5} more` : "";
  return new CorruptDataError(`run ${runId}: ${corrupt.length} corrupt journal line(s) skipped (${where}${more}): ${first.reason}`, {
    path: paths.journal,
    runId,
    corruptLines: corrupt.length,
  });
}

/** A run's record from its meta and folded journal; a RUNNING run whose writer is gone reads as crashed (KILLED). */
export async function runRecordOf(paths: RunPaths, meta: RunMeta, state: FoldedRun): Promise<RunRecord> {
  let status: RunStatus = state.end?.status ?? meta.status;
  let crashed = false;
  if (status === "RUNNING" && (await writerGone(paths))) {
    status = "KILLED";
    crashed = true;
  }
  const endTime = state.end?.time ?? meta.endTime;
  return {
    info: {
      runId: meta.runId,
      experimentId: meta.experimentId,
      name: state.tags.get("mlflow.runName") ?? meta.name,
      status,
      startTime: meta.startTime,
      ...defined({ endTime }),
      ...defined({ parentRunId: meta.parentRunId }),
      ...(crashed ? { crashed } : {}),
    },
    data: {
      params: keyedRecord(state.params),
      metrics: keyedRecord([...state.latest].map(([key, point]) => [key, point.value] as const)),
      tags: keyedRecord(state.tags),
    },
  };
}

/** True when a RUNNING run has no live writer: its process died without ending it. */
export async function writerGone(paths: RunPaths): Promise<boolean> {
  const owner = await readLock(paths.lock);
  return owner === undefined || (owner.host === os.hostname() && lockIsStale(owner));
}

/** Whether a file exists (without reading it). */
export async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}

/** The text of a run's `run.json`. */
export function runMetaText(meta: RunMeta): string {
  return `${JSON.stringify(meta, null, 2)}\n`;
}

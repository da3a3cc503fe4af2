/**
 * A cache of a finished run's folded journal (`summary.json` in the run folder), so reading
 * the run does not re-parse a journal of millions of lines. It is written by the first read
 * after the run ended and is valid only while the journal's total size is the one it
 * records; any append (e.g. a drain marking a crashed run KILLED) makes it stale.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { readJsonFile, writeFileAtomic } from "../log/atomic.js";
import { decodeMetricValue, type DatasetRecord } from "../log/record.js";
import { listSegments } from "../log/segments.js";
import { emptyFold, type FoldedRun } from "./fold.js";

const FILE = "summary.json";

interface SummaryDoc {
  format: "mltrail-summary";
  version: 1;
  journalBytes: number;
  lastSeq: number;
  params: Record<string, string>;
  tags: Record<string, string>;
  latest: [string, { value: number | string; step: number; timestamp: number }][];
  end: FoldedRun["end"];
  artifacts: [string, { sha256: string; size: number }][];
  datasets: DatasetRecord[];
}

/** Total bytes of a journal's segments. */
export async function journalBytes(journalDir: string): Promise<number> {
  let total = 0;
  for (const seg of await listSegments(journalDir)) total += (await fsp.stat(path.join(journalDir, seg.name))).size;
  return total;
}

function encode(value: number): number | string {
  if (Number.isFinite(value) && !Object.is(value, -0)) return value;
  return Number.isNaN(value) ? "NaN" : Object.is(value, -0) ? "-0" : value > 0 ? "Infinity" : "-Infinity";
}

function decode(value: number | string): number {
  return value === "-0" ? -0 : decodeMetricValue(value);
}

/** The cached fold of a run, when it is still valid for `bytes` of journal. */
export async function readSummary(runDir: string, bytes: number): Promise<FoldedRun | undefined> {
  const doc = (await readJsonFile(path.join(runDir, FILE)).catch(() => undefined)) as SummaryDoc | undefined;
  if (doc?.format !== "mltrail-summary" || doc.version !== 1 || doc.journalBytes !== bytes) return undefined;
  const state = emptyFold();
  Object.assign(state.params, doc.params);
  Object.assign(state.tags, doc.tags);
  for (const [k, p] of doc.latest) state.latest.set(k, { value: decode(p.value), step: p.step, timestamp: p.timestamp });
  for (const [p, a] of doc.artifacts) state.artifacts.set(p, a);
  state.datasets.push(...doc.datasets);
  state.end = doc.end;
  state.lastSeq = doc.lastSeq;
  return state;
}

/** Caches the fold of a finished run (best effort: a failure only means the next read folds again). */
export async function writeSummary(runDir: string, bytes: number, state: FoldedRun): Promise<void> {
  const doc: SummaryDoc = {
    format: "mltrail-summary",
    version: 1,
    journalBytes: bytes,
    lastSeq: state.lastSeq,
    params: { ...state.params },
    tags: { ...state.tags },
    latest: [...state.latest].map(([k, p]) => [k, { value: encode(p.value), step: p.step, timestamp: p.timestamp }]),
    end: state.end,
    artifacts: [...state.artifacts],
    datasets: state.datasets,
  };
  await writeFileAtomic(path.join(runDir, FILE), JSON.stringify(doc)).catch(() => undefined);
}

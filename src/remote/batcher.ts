/**
 * Cuts a run's pending journal records into log-batch requests within a backend's limits.
 * Pure: no I/O, no clock.
 */
import type { ArtifactRecord, DatasetRecord, EndRecord, JournalRecord, ResumeRecord } from "../log/record.js";
import type { BackendLimits } from "../model/limits.js";
import type { Metric } from "../model/types.js";

/** One log-batch worth of records. */
export interface Batch {
  readonly metrics: Metric[];
  readonly params: { key: string; value: string }[];
  readonly tags: { key: string; value: string }[];
  /** How many records (from the front of the input) the batch covers, including skipped ones. */
  readonly count: number;
  /** Sequence number of the last record covered. */
  readonly lastSeq: number;
}

/** What comes next at the front of the pending records. */
export type NextWork =
  | { readonly kind: "batch"; readonly batch: Batch }
  | { readonly kind: "end"; readonly end: EndRecord }
  | { readonly kind: "artifact"; readonly artifact: ArtifactRecord }
  | { readonly kind: "dataset"; readonly dataset: DatasetRecord }
  | { readonly kind: "reopen"; readonly resume: ResumeRecord }
  | { readonly kind: "idle" };

/** Rough size in bytes of a record in a log-batch body. */
function recordBytes(r: JournalRecord): number {
  if (r.t === "m") return r.k.length + 70;
  if (r.t === "p" || r.t === "t") return r.k.length + r.v.length * 1.2 + 30;
  return 0;
}

/**
 * Takes the next unit of work from `records[start..]`: a batch of metrics/params/tags within
 * `limits` (and at most `maxRecords` records); or, alone and in order, an artifact upload, a
 * dataset input, or the run's end record once everything before it has been sent.
 */
export function nextWork(records: readonly JournalRecord[], start: number, limits: BackendLimits, maxRecords = Number.POSITIVE_INFINITY): NextWork {
  const first = records[start];
  if (first === undefined) return { kind: "idle" };
  if (first.t === "end") {
    // An end the run was resumed from (startRun({ resume })) is not its end: both are skipped,
    // so the server's run stays RUNNING and ends with the last end record.
    const after = records[start + 1];
    if (after?.t === "resume") return { kind: "batch", batch: { metrics: [], params: [], tags: [], count: 2, lastSeq: after.s } };
    return { kind: "end", end: first };
  }
  // A resume whose end was sent earlier: the target's run is running again (alone, in order).
  if (first.t === "resume") return { kind: "reopen", resume: first };
  if (first.t === "a") return { kind: "artifact", artifact: first };
  if (first.t === "d") return { kind: "dataset", dataset: first };
  const metrics: Metric[] = [];
  const params: { key: string; value: string }[] = [];
  const tags: { key: string; value: string }[] = [];
  const paramKeys = new Set<string>();
  let bytes = 100;
  let count = 0;
  let lastSeq = first.s;
  for (let i = start; i < records.length && count < maxRecords; i++) {
    const r = records[i] as JournalRecord;
    if (r.t === "end" || r.t === "a" || r.t === "d") break; // each goes alone, in order
    const entities = metrics.length + params.length + tags.length;
    const size = recordBytes(r);
    if (entities > 0 && (entities >= limits.entitiesPerBatch || bytes + size > limits.batchBytes)) break;
    if (r.t === "m") {
      if (metrics.length >= limits.metricsPerBatch) break;
      metrics.push({ key: r.k, value: r.v, step: r.st, timestamp: r.ts });
    } else if (r.t === "p") {
      if (params.length >= limits.paramsPerBatch || paramKeys.has(r.k)) break;
      paramKeys.add(r.k);
      params.push({ key: r.k, value: r.v });
    } else if (r.t === "t") {
      if (tags.length >= limits.tagsPerBatch) break;
      tags.push({ key: r.k, value: r.v });
    }
    bytes += size;
    count++;
    lastSeq = r.s;
  }
  return { kind: "batch", batch: { metrics, params, tags, count, lastSeq } };
}

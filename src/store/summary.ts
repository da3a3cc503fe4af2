/**
 * A cache of a finished run's folded journal (`summary.json` in the run folder), so reading
 * the run does not re-parse a journal of millions of lines. It is written by the first read
 * after the run ended and is valid only while every journal segment has the size and
 * modification time it records; any append or in-place change makes it stale. Corrupt lines
 * met by the fold are cached with it and reported again on every read that uses it.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { z } from "zod";
import { readJsonFile, writeFileAtomic } from "../log/atomic.js";
import { decodeMetricValue, type DatasetRecord } from "../log/record.js";
import { listSegments, type CorruptLine } from "../log/segments.js";
import { emptyFold, type FoldedRun } from "./fold.js";
import { defined } from "../internal/defined.js";

const FILE = "summary.json";

const metricValue = z.union([z.number(), z.enum(["NaN", "Infinity", "-Infinity", "-0"])]);
const entries = <V extends z.ZodType>(value: V) => z.array(z.tuple([z.string(), value]));
const summarySchema = z.object({
  format: z.literal("mltrail-summary"),
  version: z.literal(2),
  journal: z.string(),
  lastSeq: z.number(),
  params: entries(z.string()),
  tags: entries(z.string()),
  latest: entries(z.object({ value: metricValue, step: z.number(), timestamp: z.number() })),
  end: z.object({ status: z.enum(["FINISHED", "FAILED", "KILLED"]), time: z.number() }).optional(),
  artifacts: entries(z.object({ sha256: z.string(), size: z.number() })),
  // Dataset records are checked by their writer; here only their identity fields matter.
  datasets: z.array(z.object({ s: z.number(), t: z.literal("d"), name: z.string(), digest: z.string(), ts: z.number() }).loose()),
  corrupt: z.array(z.object({ segment: z.string(), line: z.number(), offset: z.number(), reason: z.string() })),
});

type SummaryDoc = z.infer<typeof summarySchema>;

/** A fold read from the cache, with the corrupt lines the fold that built it met. */
export interface CachedFold {
  readonly state: FoldedRun;
  readonly corrupt: readonly CorruptLine[];
}

/**
 * The identity of a journal's current content: each segment's name, size and modification
 * time. Any append, truncation or in-place change gives another fingerprint.
 */
export async function journalFingerprint(journalDir: string): Promise<string> {
  const parts: string[] = [];
  for (const seg of await listSegments(journalDir)) {
    const stat = await fsp.stat(path.join(journalDir, seg.name));
    parts.push(`${seg.name}:${stat.size}:${stat.mtimeMs}`);
  }
  return parts.join(";");
}

function encode(value: number): number | "NaN" | "Infinity" | "-Infinity" | "-0" {
  if (Number.isFinite(value) && !Object.is(value, -0)) return value;
  return Number.isNaN(value) ? "NaN" : Object.is(value, -0) ? "-0" : value > 0 ? "Infinity" : "-Infinity";
}

function decode(value: number | string): number {
  return value === "-0" ? -0 : decodeMetricValue(value);
}

/**
 * The cached fold of a run, when it is still valid for the journal's `fingerprint`. A
 * missing, stale or damaged cache is `undefined` (the caller folds the journal again).
 */
export async function readSummary(runDir: string, fingerprint: string): Promise<CachedFold | undefined> {
  const parsed = summarySchema.safeParse(await readJsonFile(path.join(runDir, FILE)).catch(() => undefined));
  if (!parsed.success || parsed.data.journal !== fingerprint) return undefined;
  const doc = parsed.data;
  const state = emptyFold();
  for (const [k, v] of doc.params) state.params.set(k, v);
  for (const [k, v] of doc.tags) state.tags.set(k, v);
  for (const [k, p] of doc.latest) state.latest.set(k, { value: decode(p.value), step: p.step, timestamp: p.timestamp });
  for (const [p, a] of doc.artifacts) state.artifacts.set(p, a);
  state.datasets.push(...(doc.datasets as DatasetRecord[]));
  state.end = doc.end;
  state.lastSeq = doc.lastSeq;
  return { state, corrupt: doc.corrupt };
}

/** Caches the fold of a finished run (best effort: a failure only means the next read folds again). */
export async function writeSummary(runDir: string, fingerprint: string, state: FoldedRun, corrupt: readonly CorruptLine[]): Promise<void> {
  const doc: SummaryDoc = {
    format: "mltrail-summary",
    version: 2,
    journal: fingerprint,
    lastSeq: state.lastSeq,
    params: [...state.params],
    tags: [...state.tags],
    latest: [...state.latest].map(([k, p]) => [k, { value: encode(p.value), step: p.step, timestamp: p.timestamp }]),
    ...defined({ end: state.end }),
    artifacts: [...state.artifacts],
    datasets: state.datasets as SummaryDoc["datasets"],
    corrupt: [...corrupt],
  };
  await writeFileAtomic(path.join(runDir, FILE), JSON.stringify(doc)).catch(() => undefined);
}

/**
 * Folds journal records into a run's state: params, tags, latest metric per key, end status.
 * Pure; used by the local store and by tests. User keys live in Maps, never as properties of
 * plain objects: `__proto__`, `constructor` or `toString` are keys like any other.
 */
import type { DatasetRecord, JournalRecord } from "../log/record.js";
import type { EndStatus } from "../model/types.js";

/** The folded state of a run's journal. */
export interface FoldedRun {
  /** Params: the first record of a key wins (params are immutable). */
  readonly params: Map<string, string>;
  /** Tags: the last record of a key wins. */
  readonly tags: Map<string, string>;
  /** Latest metric per key: greatest by (step, timestamp, value), as MLflow's `latest_metrics`. */
  readonly latest: Map<string, { value: number; step: number; timestamp: number }>;
  end: { status: EndStatus; time: number } | undefined;
  lastSeq: number;
  /** Artifacts by path: the last record of a path wins. */
  readonly artifacts: Map<string, { sha256: string; size: number }>;
  /** Dataset inputs, once per (name, digest, context). */
  readonly datasets: DatasetRecord[];
}

/** An empty fold. */
export function emptyFold(): FoldedRun {
  return { params: new Map(), tags: new Map(), latest: new Map(), end: undefined, lastSeq: 0, artifacts: new Map(), datasets: [] };
}

/**
 * True when the point `(step, timestamp, value)` is newer than `a` by MLflow's `latest_metrics`
 * rule: greater step, then greater timestamp, then greater value (NaN greatest).
 * @example `newer({ value: 1, step: 2, timestamp: 0 }, 3, 0, 0) === true`
 */
export function newer(a: { value: number; step: number; timestamp: number }, step: number, timestamp: number, value: number): boolean {
  if (step !== a.step) return step > a.step;
  if (timestamp !== a.timestamp) return timestamp > a.timestamp;
  if (Number.isNaN(a.value)) return false;
  return Number.isNaN(value) || value >= a.value;
}

/** Applies records (in sequence order) to a fold. */
export function foldRecords(state: FoldedRun, records: readonly JournalRecord[]): FoldedRun {
  for (const r of records) {
    state.lastSeq = r.s;
    switch (r.t) {
      case "m": {
        const prev = state.latest.get(r.k);
        if (prev === undefined || newer(prev, r.st, r.ts, r.v)) state.latest.set(r.k, { value: r.v, step: r.st, timestamp: r.ts });
        break;
      }
      case "p":
        if (!state.params.has(r.k)) state.params.set(r.k, r.v);
        break;
      case "t":
        state.tags.set(r.k, r.v);
        break;
      case "end":
        state.end = { status: r.status, time: r.ts };
        break;
      case "resume":
        state.end = undefined;
        break;
      case "a":
        state.artifacts.set(r.p, { sha256: r.sha256, size: r.size });
        break;
      case "d":
        if (!state.datasets.some((d) => d.name === r.name && d.digest === r.digest && d.context === r.context)) state.datasets.push(r);
        break;
      default:
        break;
    }
  }
  return state;
}

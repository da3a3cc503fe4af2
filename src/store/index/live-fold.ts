/**
 * The writer's own view of its run, kept as it logs: params, tags and the latest point of
 * each metric (a Map lookup per `logMetric`, no I/O). When the run ends it becomes the run's
 * index row, so ending a run of any length never re-reads its journal.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { listSegmentsSync } from "../../log/segments.js";
import type { RunPaths } from "../layout.js";
import { mtimeOf } from "./run-index.js";
import type { EndStatus } from "../../model/types.js";
import { newer } from "../fold.js";
import type { IndexRow, JournalPosition, LatestPoint, RowMeta } from "./entry.js";

/** What a run has logged, folded as it goes. @internal */
export class LiveFold {
  /** Params by key (the first value; the Run rejects another). */
  readonly params = new Map<string, string>();
  /** Tags by key (the last value). */
  readonly tags = new Map<string, string>();
  /** Latest point per metric key. */
  readonly latest = new Map<string, LatestPoint>();
  /** Set when a record may not have reached the journal: the row is then left to readers. */
  failed = false;

  /** Folds one metric point in. */
  metric(key: string, value: number, step: number, timestamp: number): void {
    const prev = this.latest.get(key);
    if (prev === undefined) this.latest.set(key, { value, step, timestamp });
    else if (newer(prev, step, timestamp, value)) {
      prev.value = value;
      prev.step = step;
      prev.timestamp = timestamp;
    }
  }

  /** The row of the ended run, positioned at the end of its closed journal; undefined when unknown. */
  async endedRow(runId: string, meta: RowMeta, paths: RunPaths, end: { status: EndStatus; time: number }, lastSeq: number): Promise<IndexRow | undefined> {
    const journalDir = paths.journal;
    if (this.failed) return undefined;
    const last = listSegmentsSync(journalDir).pop(); // a few names: no trip through the thread pool
    if (last === undefined) return undefined;
    const st = fs.statSync(path.join(journalDir, last.name));
    const position: JournalPosition = { segment: last.name, offset: st.size, size: st.size, mtimeMs: st.mtimeMs };
    return {
      runId,
      meta,
      params: new Map(this.params),
      tags: new Map(this.tags),
      latest: new Map([...this.latest].map(([k, p]) => [k, { ...p }])),
      end,
      lastSeq,
      position,
      metaMtimeMs: mtimeOf(paths.meta),
      corrupt: [],
    };
  }
}

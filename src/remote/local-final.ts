/**
 * The final state of a run as its local log holds it (params, the last value of every tag, the
 * metric keys, the end), for the end-of-run check: read from the whole journal, or folded by
 * the run's replicator from the records it reads anyway, so a run replicated from its first
 * record is not read a second time at its end.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import type { EndRecord, JournalRecord } from "../log/record.js";
import { JournalTail } from "../log/tail.js";
import { REJECTED_FILE } from "./replication-state.js";

/** The final state of a run as its local log holds it. @internal */
export interface LocalFinal {
  readonly params: ReadonlyMap<string, string>;
  /** Last value of every tag. */
  readonly tags: ReadonlyMap<string, string>;
  readonly metricKeys: ReadonlySet<string>;
  readonly end: EndRecord | undefined;
}

/** Sequence numbers of the records the server rejected (kept in rejected.jsonl); damaged lines are ignored. */
async function rejectedSeqs(runDir: string): Promise<Set<number>> {
  const out = new Set<number>();
  let text: string;
  try {
    text = await fsp.readFile(path.join(runDir, REJECTED_FILE), "utf8");
  } catch {
    return out;
  }
  for (const line of text.split("\n")) {
    try {
      const seq = (JSON.parse(line) as { seq?: unknown }).seq;
      if (typeof seq === "number") out.add(seq);
    } catch {
      // a torn or damaged line names no record
    }
  }
  return out;
}

/** A final state being folded from records in journal order. @internal */
class Fold {
  readonly params = new Map<string, string>();
  readonly tags = new Map<string, string>();
  readonly metricKeys = new Set<string>();
  /** Artifact path → sha256 and size (last record wins), as the manifest lists them. */
  readonly artifacts = new Map<string, { sha256: string; size: number }>();
  end: EndRecord | undefined;

  add(records: readonly JournalRecord[], rejected?: ReadonlySet<number>): void {
    for (const r of records) {
      if (rejected?.has(r.s) === true) continue;
      if (r.t === "m") this.metricKeys.add(r.k);
      else if (r.t === "p") this.params.set(r.k, r.v);
      else if (r.t === "t") this.tags.set(r.k, r.v);
      else if (r.t === "end") this.end = r;
      else if (r.t === "a") this.artifacts.set(r.p, { sha256: r.sha256, size: r.size });
    }
  }

  /** Adds every record `tail` reads on (in 4 MB chunks: memory stays bounded by the number of keys). */
  async addJournal(tail: JournalTail, rejected?: ReadonlySet<number>): Promise<void> {
    for (;;) {
      const { records } = await tail.read();
      if (records.length === 0) return;
      this.add(records, rejected);
    }
  }
}

/**
 * Folds a run's whole journal into its final state, leaving out the records the server
 * rejected. @internal
 */
export async function readLocalFinal(journalDir: string, runDir: string): Promise<LocalFinal> {
  const fold = new Fold();
  await fold.addJournal(new JournalTail(journalDir, 0), await rejectedSeqs(runDir));
  return fold;
}

/**
 * The final state folded by a run's replicator from the records it reads, when it reads the
 * journal from its first record. @internal
 */
export class ReplicatedFinal {
  private readonly fold = new Fold();
  /** True while every record from the first on went through {@link add}. */
  private whole: boolean;

  /** @param fromStart - the replicator reads the journal from its first record (nothing acknowledged yet). */
  constructor(fromStart: boolean) {
    this.whole = fromStart;
  }

  /** Folds records the replicator read, in order. */
  add(records: readonly JournalRecord[]): void {
    if (this.whole) this.fold.add(records);
  }

  /** The run's artifact manifest as folded so far, when every record from the first on was folded. */
  manifest(): Record<string, { sha256: string; size: number }> | undefined {
    return this.whole ? Object.fromEntries(this.fold.artifacts) : undefined;
  }

  /**
   * The final state: the records folded so far and those the replicator's `tail` has not read
   * yet (read from the file where it stands, so nothing is read twice). Undefined when the fold
   * did not see the run from its first record, or when the server rejected records (which the
   * state leaves out): then the whole journal is read. Given once: later records are not folded.
   */
  async final(tail: JournalTail, rejected: number): Promise<LocalFinal | undefined> {
    if (!this.whole || rejected > 0) return undefined;
    this.whole = false;
    await this.fold.addJournal(tail.fork());
    return this.fold;
  }
}

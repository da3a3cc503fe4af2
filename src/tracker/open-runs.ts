/**
 * The runs a tracker has open: the active-run stack and async context, the runs the exit
 * hooks ended, the ended runs whose records still wait for the disk, and the record counts of
 * the runs that ended.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { StateError } from "../errors.js";
import type { EndStatus } from "../model/types.js";
import type { OpenRun } from "../open-run.js";
import type { ReplicationState } from "../remote/replication-state.js";
import { END_QUEUED, type Run } from "../run.js";
import { LocalStore } from "../store/local-store.js";

/** Records logged, written to the OS, and durable on disk. */
export interface RecordCounts {
  readonly logged: number;
  readonly written: number;
  readonly durable: number;
}

const activeContext = new AsyncLocalStorage<Run>();

/**
 * Runs `fn` with `run` as the active run of its async context: the run ends FINISHED when
 * `fn` resolves and FAILED when it throws (the error is rethrown).
 */
export async function runWithin<T>(run: Run, fn: (run: Run) => Promise<T> | T): Promise<T> {
  let result: T;
  try {
    result = await activeContext.run(run, () => fn(run));
  } catch (err) {
    await run.end({ status: "FAILED" });
    throw err;
  }
  await run.end();
  return result;
}

/** The open runs of one tracker. */
export class OpenRuns {
  readonly open = new Map<string, OpenRun>();
  /** Replication progress of the runs this tracker started (shared with the replicator; kept after they end). */
  readonly progress = new WeakMap<Run, ReplicationState>();
  /** Ended runs whose records still wait in memory for the disk (a full disk). */
  private readonly backlog = new Set<OpenRun>();
  private readonly stack: Run[] = [];
  /** Runs the process exit hooks ended (they drop late logging calls). */
  private readonly endedOnExit: Run[] = [];
  private finished: RecordCounts = { logged: 0, written: 0, durable: 0 };

  /** How many runs are open. */
  get size(): number {
    return this.open.size;
  }

  /** Makes a started run open and the active one. */
  add(entry: OpenRun): void {
    this.open.set(entry.run.id, entry);
    this.stack.push(entry.run);
    if (entry.state !== undefined) this.progress.set(entry.run, entry.state);
  }

  /**
   * The active run: the innermost `withRun` of the current async context, else the most
   * recently started run that is still open.
   */
  activeRun(): Run | undefined {
    const fromContext = activeContext.getStore();
    if (fromContext !== undefined && !fromContext.ended && this.open.has(fromContext.id)) return fromContext;
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const run = this.stack[i] as Run;
      if (!run.ended) return run;
    }
    return undefined;
  }

  /** The run a tracker-level logging call (`call`) goes to: `runId`'s, else the active one. */
  target(runId: string | undefined, call: string): Run {
    // After the exit hooks ended the runs, late calls reach the ended run, which drops them.
    const onExit = runId === undefined ? this.endedOnExit.at(-1) : this.endedOnExit.find((r) => r.id === runId);
    if (onExit !== undefined && (runId !== undefined || this.activeRun() === undefined)) return onExit;
    if (runId !== undefined) {
      const found = this.open.get(runId)?.run;
      if (found === undefined || found.ended) throw StateError.of("runId", runId, `is not an open run of this tracker: ${call} needs one`);
      return found;
    }
    const active = this.activeRun();
    if (active === undefined)
      throw StateError.of("active run", undefined, `is missing: ${call} needs an active run: call startRun()/withRun() first or pass { runId }`);
    return active;
  }

  /** Takes an ended run out; its records count as finished once they are on disk. */
  forget(entry: OpenRun): void {
    const w = entry.log.writer;
    if (w.pendingCount > 0) {
      // A full disk: the records wait in memory and are written once space returns; stats count them meanwhile.
      this.backlog.add(entry);
      void w.drained().then(() => this.backlog.delete(entry) && this.count(entry));
    } else this.count(entry);
    this.open.delete(entry.run.id);
    const at = this.stack.indexOf(entry.run);
    if (at >= 0) this.stack.splice(at, 1);
  }

  private count(entry: OpenRun): void {
    const w = entry.log.writer;
    this.finished = {
      logged: this.finished.logged + (w.seq - entry.baseSeq),
      written: this.finished.written + (w.writtenSeq - entry.baseSeq),
      durable: this.finished.durable + (w.syncedSeq - entry.baseSeq),
    };
  }

  /** Ends an open run synchronously (exit paths): its end record, its log closed, its meta written. */
  endSync(entry: OpenRun, status: EndStatus, endTime: number): void {
    entry.run[END_QUEUED](status, endTime, Promise.resolve());
    this.endedOnExit.push(entry.run);
    entry.log.closeSync();
    LocalStore.writeRunMetaSync(entry.paths, { ...entry.meta, status, endTime });
  }

  /** Hands the records logged so far to the OS (the writer thread's included), for one run or all, so reads see them. */
  commitOpen(runId?: string): void {
    for (const entry of this.open.values()) if (runId === undefined || entry.run.id === runId) entry.log.writer.writeThroughSync();
  }

  /** Records of every run of this tracker: ended ones, open ones and those waiting for the disk. */
  counts(): RecordCounts {
    let { logged, written, durable } = this.finished;
    for (const e of [...this.open.values(), ...this.backlog]) {
      logged += e.log.writer.seq - e.baseSeq;
      written += e.log.writer.writtenSeq - e.baseSeq;
      durable += e.log.writer.syncedSeq - e.baseSeq;
    }
    return { logged, written, durable };
  }
}

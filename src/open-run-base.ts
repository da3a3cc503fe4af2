/**
 * What opening a run (new or resumed) hands the tracker, and the steps both ways share: taking
 * the run log with its lock, writing run.json at the start, and ending the run on disk
 * (journal, run.json, run index) with one round of fsyncs.
 */
import * as path from "node:path";
import type { MltrailError, SpoolError } from "./errors.js";
import type { StagedFile } from "./log/atomic.js";
import type { Durability } from "./log/journal.js";
import type { Clock } from "./internal/clock.js";
import { RunLog } from "./log/run-log.js";
import type { EndStatus } from "./model/types.js";
import type { ResolvedOptions } from "./options.js";
import type { RemoteSide } from "./remote/connect.js";
import type { ReplicationState } from "./remote/replication-state.js";
import type { RunSource } from "./remote/run-replicator.js";
import type { Run, RunHost } from "./run.js";
import type { StartRunOptions } from "./start-run.js";
import type { RunPaths } from "./store/layout.js";
import type { LocalStore } from "./store/local-store.js";
import type { RunMeta } from "./store/meta.js";
import type { LiveFold } from "./store/index/live-fold.js";
import { rowMeta } from "./store/index/run-index.js";
import { isLongJournal } from "./store/index/tail-fold.js";
import { buildSeriesSoon } from "./store/series/background.js";

/** A run open in a tracker. @internal */
export interface OpenRun {
  readonly run: Run;
  readonly log: RunLog;
  readonly paths: RunPaths;
  readonly meta: RunMeta;
  /** Sequence number before this process appended (0 for a new run). */
  readonly baseSeq: number;
  /** Replication progress, with a server. */
  readonly state: ReplicationState | undefined;
  /** What the replicator reads, with a server in online mode. */
  readonly source: RunSource | undefined;
  /** Logs the initial tags and params (after the tracker registered the run). */
  begin(): void;
  /** Makes the end durable; keeps the lock while replication still reads the run. */
  finish(status: EndStatus, endTime: number): Promise<void>;
}

/** Inputs of {@link openRun}. @internal */
export interface OpenRunInput {
  readonly options: ResolvedOptions;
  readonly store: LocalStore;
  /** The server side, when replicating online. */
  readonly remote: RemoteSide | undefined;
  /** The server the run is bound for (online or offline), when one is configured. */
  readonly target: string | undefined;
  readonly clock: Clock;
  readonly runKey: string;
  readonly request: StartRunOptions;
  readonly host: RunHost;
  readonly onError: (error: MltrailError) => void;
  readonly onCommit: (runId: string) => void;
}

/**
 * Ends a run on disk: closes its journal (`close`: the end record written and fsynced) while
 * run.json's end is written to a temp file and fsynced in the same round, then renames it
 * into place and appends the run's index row. One round of fsyncs, run in parallel, instead
 * of one fsync after another. run.json is renamed only once the journal holds the end (the
 * journal's end record is what readers trust; a power loss can leave the older run.json, never
 * an empty one). @internal
 */
export async function endRun(
  store: LocalStore,
  paths: RunPaths,
  meta: RunMeta,
  live: LiveFold,
  close: () => Promise<boolean>,
  lastSeq: () => number,
  status: EndStatus,
  endTime: number,
): Promise<void> {
  const ended = { ...meta, status, endTime };
  let staged: StagedFile | undefined;
  try {
    staged = store.stageRunMeta(paths, ended);
  } catch {
    staged = undefined; // a full disk: closing the journal says so, or run.json is written after it
  }
  const [closing, syncing] = await Promise.allSettled([close(), staged?.sync()]);
  if (closing.status === "rejected" || !closing.value) {
    staged?.abort();
    if (closing.status === "rejected") throw closing.reason;
    return;
  }
  if (staged !== undefined && syncing.status === "fulfilled") staged.commit();
  else {
    staged?.abort();
    await store.writeRunMeta(paths, ended);
  }
  const row = await live.endedRow(meta.runId, rowMeta(ended), paths, { status, time: endTime }, lastSeq());
  if (row !== undefined) store.indexEndedRun(meta.experimentId, row);
  if (await isLongJournal(paths.journal)) buildSeriesSoon(paths.dir, paths.journal);
}

/**
 * Writes a new run's run.json: fsynced before the rename (a power loss never leaves an empty
 * one), and with `"interval"` the folders' fsyncs go with the journal's first fsync instead of
 * one after another here; `"always"` waits for them. @internal
 */
export async function writeStartMeta(store: LocalStore, paths: RunPaths, meta: RunMeta, log: RunLog, durability: Durability): Promise<void> {
  const staged = store.stageRunMeta(paths, meta);
  try {
    await staged.sync();
    staged.commit();
  } catch (err) {
    staged.abort();
    throw err;
  }
  log.writer.alsoSync([paths.dir, paths.journal, path.dirname(paths.dir)]);
  if (durability === "always") await log.writer.sync();
}

/** Opens a run's log for writing (takes its lock; a write error marks the live fold failed). @internal */
export function openRunLog(input: OpenRunInput, paths: RunPaths, runId: string, live: LiveFold): Promise<RunLog> {
  const { options } = input;
  return RunLog.open(paths.journal, paths.lock, `run "${runId}"`, {
    durability: options.durability,
    fsyncIntervalMs: options.fsyncIntervalMs,
    commitIntervalMs: options.commitIntervalMs,
    writerThread: options.writerThread,
    feed: input.remote !== undefined, // the replicator takes what is written from memory
    onError: (err: SpoolError) => {
      live.failed = true;
      input.onError(err);
    },
    onCommit: () => input.onCommit(runId),
    onRotate: () => buildSeriesSoon(paths.dir, paths.journal),
  });
}

/**
 * Hands a run's writer lock over at its end: the replicator releases it once the run is fully
 * sent (`release`, its `RunSource.release`), and `finish` closes the log; whichever comes last
 * lets the lock go. @internal
 */
export class LockHandoff {
  private finished = false;
  private releaseWanted = false;

  constructor(private readonly log: RunLog) {}

  /** The replicator's call once the run is fully sent (or the tracker closes). */
  readonly release = (): void => {
    if (this.finished) this.log.releaseLock();
    else this.releaseWanted = true;
  };

  /**
   * Closes the log at the run's end, keeping the lock for the replicator when `replicated`
   * (then `onCommit` tells it the end is written). False when the run had already finished.
   */
  async close(replicated: boolean, onCommit: () => void): Promise<boolean> {
    if (this.finished) return false;
    this.finished = true;
    if (!replicated) {
      await this.log.close();
      return true;
    }
    await this.log.closeKeepLock();
    if (this.releaseWanted) this.log.releaseLock();
    onCommit();
    return true;
  }
}

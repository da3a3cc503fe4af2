/**
 * The browser's group commit: logging calls push stamped records onto one queue per tracker;
 * the first push of a turn schedules one commit after the turn (a message-channel task, not
 * clamped like `setTimeout`), and that commit writes everything queued, with the documents of
 * the runs it touched, in one IndexedDB transaction. The queue is the only copy in memory and
 * it is bounded: past `maxQueuedRecords` a logging call throws StorageFullError and stores
 * nothing. A failed commit (a full quota) keeps its records at the front of the queue and is
 * retried; nothing is dropped.
 *
 * @packageDocumentation
 */
import { type MltrailError, SpoolError, StorageFullError } from "../errors.js";
import type { JournalRecord } from "../log/record.js";
import type { BrowserStore, RunDoc } from "./store.js";

/** What the group commit tells its tracker. @internal */
export interface CommitEvents {
  /** Records of these runs are now in IndexedDB. */
  committed(runKeys: ReadonlySet<string>, count: number): void;
  /** A commit failed; its records stay queued and are retried after `retryMs`. */
  failed(error: MltrailError): void;
}

/** Schedules `fn` after the current task (a MessageChannel task where there is one). */
function afterTurn(fn: () => void): void {
  const Ctor = (
    globalThis as unknown as {
      MessageChannel?: new () => { port1: { onmessage: (() => void) | null; close(): void }; port2: { postMessage(m: unknown): void; close(): void } };
    }
  ).MessageChannel;
  if (Ctor === undefined) {
    setTimeout(fn, 0);
    return;
  }
  const channel = new Ctor();
  channel.port1.onmessage = () => {
    channel.port1.close();
    channel.port2.close();
    fn();
  };
  channel.port2.postMessage(null);
}

/** Applies committed records to a run document's commit fields. */
function applyTo(doc: RunDoc, records: readonly JournalRecord[], now: number): void {
  for (const r of records) {
    if (r.s > doc.seq) doc.seq = r.s;
    if (r.t === "p") doc.params[r.k] = r.v;
    else if (r.t === "m") doc.steps[r.k] = Math.max(doc.steps[r.k] ?? r.st, r.st);
    else if (r.t === "end") doc.ended = true;
    else if (r.t === "resume") {
      doc.ended = false;
      delete doc.crashed;
    }
  }
  doc.done = false;
  doc.touchedAt = now;
}

/** One tracker's queue and group commit. @internal */
export class GroupCommit {
  private queue: [string, JournalRecord][] = [];
  private readonly runs = new Map<string, RunDoc>();
  private scheduled = false;
  private running: Promise<void> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private lastFailure: MltrailError | undefined;
  /** Records committed since the tracker was created. */
  written = 0;

  constructor(
    private readonly store: BrowserStore,
    private readonly maxQueued: number,
    private readonly events: CommitEvents,
  ) {}

  /** Records queued and not yet committed. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Queues records of one run (all or none) for the commit after this turn.
   * @throws StorageFullError when the queue is at its bound (nothing is queued then).
   */
  append(doc: RunDoc, records: readonly JournalRecord[]): void {
    if (this.queue.length + records.length > this.maxQueued) {
      const why = this.lastFailure === undefined ? "IndexedDB is not keeping up" : this.lastFailure.message;
      throw new StorageFullError(
        `${this.queue.length} records are waiting to be stored in IndexedDB (at most ${this.maxQueued}): ${why}; the call stored nothing`,
      );
    }
    for (const r of records) this.queue.push([doc.rk, r]);
    this.runs.set(doc.rk, doc);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.retryTimer !== undefined) return;
    this.scheduled = true;
    afterTurn(() => {
      this.scheduled = false;
      void this.commit();
    });
  }

  /** Commits what is queued now (waiting for a commit in flight first). */
  private commit(): Promise<void> {
    const run = async (): Promise<void> => {
      await this.running;
      if (this.queue.length === 0) return;
      const batch = this.queue;
      this.queue = [];
      const byRun = new Map<string, JournalRecord[]>();
      for (const [rk, r] of batch) {
        const list = byRun.get(rk);
        if (list === undefined) byRun.set(rk, [r]);
        else list.push(r);
      }
      const now = Date.now();
      const docs: RunDoc[] = [];
      for (const [rk, records] of byRun) {
        const live = this.runs.get(rk) as RunDoc;
        const next: RunDoc = { ...live, params: { ...live.params }, steps: { ...live.steps } };
        applyTo(next, records, now);
        docs.push(next);
      }
      try {
        await this.store.commit(batch, docs);
      } catch (err) {
        this.queue = batch.concat(this.queue); // first again, in order
        this.failures++;
        this.lastFailure = err instanceof SpoolError ? err : new SpoolError(`committing records failed: ${String(err)}`, { cause: err });
        this.events.failed(this.lastFailure);
        const delay = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7));
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          void this.commit();
        }, delay);
        return;
      }
      this.failures = 0;
      this.lastFailure = undefined;
      for (const doc of docs) {
        const live = this.runs.get(doc.rk) as RunDoc;
        Object.assign(live, { seq: doc.seq, params: doc.params, steps: doc.steps, ended: doc.ended, done: doc.done, touchedAt: doc.touchedAt });
        if (doc.crashed === undefined) delete live.crashed;
      }
      this.written += batch.length;
      this.events.committed(new Set(byRun.keys()), batch.length);
      if (this.queue.length > 0) this.schedule();
    };
    const p = run();
    this.running = p;
    return p;
  }

  /**
   * Resolves once everything queued before the call is in IndexedDB.
   * @throws the storage error while commits keep failing (the records stay queued).
   */
  async flush(): Promise<void> {
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    await this.commit();
    if (this.queue.length > 0 && this.lastFailure !== undefined) throw this.lastFailure;
  }

  /** Forgets a run's document once nothing of it is queued. */
  forget(rk: string): void {
    if (!this.queue.some(([k]) => k === rk)) this.runs.delete(rk);
  }

  /** Stops retrying (the tracker is closing). */
  close(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

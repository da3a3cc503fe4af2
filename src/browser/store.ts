/**
 * The browser's run log: one IndexedDB database per origin with three object stores.
 * `runs` holds one document per run (its identity, commit and ack cursors, the server's ids);
 * `records` holds the run's journal records keyed `[runKey, seq]` until the server has
 * acknowledged them; `rejected` keeps the records the server refused. Every write is one
 * transaction, so a group commit's records and its run documents land together or not at all.
 *
 * @packageDocumentation
 */
import { SpoolError, StorageFullError } from "../errors.js";
import type { JournalRecord } from "../log/record.js";
import { type BrowserGlobals, type IdbDatabase, type IdbTransaction, requestResult } from "./dom.js";

/** Name of the IndexedDB database. @internal */
export const DB_NAME = "mltrail";
const DB_VERSION = 1;
const RUNS = "runs";
const RECORDS = "records";
const REJECTED = "rejected";

/** The stored state of one run. @internal */
export interface RunDoc {
  /** The run's key (32 hex digits): its local id and the `mltrail.runKey` tag. */
  readonly rk: string;
  /** The server it is bound for (its canonical URL). */
  readonly server: string;
  readonly experiment: string;
  readonly name: string;
  readonly startTime: number;
  /** Highest sequence number committed. */
  seq: number;
  /** Highest sequence number the server acknowledged. */
  ackedSeq: number;
  remoteRunId?: string;
  remoteExperimentId?: string;
  /** When a create request was sent without an answer (it may still land). */
  createAttemptedAt?: number;
  /** Its last committed record is an end record. */
  ended?: boolean;
  /** That end was written by a drain, for a run whose page went away without ending it. */
  crashed?: boolean;
  /** The server acknowledged the end: nothing left to send. */
  done?: boolean;
  rejected: number;
  /** Params logged so far (params are immutable; a resumed run checks against them). */
  params: Record<string, string>;
  /** Highest step logged per metric key (`run.lastStep`). */
  steps: Record<string, number>;
  /** When the run was last written, ms since the epoch. */
  touchedAt: number;
}

/** A journal record as stored. @internal */
interface StoredRecord {
  readonly rk: string;
  readonly s: number;
  readonly r: JournalRecord;
}

/** A record the server rejected, as stored. @internal */
export interface RejectedEntry {
  readonly rk: string;
  readonly s: number;
  readonly record: JournalRecord;
  readonly status: number;
  readonly error: string;
  readonly at: number;
}

/** Turns a failed transaction into an mltrail error: a full quota is a StorageFullError. @internal */
export function storageError(error: { name?: string; message?: string } | null | undefined, doing: string): SpoolError {
  const name = error?.name ?? "UnknownError";
  const detail = `${doing}: IndexedDB ${name}${error?.message ? ` (${error.message})` : ""}`;
  if (name === "QuotaExceededError")
    return new StorageFullError(`${detail}; the origin's storage quota is full: records stay queued in memory until space is freed`, { cause: error });
  return new SpoolError(detail, { cause: error, code: name });
}

/** Fields of a run document the group commit owns; the rest belong to replication. @internal */
export const COMMIT_FIELDS = ["seq", "params", "steps", "ended", "crashed", "done", "touchedAt"] as const;
/** Fields of a run document replication owns. @internal */
export const REPLICATION_FIELDS = ["ackedSeq", "remoteRunId", "remoteExperimentId", "createAttemptedAt", "done", "rejected"] as const;
type DocField = (typeof COMMIT_FIELDS)[number] | (typeof REPLICATION_FIELDS)[number];

/**
 * Writes `fields` of `doc` over the stored document (or the whole document when none is
 * stored), inside `tx`: two writers of one run (its group commit and its replication) never
 * put back each other's older values.
 */
function merge(tx: IdbTransaction, doc: RunDoc, fields: readonly DocField[]): void {
  const runs = tx.objectStore(RUNS);
  const read = runs.get(doc.rk);
  const patch: Record<string, unknown> = {};
  for (const f of fields) patch[f] = doc[f];
  read.onsuccess = () => {
    const stored = read.result as RunDoc | undefined;
    runs.put(stored === undefined ? { ...doc } : { ...stored, ...patch });
  };
}

function done(tx: IdbTransaction, doing: string): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(storageError(tx.error, doing));
    tx.onerror = () => undefined; // the abort that follows reports it
  });
}

/** The IndexedDB run log of one origin. @internal */
export class BrowserStore {
  private constructor(
    private readonly db: IdbDatabase,
    private readonly g: BrowserGlobals,
  ) {}

  /** Opens (and on first use creates) the database. */
  static async open(g: BrowserGlobals, name: string = DB_NAME): Promise<BrowserStore> {
    const request = g.indexedDB.open(name, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(RUNS)) db.createObjectStore(RUNS, { keyPath: "rk" });
      if (!db.objectStoreNames.contains(RECORDS)) db.createObjectStore(RECORDS, { keyPath: ["rk", "s"] });
      if (!db.objectStoreNames.contains(REJECTED)) db.createObjectStore(REJECTED, { keyPath: ["rk", "s"] });
    };
    let db: IdbDatabase;
    try {
      db = await requestResult(request);
    } catch (err) {
      throw storageError(err as { name?: string }, "opening the run log");
    }
    // A newer version of the page upgrading the schema: let it, this connection is done.
    db.onversionchange = () => db.close();
    return new BrowserStore(db, g);
  }

  /**
   * One group commit: the records and the documents of their runs, in one transaction.
   * Rejects with StorageFullError when the quota is full (nothing of it is stored then).
   */
  async commit(records: readonly (readonly [string, JournalRecord])[], docs: readonly RunDoc[]): Promise<void> {
    const tx = this.db.transaction([RUNS, RECORDS], "readwrite", { durability: "strict" });
    const finished = done(tx, "committing records");
    const store = tx.objectStore(RECORDS);
    for (const [rk, r] of records) store.put({ rk, s: r.s, r } satisfies StoredRecord);
    for (const doc of docs) merge(tx, doc, COMMIT_FIELDS);
    await finished;
  }

  /** Saves a run's replication fields (server ids, a create attempt). */
  async saveReplication(doc: RunDoc): Promise<void> {
    const tx = this.db.transaction(RUNS, "readwrite");
    const finished = done(tx, "saving run state");
    merge(tx, doc, REPLICATION_FIELDS);
    await finished;
  }

  /** Moves a run's ack cursor and deletes the records it passed, in one transaction. */
  async ack(doc: RunDoc): Promise<void> {
    const tx = this.db.transaction([RUNS, RECORDS], "readwrite");
    const finished = done(tx, "saving the ack cursor");
    tx.objectStore(RECORDS).delete(this.g.IDBKeyRange.bound([doc.rk, 0], [doc.rk, doc.ackedSeq]));
    merge(tx, doc, REPLICATION_FIELDS);
    await finished;
  }

  /** Up to `limit` records of a run after `afterSeq`, in order. */
  async pending(rk: string, afterSeq: number, limit: number): Promise<JournalRecord[]> {
    const tx = this.db.transaction(RECORDS, "readonly");
    const range = this.g.IDBKeyRange.bound([rk, afterSeq], [rk, Number.MAX_SAFE_INTEGER], true, false);
    const rows = (await requestResult(tx.objectStore(RECORDS).getAll(range, limit))) as StoredRecord[];
    return rows.map((row) => row.r);
  }

  /** Keeps a rejected record, and the run's updated document, in one transaction. */
  async reject(entry: RejectedEntry, doc: RunDoc): Promise<void> {
    const tx = this.db.transaction([RUNS, REJECTED], "readwrite");
    const finished = done(tx, "keeping a rejected record");
    tx.objectStore(REJECTED).put(entry);
    merge(tx, doc, REPLICATION_FIELDS);
    await finished;
  }

  /** Rejected records of a run. */
  async rejected(rk: string): Promise<RejectedEntry[]> {
    const tx = this.db.transaction(REJECTED, "readonly");
    const range = this.g.IDBKeyRange.bound([rk, 0], [rk, Number.MAX_SAFE_INTEGER]);
    return (await requestResult(tx.objectStore(REJECTED).getAll(range))) as RejectedEntry[];
  }

  /** Sequence number of a run's last stored record (0 when none is left). */
  async lastSeq(rk: string): Promise<number> {
    const tx = this.db.transaction(RECORDS, "readonly");
    const range = this.g.IDBKeyRange.bound([rk, 0], [rk, Number.MAX_SAFE_INTEGER]);
    const cursor = await requestResult(tx.objectStore(RECORDS).openKeyCursor(range, "prev"));
    const key = cursor?.key as readonly [string, number] | undefined;
    return key?.[1] ?? 0;
  }

  /** The stored document of a run, fresh from the database. */
  async doc(rk: string): Promise<RunDoc | undefined> {
    const tx = this.db.transaction(RUNS, "readonly");
    return (await requestResult(tx.objectStore(RUNS).get(rk))) as RunDoc | undefined;
  }

  /** Every run document bound for `server`. */
  async runs(server: string): Promise<RunDoc[]> {
    const tx = this.db.transaction(RUNS, "readonly");
    const all = (await requestResult(tx.objectStore(RUNS).getAll())) as RunDoc[];
    return all.filter((d) => d.server === server);
  }

  /** Closes the connection. */
  close(): void {
    this.db.close();
  }
}

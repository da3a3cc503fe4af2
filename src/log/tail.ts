/**
 * Incremental reader of a journal: follows the segments from a sequence number on, reading
 * only new bytes on each call. Used by replication, which reads what the writer appends.
 * Never modifies files.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { feedOf } from "./journal-feed.js";
import { listSegments, scanSegment, type CorruptLine } from "./segments.js";
import type { JournalRecord } from "./record.js";

/** What one {@link JournalTail.read} returned. */
export interface TailRead {
  /** New records after the cursor, in order. */
  readonly records: JournalRecord[];
  /** Corrupt lines skipped in this read. */
  readonly corrupt: CorruptLine[];
}

/** The size of `file`, undefined when it is gone. */
async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await fsp.stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Follows a journal folder from `afterSeq` on. */
export class JournalTail {
  private segment: string | undefined;
  private offset = 0;
  private lastSeq: number;
  /** Where the journal ended when its writer (of this process) closed it and this tail had read all of it. */
  private closedEnd: { segment: string; offset: number } | undefined;

  /**
   * @param fromMemory - take what this process's writer of the journal has just written from
   *   memory (journal-feed.ts) instead of reading it back; for one reader per journal (the
   *   replicator): it consumes what it takes. @default false
   */
  constructor(
    private readonly dir: string,
    afterSeq: number,
    private readonly fromMemory = false,
  ) {
    this.lastSeq = afterSeq;
  }

  /** A reader of the file (never from memory) that goes on from where this one is: it reads no byte this one has read. */
  fork(): JournalTail {
    const fork = new JournalTail(this.dir, this.lastSeq);
    fork.segment = this.segment;
    fork.offset = this.offset;
    return fork;
  }

  /** Highest sequence number returned so far (or the starting cursor). */
  get cursor(): number {
    return this.lastSeq;
  }

  /** Reads up to about `maxBytes` of new complete lines. */
  async read(maxBytes = 4 * 1024 * 1024): Promise<TailRead> {
    const records: JournalRecord[] = [];
    const corrupt: CorruptLine[] = [];
    let budget = maxBytes;
    const feed = this.fromMemory ? feedOf(this.dir) : undefined;
    for (let hops = 0; hops < 1000 && budget > 0; hops++) {
      const taken = feed?.take(this.segment, this.offset, this.lastSeq);
      if (taken !== undefined) {
        for (const r of taken.records) records.push(r);
        const last = taken.records[taken.records.length - 1];
        if (last !== undefined) this.lastSeq = last.s;
        this.segment = taken.segment;
        this.offset = taken.end;
        budget -= Math.max(taken.bytes, 1);
        continue;
      }
      if (feed?.caughtUp(this.segment, this.offset) === true) {
        if (!feed.isClosed || this.segment === undefined) break; // nothing written past the cursor
        // Its writer closed the journal here: remember where, and let the feed go.
        this.closedEnd = { segment: this.segment, offset: this.offset };
        feed.retire();
      }
      const ended = this.closedEnd;
      if (ended !== undefined && ended.segment === this.segment && ended.offset === this.offset) {
        // At a closed journal's end, one stat says whether anything was written since (a writer
        // that opens it again appends to this last segment), instead of a listing and a read.
        if ((await sizeOf(path.join(this.dir, ended.segment))) === ended.offset) break;
        this.closedEnd = undefined;
      }
      const segments = await listSegments(this.dir);
      if (segments.length === 0) break;
      if (this.segment === undefined) {
        // The last segment whose first record is at or before the one we need next.
        let pick = segments[0];
        for (const s of segments) if (s.firstSeq <= this.lastSeq + 1) pick = s;
        this.segment = pick?.name;
        this.offset = 0;
      }
      const current = this.segment as string;
      const file = path.join(this.dir, current);
      let buf: Buffer;
      try {
        const handle = await fsp.open(file, "r");
        try {
          const size = (await handle.stat()).size;
          const length = Math.min(budget, Math.max(0, size - this.offset));
          buf = Buffer.allocUnsafe(length);
          if (length > 0) await handle.read(buf, 0, length, this.offset);
        } finally {
          await handle.close();
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") break;
        throw err;
      }
      const scan = scanSegment(buf, current, this.lastSeq + 1);
      for (const c of scan.corrupt) corrupt.push({ ...c, offset: c.offset + this.offset });
      for (const r of scan.records) records.push(r);
      const last = scan.records[scan.records.length - 1];
      if (last !== undefined) this.lastSeq = last.s;
      this.offset += scan.validEnd;
      budget -= Math.max(scan.validEnd, 1);
      if (buf.length > scan.validEnd) break; // an incomplete line: wait for the writer
      const index = segments.findIndex((s) => s.name === current);
      const next = segments[index + 1];
      if (next === undefined) break;
      this.segment = next.name; // the current one is sealed and fully read
      this.offset = 0;
    }
    return { records, corrupt };
  }
}

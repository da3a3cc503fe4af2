/**
 * What this process has just written to a journal, kept in memory for the same process's
 * replicator: its tail (tail.ts) takes those records instead of reading the bytes back and
 * checking and parsing every line again. In a short training process whose code never gets
 * hot, reading back cost about a sixth of its CPU (bench/README "Where a trainer's CPU goes").
 *
 * The journal stays the source of truth: a chunk is handed over only once its bytes are
 * written (the `write` returned), and it names the segment and the byte range those bytes
 * hold, so a tail that takes it moves its file position exactly as reading them would have.
 * Records are kept when the writer is told a replicator will follow (an online tracker) or
 * once a tail reads the feed, at most {@link MAX_HELD} across the process (the oldest go
 * first); a tail that falls behind what is held reads the file, as before.
 */
import * as path from "node:path";
import { parseRecord, type JournalRecord, type MetricRecord } from "./record.js";

/** Records held at most across every feed of the process (about 10 MB); past it the oldest go. */
const MAX_HELD = 100_000;
let held = 0;

/** A record, or the JSON text of one (parsed when taken: params, tags, ends are rare). */
type Entry = MetricRecord | string;

/** The records of one commit: the bytes `[offset, end)` of `segment`. */
interface Chunk {
  readonly segment: string;
  readonly offset: number;
  readonly end: number;
  readonly lastSeq: number;
  readonly entries: Entry[];
}

/** What {@link JournalFeed.take} hands a tail. */
export interface TakenChunk {
  /** The records after the tail's cursor, in order. */
  readonly records: JournalRecord[];
  readonly segment: string;
  /** The file position past them. */
  readonly end: number;
  /** Bytes they take in the file from the tail's position. */
  readonly bytes: number;
}

const feeds = new Map<string, JournalFeed>();
/** Closed feeds waiting for their tail to retire them, oldest first. */
const closedFeeds = new Set<JournalFeed>();
/** Closed feeds kept at most: a closed feed holds no records once its chunks are taken. */
const MAX_CLOSED = 1024;

/** Drops the oldest chunks, feeds opened first first, until at most {@link MAX_HELD} records are held. */
function evict(): void {
  for (const feed of feeds.values()) {
    if (held <= MAX_HELD) return;
    feed.shed(held - MAX_HELD);
  }
}

/** The feed of the journal in `dir` written by this process, if any. */
export function feedOf(dir: string): JournalFeed | undefined {
  return feeds.get(path.resolve(dir));
}

/** One journal's feed; created by its writer. */
export class JournalFeed {
  /** True once a tail reads this feed. */
  private reading = false;
  private entries: Entry[] = [];
  private readonly chunks: Chunk[] = [];
  private readonly keys = new Map<string, string>();
  /** Where the writer's next bytes go. */
  private segment: string;
  private end: number;
  private closed = false;
  private readonly key: string;

  /**
   * @param keep - collect from the first commit on (a replicator in this process will read
   *   the journal); otherwise only once a tail reads the feed.
   * @param empty - the journal held no record when the writer opened it.
   */
  constructor(
    dir: string,
    segment: string,
    size: number,
    private readonly keep: boolean,
    private readonly empty: boolean,
  ) {
    this.key = path.resolve(dir);
    this.segment = segment;
    this.end = size;
    feeds.get(this.key)?.drop(); // a journal opened again (a resumed run): its file holds the old chunks
    feeds.set(this.key, this);
  }

  /**
   * True while records handed to the writer should be given to {@link metric}/{@link text}. A
   * commit whose first records went by before it turned true is not kept ({@link committed}).
   */
  get wanted(): boolean {
    return !this.closed && (this.keep || this.reading);
  }

  /** A metric record the writer encodes into the commit buffer. */
  metric(seq: number, keyJson: string, value: number, timestamp: number, step: number): void {
    let key = this.keys.get(keyJson);
    if (key === undefined) {
      key = JSON.parse(keyJson) as string;
      if (this.keys.size < 1024) this.keys.set(keyJson, key);
    }
    this.entries.push({ s: seq, t: "m", k: key, v: value, ts: timestamp, st: step });
  }

  /** The JSON text of another record the writer encodes into the commit buffer. */
  text(json: string): void {
    this.entries.push(json);
  }

  /**
   * The commit buffer's `lines` lines were written to `segment` from `offset` to `end`. Kept
   * as a chunk when this feed collected exactly those lines (not when reading began mid-commit,
   * nor when nothing was collected).
   */
  committed(segment: string, offset: number, end: number, lines: number, lastSeq: number): void {
    this.segment = segment;
    this.end = end;
    if (this.entries.length === lines && lines > 0) {
      this.chunks.push({ segment, offset, end, lastSeq, entries: this.entries });
      held += lines;
      if (held > MAX_HELD) evict();
    }
    this.entries = [];
  }

  /** The writer moved on to a new, empty segment. */
  rotated(segment: string): void {
    this.segment = segment;
    this.end = 0;
  }

  /**
   * The writer closed the journal: chunks stay for the tail, and the feed stays until the tail
   * has taken them and learnt where the journal ends ({@link retire}), or they are shed. At most
   * {@link MAX_CLOSED} closed feeds wait for their tail; past that the oldest go (their tails
   * then read the file).
   */
  close(): void {
    this.closed = true;
    this.entries = [];
    this.keys.clear();
    if (!this.keep && !this.reading) {
      this.drop(); // no tail will come for it
      return;
    }
    closedFeeds.add(this);
    for (const feed of closedFeeds) {
      if (closedFeeds.size <= MAX_CLOSED) break;
      feed.drop();
    }
  }

  /** True once the writer closed the journal. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The tail has read everything of a closed journal: the feed goes. */
  retire(): void {
    if (this.closed) this.drop();
  }

  /** Drops up to `records` of the oldest records held (whole chunks). */
  shed(records: number): void {
    let shed = 0;
    while (shed < records && this.chunks.length > 0) {
      const n = (this.chunks.shift() as Chunk).entries.length;
      held -= n;
      shed += n;
    }
    if (this.closed && this.chunks.length === 0) this.drop();
  }

  /**
   * True when the tail at `segment`/`offset` has read everything the writer wrote (no file to
   * read); a tail not yet placed (`segment` undefined) when the journal is new and nothing is
   * written yet. Once the writer closed the journal, true at its end and nothing left to take
   * (the tail then asks the file's size whether anything was written since).
   */
  caughtUp(segment: string | undefined, offset: number): boolean {
    if (this.closed && this.chunks.length > 0) return false;
    return segment === undefined ? this.empty && this.end === 0 : segment === this.segment && offset === this.end;
  }

  /**
   * The records of the chunk holding the tail's position (`segment` undefined: not yet placed;
   * then the chunk must start with the record after `afterSeq`), or undefined when none does.
   * Chunks the tail has passed are dropped.
   */
  take(segment: string | undefined, offset: number, afterSeq: number): TakenChunk | undefined {
    this.reading = true;
    let chunk = this.chunks[0];
    while (chunk !== undefined && chunk.lastSeq <= afterSeq) {
      held -= chunk.entries.length;
      this.chunks.shift();
      chunk = this.chunks[0];
    }
    if (chunk === undefined) return undefined;
    const placed = segment === undefined ? true : chunk.segment === segment && chunk.offset <= offset && offset < chunk.end;
    if (!placed) return undefined;
    const records: JournalRecord[] = [];
    for (const entry of chunk.entries) {
      const record = typeof entry === "string" ? parseRecord(entry) : entry;
      if (record.s > afterSeq) records.push(record);
    }
    if (segment === undefined && records[0]?.s !== afterSeq + 1) return undefined; // a gap: the file decides
    held -= chunk.entries.length;
    this.chunks.shift();
    return { records, segment: chunk.segment, end: chunk.end, bytes: chunk.end - (segment === undefined ? chunk.offset : offset) };
  }

  private drop(): void {
    for (const chunk of this.chunks.splice(0)) held -= chunk.entries.length;
    if (feeds.get(this.key) === this) feeds.delete(this.key);
    closedFeeds.delete(this);
  }
}

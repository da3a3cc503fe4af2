/**
 * Keeps a long run's point files (manifest.ts) in step with its journal and reads one key's
 * points from them plus whatever the journal holds past their position.
 *
 * Trust rules, as for the run index (the journal is the source of truth): the files are used
 * only up to the journal position the manifest records, and only while that position still
 * exists (its segment is there, at least that long, and not rewritten in place); the journal
 * past it is folded on every read. Updates run under `series/.lock`, write the points, fsync
 * them, then replace the manifest; a SIGKILL at any point leaves the old manifest (whose
 * points are intact: updates only write past them) or the new one.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { withLock } from "../../log/lock.js";
import { listSegments, type CorruptLine, type SegmentFile } from "../../log/segments.js";
import { writeFileAtomic } from "../../log/atomic.js";
import type { JournalPosition } from "../index/entry.js";
import { readRange as readBytes } from "../index/read-tail.js";
import { MANIFEST_FILE, POINT_BYTES, pointFile, readManifest, type SeriesKey, type SeriesManifest } from "./manifest.js";
import type { PointBuffer } from "./points.js";
import { scanPoints } from "./scan-points.js";
import type { StepRange } from "./history-options.js";

/** Journal bytes read at a time when folding points. */
const FOLD_CHUNK_BYTES = 8 * 1024 * 1024;
/** Unindexed journal bytes from which a read brings the point files up to date. */
export const SERIES_UPDATE_BYTES = 1024 * 1024;
/** Point files are float64 in the machine's order; they are used on little-endian machines only. */
export const SERIES_SUPPORTED = os.endianness() === "LE";

/** How a manifest's position relates to the journal now. */
type Standing = "current" | "behind" | "gone";

/** Where the journal stands against `pos`, and how many bytes lie past it. */
function standing(pos: JournalPosition | undefined, segments: readonly SegmentFile[], journal: string): { state: Standing; pending: number } {
  if (pos === undefined) return { state: segments.length === 0 ? "current" : "gone", pending: Number.POSITIVE_INFINITY };
  const at = segments.findIndex((s) => s.name === pos.segment);
  if (at === -1) return { state: "gone", pending: 0 };
  let pending = 0;
  for (let i = at; i < segments.length; i++) {
    let st: fs.Stats;
    try {
      st = fs.statSync(path.join(journal, (segments[i] as SegmentFile).name));
    } catch {
      return { state: "gone", pending: 0 };
    }
    if (i === at) {
      if (st.size < pos.offset || (st.size === pos.size && st.mtimeMs !== pos.mtimeMs)) return { state: "gone", pending: 0 };
      if (st.size === pos.size && at === segments.length - 1) return { state: "current", pending: 0 };
      pending += st.size - pos.offset;
    } else pending += st.size;
  }
  return { state: "behind", pending };
}

/** Points folded from the journal past a position. */
export interface Folded {
  readonly keys: Map<string, PointBuffer>;
  readonly corrupt: CorruptLine[];
  readonly position: JournalPosition | undefined;
}

/**
 * Folds the metric points of the journal past `pos` (from the start when undefined), for
 * `key` only or for every key; `afterChunk` sees the points of each chunk read (then cleared).
 */
async function foldPoints(journal: string, pos: JournalPosition | undefined, key: string | undefined, afterChunk?: (f: Folded) => void): Promise<Folded> {
  const segments = await listSegments(journal);
  const keys = new Map<string, PointBuffer>();
  const corrupt: CorruptLine[] = [];
  let position = pos;
  let start = pos === undefined ? 0 : segments.findIndex((s) => s.name === pos.segment);
  if (start === -1) start = segments.length;
  for (let i = start; i < segments.length; i++) {
    const name = (segments[i] as SegmentFile).name;
    let offset = position !== undefined && position.segment === name ? position.offset : 0;
    let fd: number;
    try {
      fd = fs.openSync(path.join(journal, name), "r");
    } catch {
      continue;
    }
    try {
      const st = fs.fstatSync(fd);
      // In chunks, so a build holds one chunk of journal and its points at a time, not a segment.
      for (let chunk = FOLD_CHUNK_BYTES; offset < st.size; ) {
        const buf = readBytes(fd, offset, Math.min(st.size, offset + chunk));
        if (buf.length === 0) break; // shrank while read: the next read finds the position gone
        const scan = scanPoints(buf, name, keys, key);
        const atEnd = offset + buf.length >= st.size;
        if (scan.validEnd === 0 && !atEnd) {
          chunk *= 2; // a line longer than the chunk
          continue;
        }
        for (const c of scan.corrupt) corrupt.push({ ...c, offset: c.offset + offset });
        offset += scan.validEnd;
        position = { segment: name, offset, size: st.size, mtimeMs: st.mtimeMs };
        afterChunk?.({ keys, corrupt, position });
        if (atEnd) break;
      }
      position = { segment: name, offset, size: st.size, mtimeMs: st.mtimeMs };
    } finally {
      fs.closeSync(fd);
    }
  }
  return { keys, corrupt, position };
}

function newGen(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 6).toString(36)}`;
}

/** Appends a segment's points to the point files (after the counted points) and counts them. */
function writePoints(dir: string, manifest: SeriesManifest, folded: Folded, fds: Map<number, number>): void {
  for (const [key, buf] of folded.keys) {
    if (buf.n === 0) continue;
    let n = manifest.keys.findIndex((k) => k.key === key);
    if (n === -1) {
      n = manifest.keys.push({ key, count: 0, sorted: true, lastStep: Number.NEGATIVE_INFINITY }) - 1;
    }
    const entry = manifest.keys[n] as SeriesKey;
    let fd = fds.get(n);
    if (fd === undefined) {
      fd = fs.openSync(pointFile(dir, manifest.gen, n), fs.constants.O_WRONLY | fs.constants.O_CREAT);
      fds.set(n, fd);
    }
    const data = buf.view();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, entry.count * POINT_BYTES + done);
    for (let i = 0; i < buf.n; i++) {
      const step = data[3 * i] as number;
      if (step < entry.lastStep) entry.sorted = false;
      entry.lastStep = step;
    }
    entry.count += buf.n;
    buf.clear();
  }
}

/**
 * Brings the point files of a run up to date with its journal, under the series lock.
 * Resolves with the manifest; rejects when another process holds the lock (the caller then
 * reads without updating).
 */
export async function updateSeries(dir: string, journal: string): Promise<SeriesManifest> {
  fs.mkdirSync(dir, { recursive: true });
  return withLock(
    path.join(dir, ".lock"),
    "the point files of a run",
    async () => {
      const old = readManifest(dir);
      const segments = await listSegments(journal);
      const state = old === undefined ? "gone" : standing(old.position, segments, journal).state;
      if (old !== undefined && state === "current") return old;
      const base: SeriesManifest =
        old !== undefined && state === "behind"
          ? { ...old, keys: old.keys.map((k) => ({ ...k })), corrupt: [...old.corrupt] }
          : { format: "mltrail-series", version: 1, gen: newGen(), position: { segment: "", offset: 0, size: 0, mtimeMs: 0 }, keys: [], corrupt: [] };
      const fds = new Map<number, number>();
      let position: JournalPosition | undefined;
      try {
        const folded = await foldPoints(journal, base.position.segment === "" ? undefined : base.position, undefined, (f) => writePoints(dir, base, f, fds));
        position = folded.position;
        base.corrupt.push(...folded.corrupt);
        for (const fd of fds.values()) fs.fsyncSync(fd);
      } finally {
        for (const fd of fds.values()) fs.closeSync(fd);
      }
      const manifest: SeriesManifest = { ...base, position: position ?? base.position };
      await writeFileAtomic(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest)}\n`);
      if (manifest.gen !== old?.gen) removeOtherGens(dir, manifest.gen);
      return manifest;
    },
    0,
  );
}

function removeOtherGens(dir: string, gen: string): void {
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith(".pts") && !name.startsWith(`${gen}-`)) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** Reads points [from, to) of a point file; undefined when the file is shorter (replaced meanwhile). */
/** Points `from` to `to` (exclusive) of an open point file; undefined when the file is shorter. */
export function readRange(fd: number, from: number, to: number): Float64Array | undefined {
  const out = new Float64Array(3 * Math.max(0, to - from));
  const bytes = new Uint8Array(out.buffer);
  let got = 0;
  while (got < bytes.length) {
    const n = fs.readSync(fd, bytes, got, bytes.length - got, from * POINT_BYTES + got);
    if (n === 0) return undefined;
    got += n;
  }
  return out;
}

function stepAt(fd: number, i: number): number {
  const one = readRange(fd, i, i + 1);
  return one === undefined ? Number.NaN : (one[0] as number);
}

/** First index in [0, count) whose step is `>= step` (or `> step` when `after`), by binary search. */
export function bound(fd: number, count: number, step: number, after: boolean): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = stepAt(fd, mid);
    if (after ? s <= step : s < step) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Key `n`'s point file of generation `gen`, open for reading; undefined when it cannot be opened. */
export function openPoints(dir: string, gen: string, n: number): number | undefined {
  try {
    return fs.openSync(pointFile(dir, gen, n), "r");
  } catch {
    return undefined;
  }
}

/**
 * The points of `entry` that a read needs: a sorted key's step range is found by binary
 * search, and `maxResults` with no range reads only the first points. Undefined when the file
 * is not what the manifest says (the caller folds the journal instead).
 */
export function readKeyPoints(dir: string, gen: string, n: number, entry: SeriesKey, range: StepRange, max: number | undefined): Float64Array | undefined {
  const fd = openPoints(dir, gen, n);
  if (fd === undefined) return undefined;
  try {
    let from = 0;
    let to = entry.count;
    if (entry.sorted) {
      if (range.lo !== -Infinity) from = bound(fd, entry.count, range.lo, false);
      if (range.hi !== Infinity) to = bound(fd, entry.count, range.hi, true);
    }
    const unbounded = entry.sorted || (range.lo === -Infinity && range.hi === Infinity);
    if (max !== undefined && unbounded) to = Math.min(to, from + max);
    return readRange(fd, from, Math.max(from, to));
  } finally {
    fs.closeSync(fd);
  }
}

/** What a history read of a long run gets: the manifest used (if any) and the journal's points past it. */
export interface SeriesRead {
  readonly manifest: SeriesManifest | undefined;
  readonly tail: Folded;
}

/**
 * The point files of a run (updated first when the journal ran ahead by
 * {@link SERIES_UPDATE_BYTES} or more and the lock is free) and the points of `key` (every
 * key when undefined) the journal holds past them.
 */
export async function readSeries(dir: string, journal: string, key: string | undefined): Promise<SeriesRead> {
  let manifest = readManifest(dir);
  let where = standing(manifest?.position, await listSegments(journal), journal);
  if (manifest === undefined || where.state === "gone" || where.pending >= SERIES_UPDATE_BYTES) {
    try {
      manifest = await updateSeries(dir, journal);
      where = standing(manifest.position, await listSegments(journal), journal);
    } catch {
      // Busy (another process updates it) or not writable: read what is there.
    }
  }
  if (manifest !== undefined && where.state === "gone") manifest = undefined;
  const tail =
    where.state === "current" && manifest !== undefined
      ? { keys: new Map(), corrupt: [], position: manifest.position }
      : await foldPoints(journal, manifest?.position, key);
  return { manifest, tail };
}

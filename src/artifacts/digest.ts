/**
 * Content digests of files and directories.
 *
 * - {@link fileDigests}: sha256 + md5 + size of one file in a single streaming read.
 * - {@link dvcDigest}: the `md5` DVC 3 records for the same data (`dvc add`, `dvc.lock`), plus
 *   our own sha256 ({@link treeSha256} for a directory).
 *
 * DVC's algorithm (dvc-data `hashfile/hash.py`, `hashfile/build.py`, `hashfile/tree.py`):
 * a file's hash is the plain md5 of its bytes. A directory's hash is the md5 of
 * `json.dumps(entries, sort_keys=True)` (Python defaults: `", "` and `": "` separators,
 * `ensure_ascii=True`, UTF-8), where `entries` is `[{"md5": …, "relpath": …}]` sorted by
 * `relpath` (code-point order, `/` as separator), with `.dir` appended.
 * Which files count, as `dvc add` does inside a repository with no `.dvcignore` rules:
 * - only files; empty directories contribute nothing;
 * - a symlink to a file counts with the target's content, as in DVC;
 * - a symlink to a directory is followed (mltrail's one rule for links, `walk.ts`: never skip).
 *   DVC does not follow it (`os.walk` without `followlinks`) and leaves its files out, so for a
 *   folder holding such a link the md5 differs from `dvc add`'s; everywhere else it is equal;
 * - a dangling symlink, a symlink loop, a FIFO, socket or device is an error (`SourceEntryError`);
 * - DVC's default ignores: anything named `.git`, directories named `.hg` or `.dvc`, and
 *   every subdirectory that contains a `.dvc` entry (a nested DVC repository);
 * - a `.dvcignore` file inside the directory is an error, as in DVC
 *   (`IgnoreInCollectedDirError`). Rules from `.dvcignore` files above the directory are
 *   not applied: use `findDvcInfo` (`./dvc.ts`) to read what DVC itself recorded.
 * File names are hashed as the OS returns them (NFC and NFD names give different hashes).
 *
 * @packageDocumentation
 */
import { createHash } from "node:crypto";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { MltrailError } from "../errors.js";
import { withFileSlot } from "./slots.js";
import { compareCodePoints, specialFileError, statFollowing, walkFiles, type LocalFile } from "./walk.js";

export { compareCodePoints };

/** Bytes read per chunk when hashing. */
const CHUNK = 1024 * 1024;
/** Files hashed at the same time inside a directory. */
const DIR_CONCURRENCY = 4;

/**
 * Digests of one file.
 * @example `{ sha256: "2c26b4…", md5: "acbd18db4cc2f85cedef654fccc4a4d8", size: 3 }`
 */
export interface FileDigests {
  /** Lowercase hex sha256 of the bytes. */
  readonly sha256: string;
  /** Lowercase hex md5 of the bytes (DVC 3's file hash). */
  readonly md5: string;
  /** Size in bytes. */
  readonly size: number;
}

/**
 * One file inside a {@link DvcDigest}.
 * @example `{ relpath: "sub/b.txt", md5: "b1946ac9…", size: 6, sha256: "5891b5b5…" }`
 */
export interface DvcFileEntry {
  /** Path relative to the digested directory, `/`-separated (the file name for a file). */
  readonly relpath: string;
  /** md5 of the bytes. */
  readonly md5: string;
  /** Size in bytes. */
  readonly size: number;
  /** sha256 of the bytes. */
  readonly sha256: string;
}

/**
 * What {@link dvcDigest} returns.
 * @example `{ isDir: true, md5: "5ea40360f5b4ec688df672a4db9c17d1.dir", size: 6, nfiles: 2, sha256: "…", files: […] }`
 */
export interface DvcDigest {
  /** Whether the path is a directory. */
  readonly isDir: boolean;
  /** DVC's hash: md5 hex for a file, `<md5 hex>.dir` for a directory. */
  readonly md5: string;
  /** Total bytes (DVC's `size`). */
  readonly size: number;
  /** Number of files (DVC's `nfiles`; 1 for a file). */
  readonly nfiles: number;
  /** sha256 of the file, or {@link treeSha256} of the directory's files. */
  readonly sha256: string;
  /** The files hashed, sorted by `relpath` in code-point order. */
  readonly files: readonly DvcFileEntry[];
}

/**
 * Options of {@link fileDigests} and {@link dvcDigest}.
 * @example `{ signal: AbortSignal.timeout(60_000) }`
 */
export interface DigestOptions {
  /** Stops reading; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * sha256, md5 and size of a file in one streaming read: 1 MiB chunks, double-buffered so
 * the next read overlaps hashing; memory stays at two chunks whatever the file size. Shares the
 * process-wide bound on open files with staging (`slots.ts`).
 *
 * @param file - path of a regular file (symlinks are followed).
 * @example
 * ```ts
 * const { sha256, md5, size } = await fileDigests("model.bin");
 * ```
 */
export function fileDigests(file: string, options: DigestOptions = {}): Promise<FileDigests> {
  return withFileSlot(() => readDigests(file, options));
}

async function readDigests(file: string, options: DigestOptions): Promise<FileDigests> {
  const sha = createHash("sha256");
  const md5 = createHash("md5");
  const handle = await fsp.open(file, "r");
  const buffers: readonly [Buffer, Buffer] = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  const bufferAt = (i: number): Buffer => (i === 0 ? buffers[0] : buffers[1]);
  let pending = handle.read(buffers[0], 0, CHUNK, null);
  try {
    let index = 0;
    let size = 0;
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      options.signal?.throwIfAborted();
      const current = bufferAt(index);
      index ^= 1;
      pending = handle.read(bufferAt(index), 0, CHUNK, null);
      const chunk = current.subarray(0, bytesRead);
      sha.update(chunk);
      md5.update(chunk);
      size += bytesRead;
    }
    return { sha256: sha.digest("hex"), md5: md5.digest("hex"), size };
  } finally {
    await pending.catch(() => undefined); // never close under a read in flight
    await handle.close();
  }
}

/**
 * A string as Python's `json.dumps(s)` writes it with `ensure_ascii=True`: `"` and `\`
 * escaped, `\b \f \n \r \t` by name, every other character outside U+0020..U+007E as
 * `\uXXXX` (lowercase hex; astral characters as a surrogate pair).
 *
 * @example `pythonJsonString("été") // "\"\\u00e9t\\u00e9\""`
 */
export function pythonJsonString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const ch = value[i] ?? "";
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (unit >= 0x20 && unit <= 0x7e) out += ch;
    else out += `\\u${unit.toString(16).padStart(4, "0")}`;
  }
  return `${out}"`;
}

/**
 * The bytes DVC hashes for a directory (and stores as its `.dir` object): the entries
 * sorted by `relpath` in code-point order, serialized as `[{"md5": "…", "relpath": "…"}, …]`.
 *
 * @example
 * ```ts
 * dvcTreeJson([{ relpath: "foo", md5: "acbd…" }, { relpath: "bar", md5: "37b5…" }]);
 * // '[{"md5": "37b5…", "relpath": "bar"}, {"md5": "acbd…", "relpath": "foo"}]'
 * ```
 */
export function dvcTreeJson(entries: readonly { relpath: string; md5: string }[]): string {
  const sorted = [...entries].sort((a, b) => compareCodePoints(a.relpath, b.relpath));
  const items = sorted.map((e) => `{"md5": ${pythonJsonString(e.md5)}, "relpath": ${pythonJsonString(e.relpath)}}`);
  return `[${items.join(", ")}]`;
}

/**
 * Our content digest of a set of files (not DVC's): lowercase hex sha256 over the lines
 * `relpath + "\0" + sha256 + "\n"` (UTF-8), sorted by `relpath` in code-point order. The
 * same files give the same digest wherever they live; metadata does not count.
 *
 * @example `treeSha256([{ relpath: "model.json", sha256: "ab…" }])`
 */
export function treeSha256(files: readonly { relpath: string; sha256: string }[]): string {
  const hash = createHash("sha256");
  for (const f of [...files].sort((a, b) => compareCodePoints(a.relpath, b.relpath))) {
    hash.update(`${f.relpath}\0${f.sha256}\n`, "utf8");
  }
  return hash.digest("hex");
}

/** Collects the files DVC would hash under `root` (see the module notes), sorted. */
function collectFiles(root: string): Promise<LocalFile[]> {
  return walkFiles(root, {
    field: "dataset path",
    enterDir: (rel, names) => {
      if (rel !== "" && names.has(".dvc")) return false; // a nested DVC repository: DVC leaves it out
      if (names.has(".dvcignore")) {
        throw new MltrailError(`.dvcignore file should not be in a collected directory: ${JSON.stringify(rel || ".")} (as in DVC)`, { code: "DVCIGNORE" });
      }
      return true;
    },
    ignore: (name, isDir) => name === ".git" || (isDir && (name === ".hg" || name === ".dvc")),
  });
}

/** Runs `fn` over `items` with at most `limit` calls in flight, keeping the order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * DVC's hash of a file or directory (equal to the `md5` that `dvc add` writes into the
 * `.dvc` file for the same data), with sizes, per-file digests and our sha256. See the
 * module notes for which files count.
 *
 * @param target - a file or a directory (symlinks at the top are followed).
 * @throws SourceEntryError for a dangling link, a loop, a FIFO, socket or device (as above);
 *   MltrailError `DVCIGNORE`; file-system errors as is.
 * @example
 * ```ts
 * const d = await dvcDigest("data/train");
 * d.md5;   // "5ea40360f5b4ec688df672a4db9c17d1.dir"
 * d.nfiles; d.size; d.sha256;
 * ```
 */
export async function dvcDigest(target: string, options: DigestOptions = {}): Promise<DvcDigest> {
  const stat = await statFollowing("dataset path", target);
  if (!stat.isDirectory() && !stat.isFile()) throw specialFileError("dataset path", target, stat);
  if (!stat.isDirectory()) {
    const d = await fileDigests(target, options);
    const files = [{ relpath: path.basename(target), md5: d.md5, size: d.size, sha256: d.sha256 }];
    return { isDir: false, md5: d.md5, size: d.size, nfiles: 1, sha256: d.sha256, files };
  }
  const found = await collectFiles(target);
  const files = await mapLimit(found, DIR_CONCURRENCY, async ({ rel, file }): Promise<DvcFileEntry> => {
    const d = await fileDigests(file, options);
    return { relpath: rel, md5: d.md5, size: d.size, sha256: d.sha256 };
  });
  const md5 = `${createHash("md5").update(dvcTreeJson(files), "utf8").digest("hex")}.dir`;
  const size = files.reduce((sum, f) => sum + f.size, 0);
  return { isDir: true, md5, size, nfiles: files.length, sha256: treeSha256(files), files };
}

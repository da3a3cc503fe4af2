/**
 * Copying artifact files into a run's `artifacts/` folder (and downloads into a user's folder):
 * streamed (bounded memory for multi-GB files), hashed (sha256) on the way, written to a temp
 * file of its own in the destination folder, fsynced, and renamed into place.
 *
 * - A crash never leaves a half-copied artifact under its real name.
 * - Concurrent writes to one path never mix: each call has its own temp file, and the rename
 *   runs synchronously together with the caller's journal record (`afterPlace`), so the file
 *   on disk is always the one the last record describes (the call that finishes last wins).
 * - Any failure removes the temp file and throws a typed error: StorageFullError for a full
 *   disk, ValidationError when the destination is in the way (a file where a folder is needed,
 *   a name too long), SourceEntryError when the source cannot be read, SpoolError otherwise.
 * - At most {@link FILE_SLOTS} copies run at once in the process (no EMFILE).
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, fsyncSync, closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { MltrailError, ValidationError } from "../errors.js";
import { storageError } from "../log/fs-errors.js";
import { SourceEntryError } from "./errors.js";
import { FILE_SLOTS, withFileSlot } from "./slots.js";

export { FILE_SLOTS };

/** sha256 and size of a staged file. */
export interface StagedFile {
  readonly sha256: string;
  readonly size: number;
}

/**
 * Options of {@link stageFile} and {@link stageData}.
 * @example `{ beforePlace: () => run.checkOpen(), afterPlace: (s) => journal.append(s) }`
 */
export interface StageOptions {
  /** Names the destination in errors: `"artifactPath"` (the value shown is the relative path) or `"dest"` (the full path). @default "artifactPath" */
  readonly field?: "artifactPath" | "dest";
  /** Names the source in errors (stageFile). @default "localPath" */
  readonly sourceField?: string;
  /** Runs synchronously right before the rename; throwing aborts and removes the temp file. */
  readonly beforePlace?: (staged: StagedFile) => void;
  /** Runs synchronously right after the rename, in the same turn (the journal record). */
  readonly afterPlace?: (staged: StagedFile) => void;
}

let counter = 0;

/** A short temp name in `dest`'s folder, unique per call and process (never longer than the limits). */
export function tempPath(dest: string): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return path.join(path.dirname(dest), `.mltrail-${process.pid}-${counter}.partial`);
}

const IN_THE_WAY = new Set(["ENOTDIR", "EEXIST"]);

/**
 * The typed error for a failed write to `dest`: a file in the way or a name too long is the
 * caller's input (ValidationError on `field`); a full disk is a StorageFullError; anything else
 * a SpoolError. An MltrailError is returned unchanged.
 * @example `throw destinationError(err, "dest", "/tmp/out", "/tmp/out/model/w.bin")`
 */
export function destinationError(err: unknown, field: string, value: string, dest: string): MltrailError {
  if (err instanceof MltrailError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? "";
  if (IN_THE_WAY.has(code)) return new ValidationError(field, value, "cannot be written: a file is in the way where a folder is needed");
  if (code === "EISDIR") return new ValidationError(field, value, "cannot be written: a folder already exists at that path");
  if (code === "ENAMETOOLONG") return new ValidationError(field, value, "is longer than the file system allows (255 bytes per name)");
  return storageError(err, `cannot write ${field === "dest" ? "download" : "artifact"} ${JSON.stringify(value)}`, dest);
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await fsp.open(file, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A pass-through stream that hashes (sha256) and counts what flows through it.
 * @example `const tap = hashingTap(); await pipeline(src, tap.stream, sink); tap.result()`
 */
export function hashingTap(onBytes?: (size: number) => void): { stream: Transform; result(): StagedFile } {
  const hash = createHash("sha256");
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      onBytes?.(size);
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ sha256: hash.digest("hex"), size }) };
}

/** Writes into a fresh temp file with `write`, then places it at `<root>/<relPath>` (see the module notes). */
async function stage(root: string, relPath: string, options: StageOptions, write: (tmp: string) => Promise<StagedFile>): Promise<StagedFile> {
  const dest = path.join(root, ...relPath.split("/"));
  const field = options.field ?? "artifactPath";
  return withFileSlot(async () => {
    let tmp: string | undefined;
    try {
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      tmp = tempPath(dest);
      const staged = await write(tmp);
      await fsyncFile(tmp);
      options.beforePlace?.(staged);
      renameSync(tmp, dest); // synchronous: no other call can place or record in between
      tmp = undefined;
      options.afterPlace?.(staged);
      return staged;
    } catch (err) {
      if (tmp !== undefined) await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw destinationError(err, field, field === "dest" ? dest : relPath, dest);
    }
  });
}

/**
 * Copies `src` to `<root>/<relPath>`, returning its sha256 and size.
 * @throws SourceEntryError when `src` cannot be read; see the module notes for the rest.
 * @example `await stageFile("out/w.bin", run.artifactsDir, "model/w.bin")`
 */
export function stageFile(src: string, root: string, relPath: string, options: StageOptions = {}): Promise<StagedFile> {
  return stage(root, relPath, options, async (tmp) => {
    const tap = hashingTap();
    const input = createReadStream(src, { highWaterMark: 1024 * 1024 });
    const output = createWriteStream(tmp, { flags: "wx" });
    let readError: unknown;
    let writeError: unknown;
    input.once("error", (error) => (readError = error));
    output.once("error", (error) => (writeError = error));
    try {
      await pipeline(input, tap.stream, output);
    } catch (error) {
      // Newer Node versions destroy the source with the sink's error (a full disk, say): that
      // is a write failure, not an unreadable source.
      if (readError === undefined || writeError !== undefined) throw error;
      const code = (readError as NodeJS.ErrnoException).code ?? String(readError);
      throw new SourceEntryError(options.sourceField ?? "localPath", src, `cannot be read (${code})`, "unreadable", { cause: readError });
    }
    return tap.result();
  });
}

/**
 * Writes `data` to `<root>/<relPath>`, returning its sha256 and size.
 * @example `await stageData("hello", run.artifactsDir, "notes.txt")`
 */
export function stageData(data: string | Uint8Array, root: string, relPath: string, options: StageOptions = {}): Promise<StagedFile> {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
  return stage(root, relPath, options, async (tmp) => {
    await fsp.writeFile(tmp, bytes, { flag: "wx" });
    return { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
  });
}

/**
 * {@link stageData} without awaiting (exit paths): the same temp file, fsync and rename, in
 * one synchronous step. Throws like {@link stageData}.
 * @example `stageDataSync("last lines", run.artifactsDir, "console/output.log")`
 */
export function stageDataSync(data: string, root: string, relPath: string): StagedFile {
  const bytes = Buffer.from(data, "utf8");
  const dest = path.join(root, ...relPath.split("/"));
  let tmp: string | undefined;
  try {
    mkdirSync(path.dirname(dest), { recursive: true });
    tmp = tempPath(dest);
    const fd = openSync(tmp, "wx");
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, dest);
    tmp = undefined;
    return { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
  } catch (err) {
    if (tmp !== undefined) rmSync(tmp, { force: true });
    throw destinationError(err, "artifactPath", relPath, dest);
  }
}

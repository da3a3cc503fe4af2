/**
 * Atomic small-file writes: temp file in the same folder, fsync, rename, fsync the folder.
 * A reader sees the old content or the new, never a torn one.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { CorruptDataError } from "../errors.js";
import { storageError } from "./fs-errors.js";

let counter = 0;

/** A temp name no other call (of this or another process) uses. */
function tempName(file: string): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${counter}.tmp`);
}

/** Documents up to this size are written with synchronous calls (microseconds), larger ones off the main thread. */
const SYNC_WRITE_MAX = 64 * 1024;

/**
 * Writes `data` to `file` atomically (async). On failure the temp file is removed and a typed
 * error is thrown: {@link StorageFullError} when the disk is full, else {@link SpoolError}.
 * A small document costs two trips through the thread pool (the two fsyncs); everything
 * else is a synchronous call of a few microseconds, cheaper than a trip on a loaded machine.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  if (data.length > SYNC_WRITE_MAX) return writeLargeFileAtomic(file, data);
  const staged = new StagedFile(file, data);
  try {
    await staged.sync();
    staged.commit();
  } catch (err) {
    staged.abort();
    throw storageError(err, `cannot write ${path.basename(file)}`, file);
  }
  await fsyncDir(path.dirname(file));
}

async function writeLargeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = tempName(file);
  try {
    const handle = await fsp.open(tmp, "w");
    try {
      await handle.writeFile(data, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw storageError(err, `cannot write ${path.basename(file)}`, file);
  }
  await fsyncDir(path.dirname(file));
}

/**
 * A small document written to a temp file next to `file` at once, and renamed into place by
 * {@link commit}. Its {@link sync} can run alongside other fsyncs (a run's end fsyncs its
 * journal and its run.json in one round); renaming only after it means a power loss leaves
 * the old document or the new one, never an empty one.
 */
export class StagedFile {
  private readonly tmp: string;
  private fd: number | undefined;

  /** Writes the temp file; throws {@link StorageFullError} or {@link SpoolError} (nothing is left behind). */
  constructor(
    readonly file: string,
    data: string,
  ) {
    this.tmp = tempName(file);
    try {
      this.fd = fs.openSync(this.tmp, "w");
      const bytes = Buffer.from(data, "utf8");
      let off = 0;
      while (off < bytes.length) off += fs.writeSync(this.fd, bytes, off, bytes.length - off);
    } catch (err) {
      this.abort();
      throw storageError(err, `cannot write ${path.basename(file)}`, file);
    }
  }

  /** fsyncs the temp file off the main thread. */
  sync(): Promise<void> {
    const fd = this.fd;
    if (fd === undefined) return Promise.resolve();
    return new Promise((resolve, reject) =>
      fs.fsync(fd, (err) => (err ? reject(storageError(err, `cannot write ${path.basename(this.file)}`, this.file)) : resolve())),
    );
  }

  /** Renames the temp file into place (atomic: readers see the old document or the new one). */
  commit(): void {
    this.close();
    try {
      fs.renameSync(this.tmp, this.file);
    } catch (err) {
      fs.rmSync(this.tmp, { force: true });
      throw storageError(err, `cannot write ${path.basename(this.file)}`, this.file);
    }
  }

  /** Removes the temp file (the document is not written). */
  abort(): void {
    try {
      this.close();
    } catch {
      // Removed below either way.
    }
    fs.rmSync(this.tmp, { force: true });
  }

  private close(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Writes `data` to `file` atomically (sync; for exit paths). Same error rules as {@link writeFileAtomic}. */
export function writeFileAtomicSync(file: string, data: string): void {
  const tmp = tempName(file);
  try {
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeFileSync(fd, data, "utf8");
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw storageError(err, `cannot write ${path.basename(file)}`, file);
  }
  fsyncPathSync(path.dirname(file));
}

/** fsyncs a folder so a rename or a new file in it survives power loss (best effort). One trip through the thread pool. */
export function fsyncDir(dir: string): Promise<void> {
  return fsyncPath(dir).catch(() => undefined); // some platforms cannot open or fsync a folder; the rename is still atomic there
}

/** fsyncs a file or folder by path, off the main thread; rejects with the fs error. */
export function fsyncPath(file: string): Promise<void> {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    return Promise.reject(err as Error);
  }
  return new Promise((resolve, reject) =>
    fs.fsync(fd, (err) => {
      try {
        fs.closeSync(fd);
      } catch {
        // Nothing to keep.
      }
      if (err) reject(err);
      else resolve();
    }),
  );
}

/** fsyncs a file or folder by path, synchronously (exit paths); best effort. */
export function fsyncPathSync(file: string): void {
  try {
    const fd = fs.openSync(file, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some platforms cannot fsync a folder; the rename is still atomic there.
  }
}

/**
 * Reads and parses a JSON file, or `undefined` when it does not exist. Throws
 * {@link CorruptDataError} naming the file when it is not JSON (empty, torn, garbage) and
 * {@link SpoolError} when it cannot be read. Callers validate the shape (zod) themselves.
 */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw storageError(err, `cannot read ${path.basename(file)}`, file);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CorruptDataError(`${path.basename(file)} is damaged: ${text.length === 0 ? "empty" : "not JSON"} (${(err as Error).message})`, {
      path: file,
      cause: err,
    });
  }
}

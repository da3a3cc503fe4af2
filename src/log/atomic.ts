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

/**
 * Writes `data` to `file` atomically (async). On failure the temp file is removed and a typed
 * error is thrown: {@link StorageFullError} when the disk is full, else {@link SpoolError}.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
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
  try {
    const dirFd = fs.openSync(path.dirname(file), "r");
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch {
    // Some platforms cannot fsync a folder; the rename is still atomic there.
  }
}

/** fsyncs a folder so a rename or a new file in it survives power loss (best effort). */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await fsp.open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot open or fsync a folder; the rename is still atomic there.
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

/**
 * Turns file-system errors into typed mltrail errors: a full disk or quota becomes a
 * {@link StorageFullError}, anything else a {@link SpoolError} naming the file.
 */
import { MltrailError, SpoolError, StorageFullError } from "../errors.js";

const FULL = new Set(["ENOSPC", "EDQUOT"]);

/** Whether `err` says the disk or the quota is full. */
export function isDiskFull(err: unknown): boolean {
  return err instanceof StorageFullError || FULL.has((err as NodeJS.ErrnoException | undefined)?.code ?? "");
}

/**
 * The typed error for a failed file operation: `message` plus the system's reason. An
 * {@link MltrailError} is returned unchanged.
 * @example `throw storageError(err, "cannot write the run meta", file)`
 */
export function storageError(err: unknown, message: string, file: string): MltrailError {
  if (err instanceof MltrailError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  if (isDiskFull(err)) return new StorageFullError(`${message}: the disk is full (${reason})`, { cause: err, path: file });
  return new SpoolError(`${message}: ${reason}`, { cause: err, path: file });
}

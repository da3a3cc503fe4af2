/**
 * Errors of artifacts: a server that cannot take artifacts, a download that does not match its
 * manifest, and a local entry that cannot be logged (a dangling link, a link loop, a FIFO…).
 *
 * @packageDocumentation
 */
import { MltrailError, ValidationError } from "../errors.js";

const NOT_PROXIED =
  "the server does not proxy artifacts (--serve-artifacts); start it with `mlflow server --serve-artifacts` " +
  "(the default) and a proxied artifact root (mlflow-artifacts:/), or store artifacts locally";

/**
 * Thrown when a server cannot take artifacts through its proxy: it runs with
 * `--no-serve-artifacts` (HTTP 503), or the run's artifact URI is not `mlflow-artifacts:`
 * (`file:`, `s3:`, `dbfs:`…). Code `ARTIFACTS_NOT_PROXIED`; not retryable.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof ArtifactsNotProxiedError) console.error(e.message); }
 * ```
 */
export class ArtifactsNotProxiedError extends MltrailError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`${NOT_PROXIED} (${detail})`, { code: "ARTIFACTS_NOT_PROXIED", ...(options?.cause === undefined ? {} : { cause: options.cause }) });
  }
}

/**
 * Thrown by `downloadFile` (`remote/artifacts.ts`) when the bytes received do not match the expected size or
 * sha256. Nothing is left at the destination. Code `CHECKSUM`.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof ChecksumError) console.error(e.expected, e.actual); }
 * ```
 */
export class ChecksumError extends MltrailError {
  /** What was expected, e.g. `sha256 ab12…` or `size 1024`. */
  readonly expected: string;
  /** What arrived. */
  readonly actual: string;

  constructor(relPath: string, expected: string, actual: string) {
    super(`artifact ${JSON.stringify(relPath)}: download does not match the manifest: expected ${expected}, got ${actual}`, { code: "CHECKSUM" });
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * What is wrong with a local entry: a symlink whose target does not exist, a symlink that leads
 * back into itself (or a folder link to one of its own parents), an entry that is neither a
 * regular file nor a folder (FIFO, socket, device), or one that cannot be read.
 * @example `"dangling-link"`
 */
export type SourceEntryProblem = "dangling-link" | "link-loop" | "not-file-or-folder" | "unreadable";

/**
 * A file or folder given to `logArtifacts`, `logModel` or `logDataset` (or an entry inside it)
 * that cannot be logged. mltrail never skips an entry: every symlink is followed, to files and
 * folders, wherever it points; a dangling link, a loop, or an entry that is not a regular file
 * or folder stops the call before anything is recorded. The message names the full path.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof SourceEntryError) console.error(e.path, e.problem); }
 * // SourceEntryError: dir: "/data/model/weights.bin" is not valid: is a dangling symlink (→ ../blobs/9f2c…, which does not exist)
 * ```
 */
export class SourceEntryError extends ValidationError {
  /** The local path of the entry, through the links followed to reach it. */
  readonly path: string;
  /** What is wrong with it. */
  readonly problem: SourceEntryProblem;

  constructor(field: string, entryPath: string, rule: string, problem: SourceEntryProblem, options?: { cause?: unknown }) {
    super(field, entryPath, rule);
    // The full path, never shortened: it is what the user has to go and fix.
    this.message = `${field}: ${JSON.stringify(entryPath)} is not valid: ${rule}`;
    if (options?.cause !== undefined) this.cause = options.cause;
    this.path = entryPath;
    this.problem = problem;
  }
}

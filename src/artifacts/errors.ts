/**
 * Errors of artifact transfers: a server that cannot take artifacts, and a download that does
 * not match its manifest.
 *
 * @packageDocumentation
 */
import { MltrailError } from "../errors.js";

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

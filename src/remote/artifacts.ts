/**
 * Run artifacts through an MLflow server's artifact proxy (`mlflow-artifacts`): streaming
 * upload and download with bounded memory, retries, and verified downloads. See the
 * reference, MLflow REST API §1.6: `PUT`/`GET /api/2.0/mlflow-artifacts/artifacts/<path>`,
 * where a run's artifact URI `mlflow-artifacts:/<exp>/<run>/artifacts` maps to `<path>`.
 *
 * @packageDocumentation
 */
import { createWriteStream } from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { Transform } from "node:stream";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { checkArtifactPath } from "../artifacts/paths.js";
import { destinationError, hashingTap, tempPath } from "../artifacts/staging.js";
import { ArtifactsNotProxiedError, ChecksumError } from "../artifacts/errors.js";
import { ApiError, MltrailError } from "../errors.js";
import { isRetryable } from "./errors.js";
import type { StreamingHttpClient as HttpClient } from "./http.js";
import { withRetry } from "./retry.js";
import type { RetryPolicy } from "./retry.js";
import { defined } from "../internal/defined.js";

/** Path prefix of the artifact proxy. */
export const ARTIFACT_PROXY_PREFIX = "/api/2.0/mlflow-artifacts/artifacts";
const CHUNK = 1024 * 1024;

export { ArtifactsNotProxiedError, ChecksumError };

/**
 * Maps a run's artifact URI and a relative path to the proxy endpoint path (each segment
 * URL-encoded). Accepts `mlflow-artifacts:/…`, `mlflow-artifacts:///…` and
 * `mlflow-artifacts://host:port/…` (the host is ignored: requests go to the tracking server).
 *
 * @param relPath - a path checked by {@link checkArtifactPath}; `""` for the root.
 * @throws ArtifactsNotProxiedError for other URI schemes; ValidationError for a bad `relPath`.
 * @example
 * ```ts
 * artifactUrlPath("mlflow-artifacts:/1/abc/artifacts", "model/w b.bin");
 * // "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model/w%20b.bin"
 * ```
 */
export function artifactUrlPath(artifactUri: string, relPath: string): string {
  const match = /^mlflow-artifacts:(\/\/[^/]*)?(\/.*)?$/.exec(artifactUri);
  if (match === null) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(artifactUri)?.[1] ?? "a local path";
    throw new ArtifactsNotProxiedError(`the run's artifact URI uses ${scheme === "a local path" ? scheme : `${scheme}:`}, not mlflow-artifacts:`);
  }
  const base = (match[2] ?? "").split("/").filter((s) => s !== "");
  const rel = relPath === "" ? [] : checkArtifactPath(relPath).split("/");
  const segments = [...base.map((s) => safeDecode(s)), ...rel].map(encodeURIComponent);
  return segments.length === 0 ? ARTIFACT_PROXY_PREFIX : `${ARTIFACT_PROXY_PREFIX}/${segments.join("/")}`;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Turns the proxy's "--no-serve-artifacts" 503 into {@link ArtifactsNotProxiedError}. */
function translate(error: unknown): unknown {
  if (error instanceof ApiError && error.status === 503 && /serve-artifacts/.test(error.message)) {
    return new ArtifactsNotProxiedError("HTTP 503 from the artifact proxy", { cause: error });
  }
  return error;
}

/**
 * Options of {@link uploadFile} and {@link downloadFile}.
 * @example `{ signal, onProgress: (done, total) => bar.update(done / total) }`
 */
export interface TransferOptions {
  /** Aborts the transfer (and its retries). */
  readonly signal?: AbortSignal;
  /** Called as bytes move: bytes done in this attempt, total bytes (`undefined` if unknown). */
  readonly onProgress?: (done: number, total: number | undefined) => void;
  /** Retry policy: network errors, 5xx and 429 are retried, the file re-read each attempt. @default `{}` (4 retries) */
  readonly retry?: RetryPolicy;
  /** Socket idle timeout, ms. @default the client's timeout */
  readonly timeoutMs?: number;
}

/**
 * Options of {@link downloadFile}.
 * @example `{ expectedSha256: manifest[p].sha256, expectedSize: manifest[p].size }`
 */
export interface DownloadOptions extends TransferOptions {
  /** Lowercase hex sha256 the file must have. */
  readonly expectedSha256?: string;
  /** Size in bytes the file must have. */
  readonly expectedSize?: number;
}

function retrying<T>(fn: () => Promise<T>, options: TransferOptions): Promise<T> {
  const policy = options.retry ?? {};
  const shouldRetry = policy.shouldRetry ?? isRetryable;
  return withRetry(
    async () => {
      try {
        return await fn();
      } catch (error) {
        throw translate(error);
      }
    },
    { ...policy, shouldRetry: (e, attempt) => !(e instanceof ArtifactsNotProxiedError) && shouldRetry(e, attempt) },
    options.signal === undefined ? {} : { signal: options.signal },
  );
}

/**
 * Uploads one file to `<artifactUri>/<relPath>` with a streaming PUT: read from disk in
 * 1 MiB chunks with `Content-Length`, never buffered whole. Retried on network errors, 5xx
 * and 429 (the file is re-opened for each attempt). Overwrites an existing artifact.
 *
 * @returns the number of bytes sent.
 * @throws ArtifactsNotProxiedError, ApiError, ConnectionError, ValidationError (bad `relPath`).
 * @example
 * ```ts
 * await uploadFile(http, run.info.artifactUri, "model/weights.bin", "out/weights.bin");
 * ```
 */
export async function uploadFile(http: HttpClient, artifactUri: string, relPath: string, localFile: string, options: TransferOptions = {}): Promise<number> {
  const endpoint = artifactUrlPath(artifactUri, checkArtifactPath(relPath));
  return retrying(async () => {
    // One open file for both the size and the bytes: a file replaced meanwhile (a newer write
    // to the same artifact path) is sent whole, old or new, never a mix of the two.
    const handle = await fsp.open(localFile, "r");
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (error) {
      await handle.close();
      throw error;
    }
    if (size === 0) await handle.close();
    // `end` pins the length announced in Content-Length even if the file grows meanwhile.
    const file: Readable | undefined = size === 0 ? undefined : handle.createReadStream({ highWaterMark: CHUNK, end: size - 1 });
    let body = file;
    if (body !== undefined && options.onProgress !== undefined) {
      const report = options.onProgress;
      let done = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          done += chunk.length;
          report(done, size);
          callback(null, chunk);
        },
      });
      const source = body;
      source.once("error", (error) => counter.destroy(error));
      body = source.pipe(counter);
    }
    const response = await http
      .stream("PUT", endpoint, {
        ...defined({ body }),
        contentLength: size,
        ...defined({ signal: options.signal }),
        ...defined({ timeoutMs: options.timeoutMs }),
      })
      .catch((error: unknown) => {
        file?.destroy(); // closes the file, whether or not the request read it
        throw error;
      });
    // A 2xx means the server has stored the file; its tiny JSON body is drained, not awaited
    // strictly (a peer closing right after answering is not a failed upload).
    await new Promise<void>((resolve) => {
      response.body
        .once("end", resolve)
        .once("error", () => resolve())
        .once("close", resolve)
        .resume();
    });
    return size;
  }, options);
}

/**
 * Downloads `<artifactUri>/<relPath>` to `dest` with a streaming GET: written to a temp file
 * next to `dest`, hashed (sha256) on the way, checked against `expectedSize` and
 * `expectedSha256`, flushed and renamed into place. On any failure nothing is left at
 * `dest` or in the temp file. Retried like {@link uploadFile}; a checksum mismatch is not.
 *
 * @returns sha256 and size of the file received.
 * @throws ChecksumError on mismatch; ArtifactsNotProxiedError, ApiError (404 when absent), ConnectionError.
 * @example
 * ```ts
 * await downloadFile(http, uri, "model/weights.bin", "weights.bin", { expectedSha256: m.sha256, expectedSize: m.size });
 * ```
 */
export async function downloadFile(
  http: HttpClient,
  artifactUri: string,
  relPath: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<{ sha256: string; size: number }> {
  const endpoint = artifactUrlPath(artifactUri, checkArtifactPath(relPath));
  await fsp.mkdir(path.dirname(path.resolve(dest)), { recursive: true }).catch((error: unknown) => {
    throw destinationError(error, "dest", dest, dest);
  });
  const received = await retrying(async () => {
    const tmp = tempPath(dest);
    try {
      const response = await http.stream("GET", endpoint, {
        ...defined({ signal: options.signal }),
        ...defined({ timeoutMs: options.timeoutMs }),
      });
      const length = Number(response.headers["content-length"]);
      const total = Number.isFinite(length) ? length : undefined;
      const tap = hashingTap((done) => options.onProgress?.(done, total));
      const sink = createWriteStream(tmp, { highWaterMark: CHUNK });
      await pipeline(response.body, tap.stream, sink, options.signal === undefined ? {} : { signal: options.signal });
      const { sha256, size } = tap.result();
      if (total !== undefined && size !== total)
        throw new MltrailError(`${endpoint}: connection closed after ${size} of ${total} bytes`, { code: "TRUNCATED" });
      return { tmp, sha256, size };
    } catch (error) {
      await fsp.rm(tmp, { force: true });
      throw error;
    }
  }, options);
  try {
    if (options.expectedSize !== undefined && received.size !== options.expectedSize) {
      throw new ChecksumError(relPath, `size ${options.expectedSize}`, `size ${received.size}`);
    }
    if (options.expectedSha256 !== undefined && received.sha256 !== options.expectedSha256.toLowerCase()) {
      throw new ChecksumError(relPath, `sha256 ${options.expectedSha256}`, `sha256 ${received.sha256}`);
    }
    const handle = await fsp.open(received.tmp, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(received.tmp, dest);
  } catch (error) {
    await fsp.rm(received.tmp, { force: true });
    throw destinationError(error, "dest", dest, dest);
  }
  return { sha256: received.sha256, size: received.size };
}

/**
 * One entry of {@link listArtifacts}.
 * @example `{ path: "model/weights.bin", isDir: false, size: 1024 }`
 */
export interface ArtifactEntry {
  /** Path relative to the run's artifact root (checked by {@link checkArtifactPath}). */
  readonly path: string;
  /** Whether it is a directory. */
  readonly isDir: boolean;
  /** Size in bytes (files only). */
  readonly size?: number;
}

interface ListPage {
  files?: { path?: unknown; is_dir?: unknown; file_size?: unknown }[];
  next_page_token?: unknown;
}

/**
 * Lists one level of a run's artifacts (`GET /api/2.0/mlflow/artifacts/list`, every page),
 * works for any artifact store the server can read. Paths the server returns are validated,
 * so a hostile listing cannot lead a recursive download out of its folder.
 *
 * @param path - a folder relative to the artifact root; omitted for the root.
 * @example
 * ```ts
 * for (const e of await listArtifacts(http, runId, "model")) console.log(e.path, e.size);
 * ```
 */
export async function listArtifacts(
  http: HttpClient,
  runId: string,
  path?: string,
  options: { signal?: AbortSignal; retry?: RetryPolicy } = {},
): Promise<ArtifactEntry[]> {
  const out: ArtifactEntry[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const query = { run_id: runId, path: path === undefined || path === "" ? undefined : checkArtifactPath(path, "path"), page_token: token };
    const page = await retrying(
      () => http.request<ListPage>("GET", "/api/2.0/mlflow/artifacts/list", { query, ...defined({ signal: options.signal }) }),
      options,
    );
    for (const f of page.files ?? []) {
      const isDir = f.is_dir === true;
      const size = typeof f.file_size === "number" ? f.file_size : typeof f.file_size === "string" ? Number(f.file_size) : undefined;
      out.push({ path: checkArtifactPath(f.path, "artifact path from the server"), isDir, ...(isDir || size === undefined ? {} : { size }) });
    }
    token = typeof page.next_page_token === "string" && page.next_page_token !== "" ? page.next_page_token : undefined;
    if (token !== undefined && seen.has(token)) {
      // Stopping here would return a listing with files silently missing.
      throw new MltrailError(
        `/api/2.0/mlflow/artifacts/list: the server sent page token ${JSON.stringify(token.slice(0, 40))} twice; the listing cannot be completed`,
        { code: "BAD_RESPONSE" },
      );
    }
    if (token !== undefined) seen.add(token);
  } while (token !== undefined);
  return out;
}

/**
 * Listing and downloading the artifacts of a run in the local store, verified against the
 * run's manifest (the sha256 and size recorded when each file was logged).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { CorruptDataError, MltrailError, NotFoundError, ValidationError } from "../errors.js";
import { SourceEntryError } from "../artifacts/errors.js";
import { stageFile } from "../artifacts/staging.js";

/**
 * One entry of an artifact listing.
 * @example `{ path: "plots/loss.png", isDir: false, size: 20480, sha256: "…" }`
 */
export interface ArtifactEntry {
  /** Path relative to the run's artifact root. */
  readonly path: string;
  /** `true` for a folder (list it to see its children), `false` for a file. */
  readonly isDir: boolean;
  /** Bytes (files only). */
  readonly size?: number;
  /** sha256 from the manifest (files only, when known). */
  readonly sha256?: string;
}

/**
 * Progress of a download: bytes done and total bytes (total undefined when unknown).
 * @example `(done, total) => bar.update(done)`
 */
export type DownloadProgress = (done: number, total: number | undefined) => void;

/** A run's manifest: path → sha256 and size. */
export type Manifest = ReadonlyMap<string, { readonly sha256: string; readonly size: number }>;

/** The immediate children of `dir` ("" = root) in a manifest, folders first. */
export function listManifest(manifest: Manifest, dir: string | undefined): ArtifactEntry[] {
  const prefix = dir === undefined || dir === "" ? "" : `${dir.replace(/\/+$/, "")}/`;
  const dirs = new Set<string>();
  const files: ArtifactEntry[] = [];
  for (const [p, info] of manifest) {
    if (!p.startsWith(prefix)) continue;
    const rest = p.slice(prefix.length);
    const slash = rest.indexOf("/");
    if (slash === -1) files.push({ path: p, isDir: false, size: info.size, sha256: info.sha256 });
    else dirs.add(`${prefix}${rest.slice(0, slash)}`);
  }
  return [...[...dirs].sort().map((p) => ({ path: p, isDir: true })), ...files.sort((a, b) => (a.path < b.path ? -1 : 1))];
}

/** The manifest entries at or under `artifactPath` (a file or a folder). */
export function selectManifest(manifest: Manifest, artifactPath: string): [string, { sha256: string; size: number }][] {
  const clean = artifactPath.replace(/\/+$/, "");
  return [...manifest].filter(([p]) => clean === "" || p === clean || p.startsWith(`${clean}/`));
}

/** sha256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Checks a download destination: it must be a folder or not exist yet.
 * @throws ValidationError naming `dest` when it is an existing file (or anything but a folder).
 * @example `await checkDownloadDest("./downloads")`
 */
export async function checkDownloadDest(dest: unknown): Promise<string> {
  if (typeof dest !== "string" || dest === "") throw new ValidationError("dest", dest, "must be the path of a folder");
  const stat = await fsp.stat(dest).catch(() => undefined);
  if (stat !== undefined && !stat.isDirectory()) throw new ValidationError("dest", dest, "must be a folder or not exist yet; it is an existing file");
  return dest;
}

/**
 * Copies artifacts of a run to `dest`, keeping their relative paths, verifying each copy
 * against the manifest. Returns the local path of `artifactPath` under `dest`.
 */
export async function downloadLocal(
  artifactsDir: string,
  manifest: Manifest,
  artifactPath: string,
  dest: string,
  onProgress?: DownloadProgress,
): Promise<string> {
  const entries = selectManifest(manifest, artifactPath);
  if (entries.length === 0) throw new NotFoundError(`no artifact "${artifactPath}" in this run`);
  await checkDownloadDest(dest);
  const total = entries.reduce((n, [, info]) => n + info.size, 0);
  let done = 0;
  for (const [rel, info] of entries) {
    const src = path.join(artifactsDir, ...rel.split("/"));
    await stageFile(src, dest, rel, {
      field: "dest",
      sourceField: "stored artifact",
      // Checked before the rename: a damaged copy never reaches `dest`.
      beforePlace: (got) => {
        if (got.sha256 !== info.sha256 || got.size !== info.size) {
          throw new MltrailError(
            `artifact "${rel}" does not match its manifest (sha256 ${got.sha256.slice(0, 12)}…, expected ${info.sha256.slice(0, 12)}…): the stored copy is damaged`,
            { code: "CHECKSUM" },
          );
        }
      },
    }).catch((error: unknown) => {
      if (error instanceof SourceEntryError)
        throw new CorruptDataError(`artifact "${rel}" is missing or unreadable in the run's folder: ${error.rule}`, { path: src, cause: error });
      throw error;
    });
    done += info.size;
    onProgress?.(done, total);
  }
  return path.join(
    dest,
    ...artifactPath
      .replace(/\/+$/, "")
      .split("/")
      .filter((s) => s !== ""),
  );
}

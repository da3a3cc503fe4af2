/**
 * Artifact previews for the dashboard. A file is fetched through the tracker's own
 * `downloadArtifacts` (verified against the run's manifest) into a private cache folder, and
 * served from there only after its real path (symlinks resolved) is checked to lie inside that
 * folder. Paths with `..`, absolute paths, backslashes or control characters are refused
 * before anything is read.
 *
 * @packageDocumentation
 */
import { createHash } from "node:crypto";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { ValidationError } from "../errors.js";
import type { ArtifactBrowser } from "../tracker-api.js";

/** Largest artifact the dashboard previews. */
export const PREVIEW_MAX_BYTES = 20 * 1024 * 1024;

const TYPES: Readonly<Record<string, string>> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".json": "application/json; charset=utf-8",
};

/**
 * The content type an artifact is served with: the image types by extension, JSON as JSON,
 * everything else as plain text (never HTML, so nothing in an artifact runs as a page).
 * @example `artifactType("plots/loss.png") // "image/png"`
 */
export function artifactType(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? "text/plain; charset=utf-8";
}

/**
 * Checks an artifact path from a request: relative, `/`-separated, no `.`/`..` segment, no
 * backslash, NUL or control character.
 * @throws ValidationError naming `path` otherwise.
 * @example `checkPreviewPath("plots/loss.png")`
 */
export function checkPreviewPath(value: string | null): string {
  if (value === null || value === "") throw new ValidationError("path", value, "must name an artifact file");
  const bad =
    value.startsWith("/") ||
    value.includes("\\") ||
    /[\u0000-\u001f\u007f]/.test(value) ||
    value.split("/").some((seg) => seg === "" || seg === "." || seg === "..") ||
    path.isAbsolute(value);
  if (bad) throw new ValidationError("path", value, "must be a relative artifact path without '.', '..', empty segments or backslashes");
  return value;
}

/**
 * Downloads artifacts into a private folder and hands out paths proven to lie inside it.
 * @example `const file = await cache.file(runId, "plots/loss.png")`
 */
export class ArtifactCache {
  private root: Promise<string> | undefined;

  constructor(private readonly reader: ArtifactBrowser) {}

  private folder(): Promise<string> {
    this.root ??= fsp.mkdtemp(path.join(os.tmpdir(), "mltrail-ui-")).then((dir) => fsp.realpath(dir));
    return this.root;
  }

  /**
   * A local copy of one artifact file of a run, with its size.
   * @throws ValidationError for a bad path, a folder, a file over {@link PREVIEW_MAX_BYTES}, or a copy that resolves outside the cache.
   */
  async file(runId: string, artifactPath: string): Promise<{ file: string; size: number }> {
    const rel = checkPreviewPath(artifactPath);
    const parent = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : undefined;
    const entry = (await this.reader.listArtifacts(runId, parent)).find((e) => e.path === rel);
    if (entry === undefined || entry.isDir) throw new ValidationError("path", artifactPath, "must name an artifact file of the run");
    if ((entry.size ?? 0) > PREVIEW_MAX_BYTES)
      throw new ValidationError("path", artifactPath, `is larger than the preview limit of ${PREVIEW_MAX_BYTES} bytes`);
    const root = await this.folder();
    const dest = path.join(
      root,
      createHash("sha256")
        .update(`${runId}\u0000${entry.sha256 ?? ""}\u0000${rel}`)
        .digest("hex")
        .slice(0, 32),
    );
    const downloaded = await fsp
      .stat(path.join(dest, rel))
      .then(() => path.join(dest, rel))
      .catch(() => this.reader.downloadArtifacts(runId, rel, dest));
    const real = await fsp.realpath(downloaded);
    if (!real.startsWith(`${root}${path.sep}`)) throw new ValidationError("path", artifactPath, "resolves outside the artifact cache");
    const stat = await fsp.stat(real);
    if (!stat.isFile()) throw new ValidationError("path", artifactPath, "must name an artifact file of the run");
    return { file: real, size: stat.size };
  }

  /** Removes the cache folder. */
  async close(): Promise<void> {
    if (this.root !== undefined) await fsp.rm(await this.root, { recursive: true, force: true });
  }
}

/**
 * Artifact paths: the relative POSIX paths under which files live among a run's artifacts.
 * One validator for every entry point (upload, download, list, manifest), so a path that
 * could escape the artifact root never reaches the disk or the server.
 *
 * @packageDocumentation
 */
import { ValidationError } from "../errors.js";

/** Longest artifact path accepted, in characters. */
export const MAX_ARTIFACT_PATH = 1000;

/** Longest segment (file or folder name) accepted, in UTF-8 bytes: the limit of common file systems. */
export const MAX_ARTIFACT_SEGMENT_BYTES = 255;

/** The first segment reserved for mltrail's own files (the manifest), compared without case. */
export const RESERVED_ARTIFACT_DIR = ".mltrail";

/**
 * Checks an artifact path and returns it unchanged (it is already normalized when valid).
 * Rules: a non-empty string of at most {@link MAX_ARTIFACT_PATH} characters; relative
 * (no leading `/`, no drive letter such as `C:`); `/` as the only separator (no `\`); no
 * NUL; no empty, `.` or `..` segment (so no `//`, no leading `./`, no trailing `/`); each segment
 * at most {@link MAX_ARTIFACT_SEGMENT_BYTES} bytes in UTF-8.
 *
 * @param path - the candidate, e.g. from user input or a server listing.
 * @param field - names the input in the error. @default "artifactPath"
 * @returns the path.
 * @throws ValidationError naming the field, the value and the broken rule.
 * @example
 * ```ts
 * checkArtifactPath("models/clf/model.json"); // "models/clf/model.json"
 * checkArtifactPath("../etc/passwd");          // throws ValidationError
 * ```
 */
export function checkArtifactPath(path: unknown, field = "artifactPath"): string {
  if (typeof path !== "string") throw new ValidationError(field, path, "must be a string");
  const fail = (rule: string): never => {
    throw new ValidationError(field, path, rule);
  };
  if (path.length === 0) fail("must not be empty");
  if (path.length > MAX_ARTIFACT_PATH) fail(`must be at most ${MAX_ARTIFACT_PATH} characters`);
  if (path.includes("\0")) fail("must not contain NUL");
  if (path.includes("\\")) fail("must use / as separator, not \\");
  if (path.startsWith("/")) fail("must be relative, not absolute");
  if (/^[A-Za-z]:/.test(path)) fail("must be relative, not start with a drive letter");
  for (const segment of path.split("/")) {
    if (segment === "") fail("must not have empty segments (leading, trailing or doubled /)");
    if (segment === "..") fail("must not contain .. segments");
    if (segment === ".") fail("must not contain . segments");
    if (Buffer.byteLength(segment, "utf8") > MAX_ARTIFACT_SEGMENT_BYTES) {
      fail(`each segment (file or folder name) must be at most ${MAX_ARTIFACT_SEGMENT_BYTES} bytes in UTF-8 (file systems allow no more)`);
    }
  }
  return path;
}

/**
 * {@link checkArtifactPath} for a path a user logs to: also rejects the reserved folder
 * `.mltrail/` (any case), where mltrail uploads the run's manifest.
 *
 * @throws ValidationError naming the field, the value and the broken rule.
 * @example
 * ```ts
 * checkUserArtifactPath("model/config.json");      // "model/config.json"
 * checkUserArtifactPath(".mltrail/manifest.json"); // throws ValidationError
 * ```
 */
export function checkUserArtifactPath(path: unknown, field = "artifactPath"): string {
  const checked = checkArtifactPath(path, field);
  if ((checked.split("/")[0] ?? "").toLowerCase() === RESERVED_ARTIFACT_DIR) {
    throw new ValidationError(field, path, `must not be in the ${RESERVED_ARTIFACT_DIR}/ folder: it is reserved for mltrail's manifest`);
  }
  return checked;
}

/**
 * Joins an optional artifact directory and a relative name with `/`, then validates the
 * result with {@link checkArtifactPath}. An empty or absent `dir` means the root.
 *
 * @param dir - the artifact directory, e.g. `"models"`; `undefined` or `""` for the root.
 * @param name - the relative name inside it, e.g. `"clf/model.json"`.
 * @throws ValidationError when `dir` or the joined path breaks a rule.
 * @example
 * ```ts
 * joinArtifactPath("models", "clf/model.json"); // "models/clf/model.json"
 * joinArtifactPath(undefined, "report.html");    // "report.html"
 * ```
 */
export function joinArtifactPath(dir: string | undefined, name: string): string {
  if (dir === undefined || dir === "") return checkArtifactPath(name, "artifact name");
  checkArtifactPath(dir, "artifactPath");
  checkArtifactPath(name, "artifact name");
  return checkArtifactPath(`${dir}/${name}`);
}

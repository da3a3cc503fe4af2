/**
 * Context tags set on every new run: MLflow's system tags (so the MLflow UI fills its
 * User, Source and Version columns) plus `mltrail.*` tags describing the environment.
 *
 * @packageDocumentation
 */

import { captureEnvironment, truncateValue } from "./environment.js";
import type { EnvironmentInfo } from "./environment.js";
import { captureGit } from "./git.js";
import type { GitInfo } from "./git.js";
import { MLFLOW_TAGS } from "../model/system-tags.js";
import { defined } from "../internal/defined.js";

/**
 * Keys of the tags {@link captureContextTags} may set.
 * @example `CONTEXT_TAG_KEYS.gitCommit // "mlflow.source.git.commit"`
 */
export const CONTEXT_TAG_KEYS = {
  sourceName: MLFLOW_TAGS.sourceName,
  sourceType: MLFLOW_TAGS.sourceType,
  user: MLFLOW_TAGS.user,
  gitCommit: MLFLOW_TAGS.gitCommit,
  gitBranch: MLFLOW_TAGS.gitBranch,
  gitRepoUrl: MLFLOW_TAGS.gitRepoUrl,
  gitDirty: MLFLOW_TAGS.gitDirty,
  nodeVersion: "mltrail.node.version",
  platform: "mltrail.platform",
  host: "mltrail.host",
  argv: "mltrail.argv",
  projectName: "mltrail.project.name",
  projectVersion: "mltrail.project.version",
  projectLockfile: "mltrail.project.lockfile",
  projectLockfileSha256: "mltrail.project.lockfileSha256",
} as const;

/**
 * Turns captured git and environment facts into tags (pure, no I/O). Absent facts give no
 * tag; git tags appear only when `git` is given; every value is at most 8000 characters.
 * No tag holds an absolute path of the machine (the git root is deliberately left out).
 *
 * @param git - Result of {@link captureGit}, or `undefined` outside a repository.
 * @param env - Result of {@link captureEnvironment}.
 * @example
 * ```ts
 * buildContextTags(undefined, { argv: "", nodeVersion: "20.20.2", platform: "linux", arch: "x64" });
 * // { "mlflow.source.type": "LOCAL", "mltrail.node.version": "20.20.2", "mltrail.platform": "linux-x64" }
 * ```
 */
export function buildContextTags(git: GitInfo | undefined, env: EnvironmentInfo): Record<string, string> {
  const K = CONTEXT_TAG_KEYS;
  const entries: Array<[string, string | undefined]> = [
    [K.sourceName, env.entryScript],
    [K.sourceType, "LOCAL"],
    [K.user, env.user],
    [K.gitCommit, git?.commit],
    [K.gitBranch, git?.branch],
    [K.gitRepoUrl, git?.remoteUrl],
    [K.gitDirty, git === undefined ? undefined : String(git.dirty)],
    [K.nodeVersion, env.nodeVersion],
    [K.platform, `${env.platform}-${env.arch}`],
    [K.host, env.hostname],
    [K.argv, env.argv],
    [K.projectName, env.project?.name],
    [K.projectVersion, env.project?.version],
    [K.projectLockfile, env.project?.lockfile],
    [K.projectLockfileSha256, env.project?.lockfileSha256],
  ];
  const tags: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (value !== undefined && value !== "") tags[key] = truncateValue(value);
  }
  return tags;
}

/**
 * Captures git and environment context (in parallel) and returns it as run tags:
 * `mlflow.source.name` (entry script, relative to the git root or cwd, else its basename),
 * `mlflow.source.type` (`"LOCAL"`), `mlflow.user`, `mlflow.source.git.commit`, `.branch`,
 * `.repoURL` (credentials stripped) and `.dirty` (`"true"`/`"false"`) inside a repository,
 * and `mltrail.node.version`, `mltrail.platform`, `mltrail.host`, `mltrail.argv` (secrets
 * masked), `mltrail.project.name`, `.version`, `.lockfile`, `.lockfileSha256`.
 * Never throws.
 *
 * @param opts.cwd - Working directory to capture from.
 * @param opts.argv - Full argument vector (`[node, script, ...args]`). @default process.argv
 * @example
 * ```ts
 * const tags = await captureContextTags({ cwd: process.cwd() });
 * tags["mlflow.source.git.commit"]; // "3f1c9e0…" (inside a repository)
 * ```
 */
export async function captureContextTags(opts: { cwd: string; argv?: readonly string[] }): Promise<Record<string, string>> {
  const [git, env] = await Promise.all([captureGit(opts.cwd), captureEnvironment({ cwd: opts.cwd, ...defined({ argv: opts.argv }) })]);
  return buildContextTags(git, env);
}

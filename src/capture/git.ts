/**
 * Git context of the working directory: commit, branch, dirty flag, remote URL and work-tree
 * root, read by running the `git` executable. Capture never throws and never hangs: outside a
 * repository, without git installed or when git is slow it returns `undefined` or a partial
 * result.
 *
 * @packageDocumentation
 */

import { hideUrlCredentials } from "../internal/redact.js";
import { execFile } from "node:child_process";
import path from "node:path";
import { defined } from "../internal/defined.js";

/**
 * How long one git invocation may run before it is killed, in milliseconds.
 * @default 2000
 */
export const GIT_TIMEOUT_MS = 2000;

/** Largest git output read; a bigger `git status` listing just means "dirty". */
const MAX_OUTPUT_BYTES = 1024 * 1024;

/**
 * What git says about the working directory.
 *
 * @example
 * ```ts
 * { commit: "3f1c9e0…", branch: "main", dirty: false, remoteUrl: "https://github.com/acme/churn.git", root: "/home/me/churn" }
 * ```
 */
export interface GitInfo {
  /** Full SHA of `HEAD`. */
  readonly commit: string;
  /** Current branch; absent on a detached `HEAD`. */
  readonly branch?: string;
  /**
   * True when tracked files differ from `HEAD` (untracked files are ignored). Also true when
   * git could not tell in time: a run is never claimed to be clean without proof.
   */
  readonly dirty: boolean;
  /**
   * URL of the `origin` remote with credentials removed (see {@link sanitizeRemoteUrl});
   * absent when there is no `origin` or it is a local path.
   */
  readonly remoteUrl?: string;
  /** Absolute path of the work-tree root (a machine path: keep it out of logged tags). */
  readonly root: string;
}

interface GitOutput {
  /** The command exited 0. */
  readonly ok: boolean;
  /** Standard output (possibly partial when not `ok`). */
  readonly stdout: string;
  /** Output was larger than {@link MAX_OUTPUT_BYTES}. */
  readonly overflow: boolean;
}

/** Runs one git command; resolves (never rejects) with whatever it produced. */
function runGit(cwd: string, args: readonly string[]): Promise<GitOutput> {
  return new Promise((resolve) => {
    try {
      execFile(
        "git",
        [...args],
        {
          cwd,
          encoding: "utf8",
          timeout: GIT_TIMEOUT_MS,
          killSignal: "SIGKILL",
          maxBuffer: MAX_OUTPUT_BYTES,
          windowsHide: true,
          // No index lock (never disturb the user's own git), no credential prompt.
          env: { ...process.env, GIT_OPTIONAL_LOCKS: "0", GIT_TERMINAL_PROMPT: "0" },
        },
        (error, stdout) => {
          const code = error === null ? undefined : (error as { code?: unknown }).code;
          resolve({
            ok: error === null,
            stdout: typeof stdout === "string" ? stdout : "",
            overflow: code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER",
          });
        },
      );
    } catch {
      resolve({ ok: false, stdout: "", overflow: false });
    }
  });
}

/** Matches a URL with a scheme, e.g. `https://…`, `ssh://…`, `git+ssh://…`. */
const SCHEME_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Schemes whose user name is not a secret (`ssh://git@host/…`). */
const SSH_SCHEMES = new Set(["ssh:", "git+ssh:", "ssh+git:"]);

/**
 * Removes credentials from a git remote URL so it can be logged.
 *
 * - `https://user:token@host/x.git` → `https://host/x.git` (for http(s) and other schemes
 *   the whole user part goes, since tokens are often passed as the user name; so do the
 *   query string and fragment);
 * - `ssh://user:pw@host/x.git` → `ssh://user@host/x.git` (an ssh user name is not secret);
 * - scp-like `git@github.com:org/repo.git` is kept; `user:pw@host:repo` loses `:pw`;
 * - local paths and `file://` URLs → `undefined` (a machine path identifies nothing elsewhere).
 *
 * @param url - The remote URL as configured.
 * @returns The URL without secrets, or `undefined` when nothing worth logging remains.
 * @example
 * ```ts
 * sanitizeRemoteUrl("https://ci:ghp_x@github.com/acme/churn.git"); // "https://github.com/acme/churn.git"
 * sanitizeRemoteUrl("git@github.com:acme/churn.git");               // unchanged
 * ```
 */
export function sanitizeRemoteUrl(url: string): string | undefined {
  const trimmed = url.trim();
  if (trimmed === "") return undefined;
  if (SCHEME_URL.test(trimmed)) {
    let parsed: URL;
    try {
      parsed = new URL(trimmed);
    } catch {
      // Unparseable: drop everything between "://" and the last "@".
      return hideUrlCredentials(trimmed, "");
    }
    if (parsed.protocol === "file:") return undefined;
    if (SSH_SCHEMES.has(parsed.protocol)) {
      parsed.password = "";
    } else {
      parsed.username = "";
      parsed.password = "";
      parsed.search = "";
      parsed.hash = "";
    }
    return parsed.toString();
  }
  // git's rule: a colon before any slash (and not a drive letter like "C:") means scp-like.
  const colon = trimmed.indexOf(":");
  const slash = trimmed.indexOf("/");
  const scpLike = colon > 0 && (slash === -1 || colon < slash) && !/^[A-Za-z]:/.test(trimmed);
  if (!scpLike) return undefined;
  // "user:pw@host:path": a colon on both sides of the first "@" (before any slash).
  const head = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const at = head.indexOf("@");
  if (at <= 0) return trimmed;
  const user = head.slice(0, at);
  if (!user.includes(":") || !head.slice(at + 1).includes(":")) return trimmed;
  const name = user.slice(0, user.indexOf(":"));
  return name === "" ? trimmed.slice(at + 1) : `${name}@${trimmed.slice(at + 1)}`;
}

/**
 * Reads the git context of `cwd` with three git invocations run in parallel
 * (`rev-parse`, `status --porcelain --untracked-files=no`, `config --get remote.origin.url`),
 * each killed after {@link GIT_TIMEOUT_MS}.
 *
 * @param cwd - Directory to inspect (any folder inside the work tree).
 * @returns The git context, or `undefined` outside a repository, in a repository without
 *   commits, without a `git` executable, or when `rev-parse` times out. Never throws.
 * @example
 * ```ts
 * const git = await captureGit(process.cwd());
 * if (git) console.log(git.commit.slice(0, 7), git.branch ?? "(detached)", git.dirty);
 * ```
 */
export async function captureGit(cwd: string): Promise<GitInfo | undefined> {
  try {
    const [head, status, remote] = await Promise.all([
      runGit(cwd, ["rev-parse", "HEAD", "--abbrev-ref", "HEAD", "--show-toplevel"]),
      runGit(cwd, ["status", "--porcelain", "--untracked-files=no"]),
      runGit(cwd, ["config", "--get", "remote.origin.url"]),
    ]);
    if (!head.ok) return undefined;
    const [commit, branch, root] = head.stdout.split(/\r?\n/).map((line) => line.trim());
    if (commit === undefined || !/^[0-9a-f]{40,64}$/.test(commit) || root === undefined || root === "") {
      return undefined;
    }
    const dirty = status.ok ? status.stdout.trim() !== "" : true;
    const remoteUrl = remote.ok ? sanitizeRemoteUrl(remote.stdout) : undefined;
    return {
      commit,
      ...(branch !== undefined && branch !== "" && branch !== "HEAD" ? { branch } : {}),
      dirty: status.overflow ? true : dirty,
      ...defined({ remoteUrl }),
      root: path.normalize(root),
    };
  } catch {
    return undefined;
  }
}

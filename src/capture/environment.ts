/**
 * Environment of the current process: entry script, arguments (secrets masked), Node version,
 * platform, host, user, and the user project's package name, version and lockfile digest.
 * Capture never throws.
 *
 * @packageDocumentation
 */

import { createHash } from "node:crypto";
import { readFile, realpath, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MASK } from "../internal/redact.js";
import { defined } from "../internal/defined.js";
import { maskArgs } from "./masking.js";

/**
 * Longest tag value MLflow accepts, in characters.
 * @default 8000
 */
export const MAX_TAG_VALUE_LENGTH = 8000;

/** Text that replaces a masked secret. */
export { MASK };

/**
 * Lockfiles looked for next to the project's `package.json`, first found wins.
 * @example `"pnpm-lock.yaml"`
 */
export const LOCKFILE_NAMES = ["package-lock.json", "pnpm-lock.yaml", "yarn.lock", "bun.lock"] as const;

/** One of {@link LOCKFILE_NAMES}. @example `"package-lock.json"` */
export type LockfileName = (typeof LOCKFILE_NAMES)[number];

/**
 * The user's project: the nearest `package.json` at or above the working directory.
 * @example `{ name: "churn-model", version: "1.4.0", lockfile: "package-lock.json", lockfileSha256: "9f86d0…" }`
 */
export interface ProjectInfo {
  /** `name` from package.json, when it is a string. */
  readonly name?: string;
  /** `version` from package.json, when it is a string. */
  readonly version?: string;
  /** The lockfile found next to package.json. */
  readonly lockfile?: LockfileName;
  /** Hex sha256 of the lockfile's bytes. */
  readonly lockfileSha256?: string;
}

/**
 * What {@link captureEnvironment} found.
 * @example `{ entryScript: "src/train.ts", argv: "--lr 0.01 --token ***", nodeVersion: "20.20.2", platform: "linux", arch: "x64", … }`
 */
export interface EnvironmentInfo {
  /** Entry script relative to the git root or cwd when inside one, else its basename; absent in a REPL. */
  readonly entryScript?: string;
  /** The user's arguments, shell-quoted, secrets masked, at most {@link MAX_TAG_VALUE_LENGTH} chars. */
  readonly argv: string;
  /** Node version without the `v`, e.g. `"20.20.2"`. */
  readonly nodeVersion: string;
  /** `process.platform`, e.g. `"linux"`. */
  readonly platform: string;
  /** `process.arch`, e.g. `"x64"`. */
  readonly arch: string;
  /** `os.hostname()`. */
  readonly hostname?: string;
  /** Login name: `os.userInfo().username`, else `$USER` / `$USERNAME` / `$LOGNAME`. */
  readonly user?: string;
  /** The user's project, when a package.json is found. */
  readonly project?: ProjectInfo;
}

/**
 * Shortens a string to at most `max` UTF-16 units (so at most `max` characters), ending it
 * with `…[truncated]` when cut, never splitting a surrogate pair.
 *
 * @param value - Text to fit.
 * @param max - Limit. @default MAX_TAG_VALUE_LENGTH
 * @example `truncateValue("x".repeat(9000)).length // 8000`
 */
export function truncateValue(value: string, max: number = MAX_TAG_VALUE_LENGTH): string {
  if (value.length <= max) return value;
  const suffix = "…[truncated]";
  let cut = Math.max(0, max - suffix.length);
  const code = value.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${value.slice(0, cut)}${suffix}`.slice(0, max);
}

/** Quotes an argument for display the way a POSIX shell would need it. */
function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./*-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Resolves symlinks when possible (macOS `/tmp` → `/private/tmp`). */
async function real(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return p;
  }
}

/** `child` relative to `parent` with `/` separators, or `undefined` when outside it. */
function inside(parent: string, child: string): string | undefined {
  const rel = path.relative(parent, child);
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join("/");
}

async function exists(p: string, kind: "file" | "any"): Promise<boolean> {
  try {
    const s = await stat(p);
    return kind === "any" || s.isFile();
  } catch {
    return false;
  }
}

/** Nearest ancestor of `start` (itself included) that contains `name`. */
async function findUp(start: string, name: string, kind: "file" | "any"): Promise<string | undefined> {
  let dir = path.resolve(start);
  for (;;) {
    if (await exists(path.join(dir, name), kind)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function entryScriptOf(script: string, cwd: string, gitRoot: string | undefined): Promise<string> {
  const abs = path.resolve(cwd, script);
  const bases = gitRoot === undefined ? [cwd] : [gitRoot, cwd];
  for (const base of bases) {
    const rel = inside(base, abs);
    if (rel !== undefined) return rel;
  }
  const realAbs = await real(abs);
  for (const base of bases) {
    const rel = inside(await real(base), realAbs);
    if (rel !== undefined) return rel;
  }
  return path.basename(abs);
}

function userName(): string | undefined {
  try {
    const name = os.userInfo().username;
    if (name !== "") return name;
  } catch {
    // No passwd entry (containers with arbitrary uids): fall back to the environment.
  }
  const env = process.env;
  return [env["USER"], env["USERNAME"], env["LOGNAME"]].find((v): v is string => v !== undefined && v !== "");
}

function hostName(): string | undefined {
  try {
    return os.hostname() || undefined;
  } catch {
    return undefined;
  }
}

async function projectOf(cwd: string): Promise<ProjectInfo | undefined> {
  const dir = await findUp(cwd, "package.json", "file");
  if (dir === undefined) return undefined;
  let name: string | undefined;
  let version: string | undefined;
  try {
    const pkg: unknown = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8"));
    if (typeof pkg === "object" && pkg !== null) {
      const fields = pkg as { name?: unknown; version?: unknown };
      if (typeof fields.name === "string" && fields.name !== "") name = fields.name;
      if (typeof fields.version === "string" && fields.version !== "") version = fields.version;
    }
  } catch {
    // Unreadable or invalid package.json: name and version stay unknown.
  }
  for (const lockfile of LOCKFILE_NAMES) {
    try {
      const bytes = await readFile(path.join(dir, lockfile));
      const lockfileSha256 = createHash("sha256").update(bytes).digest("hex");
      return { ...defined({ name }), ...defined({ version }), lockfile, lockfileSha256 };
    } catch {
      // Not there (or unreadable): try the next name.
    }
  }
  return { ...defined({ name }), ...defined({ version }) };
}

/**
 * Captures the process environment for reproducibility. Never throws; whatever cannot be
 * read is left out.
 *
 * @param opts.cwd - Working directory: the start of the package.json search and the base of
 *   relative paths.
 * @param opts.argv - Full argument vector (`[node, script, ...args]`). @default process.argv
 * @param opts.gitRoot - Work-tree root used to make the entry script relative. @default the
 *   nearest ancestor of `cwd` holding a `.git` entry
 * @example
 * ```ts
 * const env = await captureEnvironment({ cwd: process.cwd() });
 * env.entryScript; // "src/train.ts"
 * env.project?.lockfileSha256; // "9f86d081…"
 * ```
 */
export async function captureEnvironment(opts: { cwd: string; argv?: readonly string[]; gitRoot?: string }): Promise<EnvironmentInfo> {
  const argv = opts.argv ?? process.argv;
  const cwd = path.resolve(opts.cwd);
  const args = truncateValue(maskArgs(argv.slice(2)).map(shellQuote).join(" "));
  const base: EnvironmentInfo = {
    argv: args,
    nodeVersion: process.versions.node,
    platform: process.platform,
    arch: process.arch,
  };
  try {
    const script = argv[1];
    const [gitRoot, project] = await Promise.all([opts.gitRoot ?? findUp(cwd, ".git", "any"), projectOf(cwd)]);
    const entryScript = script === undefined || script === "" ? undefined : await entryScriptOf(script, cwd, gitRoot);
    const hostname = hostName();
    const user = userName();
    return {
      ...defined({ entryScript }),
      ...base,
      ...defined({ hostname }),
      ...defined({ user }),
      ...defined({ project }),
    };
  } catch {
    return base;
  }
}

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
import { hideUrlCredentials, MASK } from "../internal/redact.js";
import { defined } from "../internal/defined.js";

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

/** Substrings that mark a name as secret wherever they appear (`clientSecret`, `DB_PASSWORD`). */
const SECRET_SUBSTRING = /secret|passw(or)?d|passphrase|credential|apikey|accesskey|privatekey/;

/** Whole name segments that mark a secret (`--token`, `HF_TOKEN`, `--auth`; not `--max-tokens`, `--tokenizer`). */
const SECRET_SEGMENTS = new Set(["token", "auth", "pwd", "key", "authorization", "bearer", "sig", "signature"]);

/** Short names that mark a secret as a name's LAST segment (`--pass`, `DB_PASS`, `--pw`; not `--pass-through`). */
const SECRET_LAST_SEGMENTS = new Set(["pass", "pw"]);

/** Flags that turn something off: never a secret, and the next argument is not their value. */
const NEGATED = /^--no-/;

/** Values that are secrets by their shape: bearer headers and well-known token prefixes. */
const SECRET_VALUE = /\b(Bearer|Basic|token)\s+\S+|\b(sk|pk|rk|ghp|gho|ghs|ghu|github_pat|glpat|hf|xox[abprs]|AKIA)[-_][A-Za-z0-9_-]{8,}/gi;

/** A query string, which often carries signatures and tokens (`?sig=…`, `&access_token=…`). */
const URL_QUERY = /(\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s?#]*)\?[^\s#]*/g;

/** Whether a flag or key name (`--api-key`, `db.password`, `accessToken`) names a secret. */
function isSecretName(raw: string): boolean {
  const name = raw
    .replace(/^-+/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase();
  if (SECRET_SUBSTRING.test(name.replace(/[-_.]/g, ""))) return true;
  const segments = name.split(/[-_.]/);
  return segments.some((segment) => SECRET_SEGMENTS.has(segment)) || SECRET_LAST_SEGMENTS.has(segments.at(-1) ?? "");
}

/** A name (optionally quoted) and `=` or `:` inside a value: `"password": "x"`, `API_KEY=x`, `token: x`. */
const EMBEDDED_NAME = /(["']?)([A-Za-z_][\w.-]*)\1(\s*[:=]\s*)/g;

/** The value after an embedded name: a quoted string, else up to a space, comma, `;`, `&`, `}` or `]`. */
const EMBEDDED_VALUE = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&}\]]+)/;

/** Masks the values of secret names embedded in one argument (JSON, `env=K=V` lists, YAML-ish). */
function maskEmbedded(arg: string): string {
  let out = "";
  let from = 0;
  EMBEDDED_NAME.lastIndex = 0;
  for (let m = EMBEDDED_NAME.exec(arg); m !== null; m = EMBEDDED_NAME.exec(arg)) {
    const valueAt = m.index + m[0].length;
    const value = EMBEDDED_VALUE.exec(arg.slice(valueAt))?.[1];
    if (value === undefined || !isSecretName(m[2] ?? "")) continue;
    const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : "";
    out += `${arg.slice(from, valueAt)}${quote}${MASK}${quote}`;
    from = valueAt + value.length;
    EMBEDDED_NAME.lastIndex = from;
  }
  return out + arg.slice(from);
}

/**
 * Masks secret values in command-line arguments: `--token=x` and `--password x` (any flag or
 * `key=value` whose name contains `secret`, `password`, `passwd`, `passphrase`, `credential`,
 * `api-key`, `access-key`, `private-key`, has a `token`, `auth`, `key`, `pwd` or `bearer`
 * segment, or ends in `pass` or `pw`), the same names inside an argument (`'{"password":"x"}'`,
 * `--env=API_KEY=x`, `token: x`), credentials in URLs (`postgres://u:pw@h` →
 * `postgres://***@h`), URL query strings, and bearer- or token-shaped values.
 *
 * @param args - The user's arguments (without node and the script).
 * @example `maskArgs(["--api-key", "k1", "--lr=0.1"]) // ["--api-key", "***", "--lr=0.1"]`
 */
export function maskArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  let maskNext = false;
  for (const arg of args) {
    if (maskNext && !arg.startsWith("--")) {
      out.push(MASK);
      maskNext = false;
      continue;
    }
    maskNext = false;
    const eq = arg.indexOf("=");
    const key = eq > 0 ? arg.slice(0, eq) : "";
    if (/^-{0,2}[A-Za-z_][\w.-]*$/.test(key) && !NEGATED.test(key) && isSecretName(key)) {
      out.push(`${arg.slice(0, eq + 1)}${MASK}`);
    } else if (eq === -1 && /^--?[A-Za-z]/.test(arg) && !NEGATED.test(arg) && isSecretName(arg)) {
      out.push(arg);
      maskNext = true;
    } else {
      out.push(maskValue(arg));
    }
  }
  return out;
}

/** Masks credentials inside one value: URL userinfo, URL query strings, bearer-shaped tokens. */
function maskValue(arg: string): string {
  return maskEmbedded(hideUrlCredentials(arg).replace(URL_QUERY, `$1?${MASK}`).replace(SECRET_VALUE, MASK));
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

/**
 * Everything one of the masking rules needs to see before it can match: a URL, a secret word
 * (the names of {@link isSecretName} without separators: `apikey` holds `key`, `password` holds
 * `pass`), or a token prefix. A line without any is returned as it is, without running them.
 */
const MAY_HOLD_SECRET =
  /:\/\/|secret|pass|credential|key|token|auth|pwd|bearer|basic|sig|pw|\b(?:sk|pk|rk|ghp|gho|ghs|ghu|github_pat|glpat|hf|xox[abprs]|AKIA)[-_]/i;

/**
 * Masks secrets in free text, such as a line a program printed, with the rules of
 * {@link maskArgs}: `--token x` and `password=x` forms, the same names inside JSON or YAML-ish
 * text, URL credentials and query strings, and bearer- or token-shaped values. Whitespace is
 * kept as it was.
 * @example `maskText("connecting with --api-key k1 to https://u:p@host") // "connecting with --api-key *** to https://***@host"`
 */
export function maskText(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text; // most printed lines: nothing any rule below could match
  // As maskValue, but `token x` / `Bearer x` keep their word: in prose the word is not the secret.
  const once = maskEmbedded(
    hideUrlCredentials(text)
      .replace(URL_QUERY, `$1?${MASK}`)
      .replace(SECRET_VALUE, (_m, word: string | undefined) => (word === undefined ? MASK : `${word} ${MASK}`)),
  );
  const parts = once.split(/(\s+)/);
  const at: number[] = [];
  const tokens: string[] = [];
  parts.forEach((part, i) => {
    if (i % 2 === 0 && part !== "") {
      at.push(i);
      tokens.push(part);
    }
  });
  const masked = maskArgs(tokens);
  at.forEach((i, k) => {
    parts[i] = masked[k] as string;
  });
  return parts.join("");
}

/**
 * Reading local files and folders for logging and hashing, with ONE rule for every entry
 * (`logArtifact`, `logArtifacts`, `logModel`, `logDataset`):
 *
 * - a symlink is followed, to a file or to a folder, wherever it points (inside the folder or
 *   outside it): the content logged is the target's, under the link's name;
 * - a dangling symlink, a symlink loop (ELOOP) and a folder link back to one of its own parent
 *   folders are errors naming the path ({@link SourceEntryError});
 * - an entry that is neither a regular file nor a folder (FIFO, socket, device) is an error;
 * - nothing is ever skipped silently. The only entries left out are DVC's documented ignores,
 *   and only when hashing a dataset the way DVC does (`digest.ts`).
 *
 * @packageDocumentation
 */
import type { Dirent, Stats } from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { ValidationError } from "../errors.js";
import { SourceEntryError } from "./errors.js";

/**
 * Orders strings by Unicode code point, as Python's `sorted` does (JavaScript's default
 * sort compares UTF-16 units, which differs for characters above U+FFFF).
 *
 * @example `["\u{1F600}", "\uFB00"].sort(compareCodePoints) // ["\uFB00", "\u{1F600}"]`
 */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * Options of {@link walkFiles}.
 * @example `{ field: "dir" }`
 */
export interface WalkOptions {
  /** Names the input in errors, e.g. `"dir"` or `"dataset path"`. */
  readonly field: string;
  /**
   * Whether to descend into a folder (`rel` is `""` for the root), given the names it holds;
   * may throw. @default always
   */
  readonly enterDir?: (rel: string, names: ReadonlySet<string>) => boolean;
  /** Whether an entry is left out by name, before its links are followed. @default none */
  readonly ignore?: (name: string, isDir: boolean) => boolean;
}

/**
 * One file found by {@link walkFiles}.
 * @example `{ rel: "shards/weights.bin", file: "/models/clf/shards/weights.bin" }`
 */
export interface LocalFile {
  /** Path relative to the walked folder, `/`-separated (link names, not target names). */
  readonly rel: string;
  /** Local path to read it from (through the links). */
  readonly file: string;
}

const KINDS: readonly [keyof Stats & keyof Dirent, string][] = [
  ["isFIFO", "a FIFO (named pipe)"],
  ["isSocket", "a socket"],
  ["isCharacterDevice", "a character device"],
  ["isBlockDevice", "a block device"],
];

/** `"a FIFO (named pipe)"`, `"a socket"`, … for an entry that is neither a file nor a folder. */
function kindOf(entry: Stats | Dirent): string {
  for (const [test, label] of KINDS) if ((entry[test] as () => boolean).call(entry)) return label;
  return "not a regular file or folder";
}

/** The {@link SourceEntryError} for a special file (FIFO, socket, device). */
export function specialFileError(field: string, entryPath: string, entry: Stats | Dirent): SourceEntryError {
  return new SourceEntryError(
    field,
    entryPath,
    `is ${kindOf(entry)}: only regular files and folders (or symlinks to them) can be logged`,
    "not-file-or-folder",
  );
}

/**
 * What a symlink (or a path given by the user) leads to, following links, with typed errors:
 * dangling link, link loop, unreadable.
 */
export async function statFollowing(field: string, entryPath: string): Promise<Stats> {
  try {
    return await fsp.stat(entryPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw new SourceEntryError(field, entryPath, "is a symlink loop (its links lead back to themselves)", "link-loop", { cause: error });
    if (code === "ENOENT" || code === "ENOTDIR") {
      const target = await fsp.readlink(entryPath).catch(() => undefined);
      const shown = target === undefined ? "" : ` (→ ${target}, which does not exist)`;
      throw new SourceEntryError(field, entryPath, `is a dangling symlink${shown}`, "dangling-link", { cause: error });
    }
    throw new SourceEntryError(field, entryPath, `cannot be read (${code ?? String(error)})`, "unreadable", { cause: error });
  }
}

const identity = (s: Stats): string => `${s.dev}:${s.ino}`;

/**
 * Every file under `root` (links followed, see the module notes), sorted by `rel` in code-point
 * order. Folders are read one at a time, so the walk holds at most one folder handle open.
 *
 * @param root - a folder (a symlink to one is followed).
 * @throws SourceEntryError for a dangling link, a loop, a special file or an unreadable entry.
 * @example
 * ```ts
 * for (const { rel, file } of await walkFiles("model/", { field: "dir" })) console.log(rel, file);
 * ```
 */
export async function walkFiles(root: string, options: WalkOptions): Promise<LocalFile[]> {
  const { field } = options;
  const out: LocalFile[] = [];
  const walk = async (rel: string, dir: string, ancestors: ReadonlySet<string>): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw new SourceEntryError(field, dir, `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, "unreadable", { cause: error });
    }
    if (options.enterDir !== undefined && !options.enterDir(rel, new Set(entries.map((e) => e.name)))) return;
    for (const entry of entries) {
      const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const full = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      let stat: Stats | undefined;
      if (entry.isSymbolicLink()) {
        stat = await statFollowing(field, full);
        isDir = stat.isDirectory();
        isFile = stat.isFile();
      }
      if (options.ignore?.(entry.name, isDir) === true) continue;
      if (isFile) {
        out.push({ rel: child, file: full });
      } else if (isDir) {
        const id = identity(stat ?? (await statFollowing(field, full)));
        if (ancestors.has(id)) {
          throw new SourceEntryError(field, full, "is a symlink to one of its own parent folders (a loop)", "link-loop");
        }
        await walk(child, full, new Set([...ancestors, id]));
      } else {
        throw specialFileError(field, full, stat ?? entry);
      }
    }
  };
  await walk("", root, new Set([identity(await statFollowing(field, root))]));
  return out.sort((a, b) => compareCodePoints(a.rel, b.rel));
}

/**
 * Checks a local path given to a logging call: it must exist and be (or link to) what `accept`
 * says. Returns what it leads to.
 *
 * @throws ValidationError when it is missing or of the wrong kind; SourceEntryError for a
 *   dangling link, a loop or a special file.
 * @example `await checkSource("dir", "model/", "folder")`
 */
export async function checkSource(field: string, localPath: string, accept: "file" | "folder" | "file or folder", hint = ""): Promise<Stats> {
  const exists = await fsp.lstat(localPath).then(
    () => true,
    () => false,
  );
  if (!exists) throw new ValidationError(field, localPath, `must be an existing ${accept}${hint}`);
  const stat = await statFollowing(field, localPath);
  if (!stat.isFile() && !stat.isDirectory()) throw specialFileError(field, localPath, stat);
  if ((accept === "file" && !stat.isFile()) || (accept === "folder" && !stat.isDirectory())) {
    throw new ValidationError(field, localPath, `must be an existing ${accept}${hint}`);
  }
  return stat;
}

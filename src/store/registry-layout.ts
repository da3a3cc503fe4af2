/**
 * Where a model lives under `<root>/registry/`, and the move of stores written in the older
 * layout. A model name (any valid name: `.`, `..`, 256 characters, emoji, names that differ
 * only in case) maps to one folder name that is always a safe, short, portable file name:
 *
 * ```
 * <slug>+<hash>   slug: the name's first 40 characters with every character other than
 *                 A–Z a–z 0–9 _ - replaced by "_" (for people browsing the folder);
 *                 hash: the first 16 hex digits of the SHA-256 of the name (UTF-8)
 * ```
 *
 * The real name is stored inside, in `model.json`. The older layout used
 * `encodeURIComponent(name)`, which never contains `+`; such folders (and the files the
 * older layout wrote into `registry/` itself for the name `.` and into the store root for
 * `..`) are moved into the new layout when a store is opened.
 */
import { createHash } from "node:crypto";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { SpoolError } from "../errors.js";
import { parseModelFile } from "../registry/records.js";

/**
 * The folder name of a model under `registry/`.
 * @example `modelFolderName("churn")` // "churn+…16 hex digits"
 */
export function modelFolderName(name: string): string {
  const slug = [...name]
    .slice(0, 40)
    .join("")
    .replace(/[^A-Za-z0-9_-]/g, "_");
  return `${slug}+${createHash("sha256").update(name, "utf8").digest("hex").slice(0, 16)}`;
}

/** The files of one model folder. */
const MODEL_FILES = ["model.json", "versions", "aliases.json", "audit.jsonl"] as const;

async function modelName(dir: string): Promise<string | undefined> {
  try {
    return parseModelFile(JSON.parse(await fsp.readFile(path.join(dir, "model.json"), "utf8")))?.name;
  } catch {
    return undefined;
  }
}

async function exists(file: string): Promise<boolean> {
  return fsp.access(file).then(
    () => true,
    () => false,
  );
}

/** Moves the model files of `from` into `to` (both folders); a concurrent mover may have done it. */
async function moveModel(from: string, to: string, files: readonly string[]): Promise<void> {
  await fsp.mkdir(to, { recursive: true });
  for (const f of files) {
    await fsp.rename(path.join(from, f), path.join(to, f)).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    });
  }
}

/**
 * Moves every model of the older layout under `registryDir` into its new folder. Never throws:
 * a folder that cannot be moved is reported and left where it is.
 */
export async function migrateLegacyRegistry(root: string, registryDir: string, report: (error: SpoolError) => void): Promise<void> {
  const entries = await fsp.readdir(registryDir, { withFileTypes: true }).catch(() => []);
  if (entries.length === 0) return;
  const attempt = async (what: string, move: () => Promise<void>): Promise<void> => {
    try {
      await move();
    } catch (err) {
      report(
        new SpoolError(`registry: could not move ${what} to the current layout (${(err as Error).message}); it is left in place`, { path: what, cause: err }),
      );
    }
  };
  // The older layout wrote the model "." into registry/ itself and ".." into the store root.
  for (const [special, dir] of [
    [".", registryDir],
    ["..", root],
  ] as const) {
    if ((await modelName(dir)) === special) {
      await attempt(`model "${special}"`, () => moveModel(dir, path.join(registryDir, modelFolderName(special)), MODEL_FILES));
    }
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith(".") || entry.name.includes("+")) continue;
    const from = path.join(registryDir, entry.name);
    let name = await modelName(from);
    if (name === undefined) {
      try {
        name = decodeURIComponent(entry.name);
      } catch {
        continue; // not a folder of the older layout
      }
    }
    const to = path.join(registryDir, modelFolderName(name));
    if (await exists(to)) {
      report(
        new SpoolError(`registry: model "${name}" has folders in both the older and the current layout; the older one (${entry.name}) is ignored`, {
          path: from,
        }),
      );
      continue;
    }
    await attempt(entry.name, async () => {
      await fsp.rename(from, to).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      });
    });
  }
}

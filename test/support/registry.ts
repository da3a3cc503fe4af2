/**
 * Helpers for registry tests on the local store.
 * - `registerModel` accepts only well-formed content digests (`<algorithm>:<hex digest of the
 *   algorithm's length>`), so tests name their fake model contents by a label and use its SHA-256.
 * - A model's folder under `registry/` is found by the name stored inside it (`model.json`),
 *   never by recomputing the folder-name rule under test.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";

/** `sha256:<hex>` of `label`: the same label gives the same digest. */
export function fakeDigest(label: string): string {
  return `sha256:${createHash("sha256").update(label).digest("hex")}`;
}

/** The folder of model `name` in the local store at `root`; throws unless exactly one holds it. */
export function modelFolder(root: string, name: string): string {
  const dir = path.join(root, "registry");
  const found = readdirSync(dir).filter((f) => {
    const file = path.join(dir, f, "model.json");
    return existsSync(file) && (JSON.parse(readFileSync(file, "utf8")) as { name: string }).name === name;
  });
  if (found.length !== 1) throw new Error(`model "${name}" is in ${found.length} folders of ${dir}`);
  return path.join(dir, found[0] as string);
}

/** The error `p` rejects with; throws when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

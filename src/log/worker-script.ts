/**
 * Finds a built worker script (the package's `writer-thread.js`, `series-worker.js`) next to
 * the running bundle, or one folder up (for the bundles under dist/cli).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const located = new Map<string, string | null>();

/**
 * The built script `file`, or null when there is none (running from the TypeScript sources,
 * or a bundle shipped without it).
 * @example `builtWorkerScript("writer-thread.js")`
 */
export function builtWorkerScript(file: string): string | null {
  const known = located.get(file);
  if (known !== undefined) return known;
  // ESM: import.meta.url. The CJS build (esbuild) empties `import.meta`, and there `__filename` is defined.
  const url: unknown = import.meta.url;
  const here = path.dirname(typeof url === "string" ? fileURLToPath(url) : __filename);
  const found = [path.join(here, file), path.join(here, "..", file)].find((f) => fs.existsSync(f)) ?? null;
  located.set(file, found);
  return found;
}

/**
 * A process-wide bound on the files artifact code holds open at once. Any number of parallel
 * `logText`, `logArtifacts`, `logDataset` or download calls queue here instead of opening
 * hundreds of files together and failing with EMFILE ("too many open files").
 *
 * @packageDocumentation
 */

/** Staging copies and hashes running at once in this process (each holds at most 2 files open). */
export const FILE_SLOTS = 16;

let free = FILE_SLOTS;
const waiting: (() => void)[] = [];

/**
 * Runs `fn` once one of the {@link FILE_SLOTS} slots is free (first come, first served), and
 * frees the slot when it settles. `fn` must not wait for another slot.
 *
 * @example `const digests = await withFileSlot(() => fileDigests(file))`
 */
export async function withFileSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (free > 0) free--;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next !== undefined) next();
    else free++;
  }
}

/**
 * The number of run folders of an experiment, for the `{seq}` of run-name templates, without
 * listing the folder at every run start: a listing costs time and memory in proportion to the
 * runs already there, so starting runs one after another grew quadratically (100,000 runs in one
 * experiment slowed to a fraction of the first runs' rate).
 *
 * A count is kept with the folder's modification time (ns) seen before the listing. While the
 * folder's time is unchanged the count is current; a run folder created by this process adds
 * one when the folder's time just before the `mkdir` was the remembered one. Any other change
 * (another process's run, a deleted run) changes the time, and the next count lists again. Two
 * processes starting runs within one file-system timestamp tick may still number a run alike,
 * as they always could: `{seq}` names a run, it never identifies one.
 *
 * @packageDocumentation
 */
import * as fs from "node:fs";

interface Seen {
  readonly count: number;
  readonly mtimeNs: bigint;
}

function mtimeNs(dir: string): bigint | undefined {
  return fs.statSync(dir, { bigint: true, throwIfNoEntry: false })?.mtimeNs;
}

/** Counts the entries of run folders' parent folders, listing each only when it changed. @internal */
export class RunCounter {
  private readonly seen = new Map<string, Seen>();

  /** Entries of `dir` (0 when it does not exist). */
  count(dir: string): number {
    const before = mtimeNs(dir);
    if (before === undefined) return 0;
    const known = this.seen.get(dir);
    if (known !== undefined && known.mtimeNs === before) return known.count;
    let count: number;
    try {
      count = fs.readdirSync(dir).length;
    } catch {
      return 0; // removed meanwhile, or unreadable: a name's number is not worth failing a run start
    }
    this.seen.set(dir, { count, mtimeNs: before });
    return count;
  }

  /**
   * Creates one entry in `dir` with `create` (which must add exactly one entry when it
   * returns), keeping the count current when nothing else changed `dir` meanwhile.
   */
  adding<T>(dir: string, create: () => T): T {
    const before = mtimeNs(dir);
    const result = create();
    const known = this.seen.get(dir);
    const after = mtimeNs(dir);
    if (known !== undefined && before === known.mtimeNs && after !== undefined) this.seen.set(dir, { count: known.count + 1, mtimeNs: after });
    else this.seen.delete(dir);
    return result;
  }
}

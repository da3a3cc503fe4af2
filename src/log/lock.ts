/**
 * A lock file per run, so two processes never append to the same journal. The file holds
 * the owner's pid and host; a lock whose owner is a dead process on this host is stale and
 * may be taken over (that run's writer crashed).
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import { ConflictError } from "../errors.js";

/** Who holds a lock. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: number;
}

/** Whether a process with this pid exists on this machine. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Reads a lock file's owner, or undefined when there is no (readable) lock. */
export async function readLock(file: string): Promise<LockOwner | undefined> {
  try {
    const raw = JSON.parse(await fsp.readFile(file, "utf8")) as Partial<LockOwner>;
    if (typeof raw.pid === "number" && typeof raw.host === "string") {
      return { pid: raw.pid, host: raw.host, since: typeof raw.since === "number" ? raw.since : 0 };
    }
    return { pid: -1, host: "", since: 0 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return { pid: -1, host: "", since: 0 };
  }
}

/** Whether the lock's owner is known to be gone (a dead pid on this host, or an unreadable file). */
export function lockIsStale(owner: LockOwner): boolean {
  if (owner.pid <= 0) return true;
  if (owner.host !== os.hostname()) return false;
  if (owner.pid === process.pid) return false;
  return !processAlive(owner.pid);
}

/**
 * Takes the lock at `file` for this process, taking over a stale one. Returns whether a
 * stale lock was taken over. Throws {@link ConflictError} when a live process holds it.
 *
 * @param what how to name the locked thing in the error, e.g. `run "0190…"`.
 */
export async function acquireLock(file: string, what: string): Promise<{ tookOver: LockOwner | undefined }> {
  const me: LockOwner = { pid: process.pid, host: os.hostname(), since: Date.now() };
  for (let attempt = 0; attempt < 5; attempt++) {
    // Write the owner to a private file, then hard-link it into place: the lock appears with its
    // content complete. (`writeFile(file, { flag: "wx" })` creates it empty first; a rival reading
    // it in that window saw an unreadable owner, judged it stale and took it over: two holders.)
    const fresh = `${file}.${process.pid}.${attempt}.new`;
    await fsp.writeFile(fresh, JSON.stringify(me));
    try {
      await fsp.link(fresh, file);
      return { tookOver: undefined };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      await fsp.rm(fresh, { force: true });
    }
    const owner = await readLock(file);
    if (owner === undefined) continue;
    if (owner.pid === process.pid && owner.host === me.host) {
      throw new ConflictError(`${what} is already open for writing in this process`);
    }
    if (!lockIsStale(owner)) {
      throw new ConflictError(`${what} is locked by process ${owner.pid} on ${owner.host}: only one process may write a run at a time`);
    }
    // Stale: replace atomically so a concurrent taker sees either file, then re-check ownership.
    const tmp = `${file}.${process.pid}.take`;
    await fsp.writeFile(tmp, JSON.stringify(me));
    await fsp.rename(tmp, file);
    // Two takers may both have judged the same owner stale; the later rename wins. Wait a
    // moment before trusting ours, so an early winner learns it lost instead of sharing.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = await readLock(file);
    if (now?.pid === me.pid && now.host === me.host) return { tookOver: owner };
  }
  throw new ConflictError(`${what}: could not take its lock (contended)`);
}

/** Releases a lock this process holds (sync, safe on exit paths). */
export function releaseLockSync(file: string): void {
  try {
    const raw = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LockOwner>;
    if (raw.pid === process.pid) fs.unlinkSync(file);
  } catch {
    // Already gone.
  }
}

/**
 * Runs `fn` while holding the lock at `file`, waiting (polling) while another live process
 * holds it. For short critical sections such as allocating an experiment id.
 */
export async function withLock<T>(file: string, what: string, fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await acquireLock(file, what);
      break;
    } catch (err) {
      if (!(err instanceof ConflictError) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
  }
  try {
    return await fn();
  } finally {
    releaseLockSync(file);
  }
}

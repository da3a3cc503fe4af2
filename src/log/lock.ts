/**
 * A lock file per run, so two processes never append to the same journal. The file holds
 * the owner's pid and host; a lock whose owner is a dead process on this host is stale and
 * may be taken over (that run's writer crashed).
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import { z } from "zod";
import { ConflictError } from "../errors.js";
import { storageError } from "./fs-errors.js";
import { defined } from "../internal/defined.js";

/** Who holds a lock. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: number;
  /** Unique per acquisition, so a holder releases only its own lock. Absent in older files. */
  readonly token?: string;
}

const lockSchema = z.object({ pid: z.number().int(), host: z.string(), since: z.number().optional(), token: z.string().optional() });
const UNREADABLE: LockOwner = { pid: -1, host: "", since: 0 };

let counter = 0;
/** A name no other call in any process uses: temp files and lock tokens. */
function uniqueToken(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${process.pid}.${counter}.${Math.random().toString(36).slice(2, 8)}`;
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

/** Writes a small new file with one `writeSync` (where a full disk is reported, and injected in tests). */
function writeSmallFileSync(file: string, text: string): void {
  const fd = fs.openSync(file, "w");
  try {
    const bytes = Buffer.from(text, "utf8");
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
  } finally {
    fs.closeSync(fd);
  }
}

/** {@link readLock}, synchronously. */
function readLockSync(file: string): LockOwner | undefined {
  try {
    return parseLock(fs.readFileSync(file, "utf8"));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? undefined : UNREADABLE;
  }
}

/** Reads a lock file's owner, or undefined when there is no (readable) lock. */
export async function readLock(file: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return UNREADABLE;
  }
  return parseLock(text);
}

function parseLock(text: string): LockOwner {
  try {
    const parsed = lockSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return UNREADABLE;
    const { pid, host, since, token } = parsed.data;
    return { pid, host, since: since ?? 0, ...defined({ token }) };
  } catch {
    return UNREADABLE;
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
export async function acquireLock(file: string, what: string): Promise<{ tookOver: LockOwner | undefined; token: string }> {
  const token = uniqueToken();
  const me: LockOwner = { pid: process.pid, host: os.hostname(), since: Date.now(), token };
  for (let attempt = 0; attempt < 5; attempt++) {
    // Write the owner to a private file, then hard-link it into place: the lock appears with its
    // content complete. (`writeFile(file, { flag: "wx" })` creates it empty first; a rival reading
    // it in that window saw an unreadable owner, judged it stale and took it over: two holders.)
    // The private name is unique per call: parallel calls of one process never share it.
    // Synchronous calls: a few microseconds each, where trips through the thread pool cost
    // milliseconds on a loaded machine (a run's start takes this lock).
    const fresh = `${file}.${token}.${attempt}.new`;
    try {
      writeSmallFileSync(fresh, JSON.stringify(me));
      fs.linkSync(fresh, file);
      return { tookOver: undefined, token };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw storageError(err, `cannot take the lock of ${what}`, file);
    } finally {
      fs.rmSync(fresh, { force: true });
    }
    const owner = readLockSync(file);
    if (owner === undefined) continue;
    if (owner.pid === process.pid && owner.host === me.host) {
      throw new ConflictError(`${what} is already open for writing in this process`);
    }
    if (!lockIsStale(owner)) {
      throw new ConflictError(`${what} is locked by process ${owner.pid} on ${owner.host}: only one process may write a run at a time`);
    }
    // Stale: replace atomically so a concurrent taker sees either file, then re-check ownership.
    const tmp = `${file}.${token}.take`;
    try {
      await fsp.writeFile(tmp, JSON.stringify(me));
      await fsp.rename(tmp, file);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw storageError(err, `cannot take over the lock of ${what}`, file);
    }
    // Two takers may both have judged the same owner stale; the later rename wins. Wait a
    // moment before trusting ours, so an early winner learns it lost instead of sharing.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = await readLock(file);
    if (now?.token === token) return { tookOver: owner, token };
  }
  throw new ConflictError(`${what}: could not take its lock (contended)`);
}

/**
 * Releases a lock this process holds (sync, safe on exit paths). With `token`, only the
 * acquisition that returned it is released (parallel holders of one process never release
 * each other's lock).
 */
export function releaseLockSync(file: string, token?: string): void {
  try {
    const owner = parseLock(fs.readFileSync(file, "utf8"));
    if (owner.pid === process.pid && (token === undefined || owner.token === undefined || owner.token === token)) fs.unlinkSync(file);
  } catch {
    // Already gone.
  }
}

/** Per-file queues of this process's {@link withLock} calls: they take turns without polling. */
const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` while holding the lock at `file`, waiting (polling) while another live process
 * holds it. For short critical sections such as allocating an experiment id.
 */
export function withLock<T>(file: string, what: string, fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  // Calls of this process queue in memory; the lock file orders them against other processes.
  const previous = queues.get(file) ?? Promise.resolve();
  const mine = previous.then(
    () => holdLock(file, what, fn, timeoutMs),
    () => holdLock(file, what, fn, timeoutMs),
  );
  const settled = mine.catch(() => undefined);
  queues.set(file, settled);
  void settled.then(() => {
    if (queues.get(file) === settled) queues.delete(file);
  });
  return mine;
}

async function holdLock<T>(file: string, what: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let token: string;
  for (;;) {
    try {
      token = (await acquireLock(file, what)).token;
      break;
    } catch (err) {
      if (!(err instanceof ConflictError) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
  }
  try {
    return await fn();
  } finally {
    releaseLockSync(file, token);
  }
}

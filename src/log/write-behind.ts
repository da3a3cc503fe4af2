/**
 * The writer thread: takes the group commits' encoding and write system calls off the thread
 * that logs.
 *
 * In a loop of 1 ms steps logging 10 metrics, what logging costs the loop is nearly all CPU on
 * its own thread: the call (~2 µs a step), encoding the lines (~4 µs) and handing them over or
 * writing them (~2–4 µs), measured on the 2-core virtual machine of bench/README "Encoding
 * leaves the loop's thread". So once a run logs in a steady loop, its journal writer
 * ({@link JournalWriter}) copies each commit's metric records, as their fields, into a ring in
 * a `SharedArrayBuffer` (other records as encoded lines), and this module's thread
 * (writer-thread.ts) encodes and writes them, in order, every `pollMs` (the main thread never
 * wakes it while it polls: waking a thread is a system call).
 *
 * The journal stays the source of truth, written in order: an owner's records count as
 * written (`writtenSeq`) only once the thread wrote them ({@link BehindOwner.confirmed}), an
 * fsync syncs only what was written, and `flush()`, reads, rotation, close and process exit
 * wait for the thread first. When a write fails (a full disk) or the thread dies, the thread
 * stops, every unwritten entry goes back to its owner ({@link BehindOwner.takeBack}) and the
 * process writes on its own thread from then on, with the outage handling of journal.ts.
 * A SIGKILL loses what the thread had not written yet: normally the last `pollMs`.
 */
import { Worker } from "node:worker_threads";
import type { RawMetrics } from "./raw-metrics.js";
import { CTL, H, HEADER_BYTES, KIND, STATE, type ThreadData } from "./write-behind-layout.js";
import { builtWorkerScript } from "./worker-script.js";

/** A journal writer whose commits the thread writes. */
export interface BehindOwner {
  /** The thread wrote this owner's commit whose last record is `lastSeq`, `bytes` long. */
  confirmed(lastSeq: number, bytes: number): void;
  /**
   * The thread stopped before writing this commit (older ones first): the owner writes it
   * itself. `payload` is a copy: journal lines, or metric records as raw-metrics.ts lays them out.
   */
  takeBack(kind: number, payload: Uint8Array, lines: number): void;
  /** Everything unwritten was taken back: the owner writes on its own thread from now on. */
  retired(): void;
}

interface Ticket {
  readonly owner: BehindOwner;
  readonly lastSeq: number;
  readonly lines: number;
  /** Where the entry's header is in the ring. */
  readonly at: number;
}

/** Starts the thread where no built script is found (the project's tests, which run the TypeScript sources). */
export type ThreadStarter = (workerData: ThreadData) => Worker;
let starter: ThreadStarter | undefined;

/** @internal Sets how the thread starts without a built script (test/setup/writer-thread.ts). */
export function setThreadStarter(start: ThreadStarter | undefined): void {
  starter = start;
}

function startThread(workerData: ThreadData): Worker {
  const script = builtWorkerScript("writer-thread.js");
  if (script !== null) return new Worker(script, { workerData });
  if (starter !== undefined) return starter(workerData);
  throw new Error("the writer thread's script is not built");
}

/** How often the thread looks for commits to write (and so, what a SIGKILL can lose). */
export const POLL_MS = 5;
const RING_BYTES = 4 * 1024 * 1024;
const CTL_BYTES = 64;
/** A commit past this share of the ring is written by the owner itself (after the ring drained). */
const MAX_ENTRY = RING_BYTES / 4;
/**
 * How long a synchronous wait gives a thread that never started (its start failed) before the
 * process writes itself. A thread that runs is waited for as long as its write takes, as a
 * write on the logging thread would be: taking back a write still under way could write it twice.
 */
const START_MS = 30_000;

const pad8 = (n: number): number => (n + 7) & ~7;

/** `Atomics.waitAsync` (Node ≥ 16; not in the ES2022 library types). */
type WaitAsync = (array: Int32Array, index: number, value: number, timeoutMs: number) => { async: boolean; value: unknown };
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** The process's writer thread and its ring. */
export class WriteBehind {
  private readonly sab = new SharedArrayBuffer(CTL_BYTES + RING_BYTES);
  private readonly ctl = new Int32Array(this.sab, 0, CTL_BYTES / 4);
  private readonly data = new Uint8Array(this.sab, CTL_BYTES);
  private readonly nums = new Float64Array(this.sab, CTL_BYTES);
  private readonly view = new DataView(this.sab, CTL_BYTES);
  private readonly tickets: Ticket[] = [];
  private published = 0;
  private confirmedCount = 0;
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Set once the thread failed or died: owners write themselves from then on. */
  private retiredFlag = false;
  private dead = false;
  private readonly atExit = (): void => this.drainSync();

  constructor() {
    const worker = startThread({ sab: this.sab, ctlBytes: CTL_BYTES, pollMs: POLL_MS });
    worker.unref();
    const died = (): void => {
      this.dead = true;
    };
    worker.on("error", died);
    worker.on("exit", died);
    process.on("exit", this.atExit);
  }

  /**
   * Hands the thread the commit `buf[0, len)` of `lines` lines, last record `lastSeq`, to
   * append to `fd` at `fileOffset` (-1: right after this owner's previous entry). False when
   * it is not taken (too big, or the thread retired); the owner then writes it itself, after
   * {@link drainSync}.
   */
  submit(owner: BehindOwner, fd: number, fileOffset: number, buf: Uint8Array, len: number, lines: number, lastSeq: number): boolean {
    const at = this.reserve(len);
    if (at < 0) return false;
    this.data.set(buf.subarray(0, len), at + HEADER_BYTES);
    this.publish(owner, at, fd, fileOffset, KIND.BYTES, len, lines, lastSeq);
    return true;
  }

  /**
   * Hands the thread the metric records held by `raw` (last record `lastSeq`), to encode and
   * append as {@link submit} does. False when they are not taken; `raw` is left as it was.
   */
  submitMetrics(owner: BehindOwner, fd: number, fileOffset: number, raw: RawMetrics, lastSeq: number): boolean {
    const at = this.reserve(raw.payloadBound());
    if (at < 0) return false;
    const len = raw.writePayload(this.data, this.nums, at + HEADER_BYTES);
    this.publish(owner, at, fd, fileOffset, KIND.METRICS, len, raw.count, lastSeq);
    return true;
  }

  /** Room for an entry of up to `bound` payload bytes: where its header goes, or -1 (not taken). */
  private reserve(bound: number): number {
    this.reap();
    const need = HEADER_BYTES + pad8(bound);
    if (this.retiredFlag || need > MAX_ENTRY) return -1;
    let at = this.place(need);
    if (at < 0) {
      this.waitFor(() => this.place(need) >= 0);
      if (this.retiredFlag) return -1;
      at = this.place(need);
    }
    if (at === 0 && this.head !== 0 && this.head + HEADER_BYTES <= this.data.length) this.view.setInt32(this.head + H.LEN, -1, true);
    return at;
  }

  private publish(owner: BehindOwner, at: number, fd: number, fileOffset: number, kind: number, len: number, lines: number, lastSeq: number): void {
    const view = this.view;
    view.setInt32(at + H.LEN, len, true);
    view.setInt32(at + H.FD, fd, true);
    view.setFloat64(at + H.OFFSET, fileOffset, true);
    view.setInt32(at + H.KIND, kind, true);
    this.head = at + HEADER_BYTES + pad8(len);
    this.tickets.push({ owner, lastSeq, lines, at });
    Atomics.store(this.ctl, CTL.PUBLISHED, ++this.published);
    if (Atomics.load(this.ctl, CTL.STATE) === STATE.SLEEPING) this.wake();
    if (this.timer === undefined) {
      this.timer = setTimeout(this.onTimer, 2 * POLL_MS);
      this.timer.unref();
    }
  }

  /** Where an entry of `need` bytes goes in the ring, or -1 when there is no room yet. */
  private place(need: number): number {
    const pending = this.published - Atomics.load(this.ctl, CTL.DONE);
    const tail = Atomics.load(this.ctl, CTL.TAIL);
    const cap = this.data.length;
    if (pending === 0 || this.head > tail) {
      if (this.head + need <= cap) return this.head;
      return need <= (pending === 0 ? cap : tail) ? 0 : -1;
    }
    if (this.head < tail) return need <= tail - this.head ? this.head : -1;
    return -1; // full
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.reap();
    if (this.tickets.length > 0 && !this.retiredFlag) {
      this.timer = setTimeout(this.onTimer, 2 * POLL_MS);
      this.timer.unref();
    }
  };

  /** Tells owners what the thread wrote; takes everything back when it failed or died. */
  reap(): void {
    const done = Atomics.load(this.ctl, CTL.DONE);
    while (this.confirmedCount < done) {
      const ticket = this.tickets.shift() as Ticket;
      this.confirmedCount++;
      ticket.owner.confirmed(ticket.lastSeq, this.view.getInt32(ticket.at + H.WRITTEN, true));
    }
    if (!this.retiredFlag && (this.dead || Atomics.load(this.ctl, CTL.STATE) === STATE.FAILED)) this.retire();
  }

  /** Blocks until everything handed over is written (or taken back). */
  drainSync(): void {
    this.waitFor(() => this.tickets.length === 0);
  }

  /** Resolves once everything handed over so far is written (or taken back). */
  async drain(): Promise<void> {
    const target = this.published;
    // An Atomics.waitAsync does not keep the event loop alive: this timer does meanwhile.
    const alive = setInterval(() => undefined, 1000);
    try {
      while (this.confirmedCount < target && !this.retiredFlag) {
        this.wake();
        const done = Atomics.load(this.ctl, CTL.DONE);
        if (waitAsync === undefined) await new Promise((resolve) => setTimeout(resolve, 1));
        else {
          const waited = waitAsync(this.ctl, CTL.DONE, done, 50);
          if (waited.async) await waited.value;
        }
        this.reap();
      }
    } finally {
      clearInterval(alive);
    }
  }

  private waitFor(ready: () => boolean): void {
    const deadline = Date.now() + START_MS;
    this.reap();
    while (!ready() && !this.retiredFlag) {
      this.wake();
      Atomics.wait(this.ctl, CTL.DONE, Atomics.load(this.ctl, CTL.DONE), 20);
      if (Date.now() > deadline && Atomics.load(this.ctl, CTL.STARTED) === 0) this.dead = true;
      this.reap();
    }
  }

  private wake(): void {
    Atomics.add(this.ctl, CTL.WAKE, 1);
    Atomics.notify(this.ctl, CTL.WAKE);
  }

  /** The thread failed or died: every unwritten commit goes back to its owner, in order. */
  private retire(): void {
    this.retiredFlag = true;
    Atomics.store(this.ctl, CTL.STATE, STATE.STOP);
    this.wake();
    process.off("exit", this.atExit);
    if (this.timer !== undefined) clearTimeout(this.timer);
    const owners = new Set<BehindOwner>();
    for (const t of this.tickets.splice(0)) {
      owners.add(t.owner);
      const start = t.at + HEADER_BYTES;
      t.owner.takeBack(this.view.getInt32(t.at + H.KIND, true), this.data.slice(start, start + this.view.getInt32(t.at + H.LEN, true)), t.lines);
    }
    for (const owner of owners) owner.retired();
    if (current === this) current = undefined;
  }
}

let current: WriteBehind | undefined;
let unavailable = false;

/** The process's writer thread, started on first use; undefined where threads cannot start. */
export function writeBehind(): WriteBehind | undefined {
  if (current !== undefined || unavailable) return current;
  try {
    current = new WriteBehind();
  } catch {
    unavailable = true;
  }
  return current;
}

/**
 * The code of the writer thread (write-behind.ts), as the source text a `Worker` evaluates:
 * plain JavaScript with no imports but `node:fs`, so that it runs the same from the package's
 * ESM and CJS builds and from the TypeScript sources.
 *
 * Shared memory: `ctl` (Int32Array) holds the counters below; `data` holds entries, each a
 * 16-byte header (payload length, or -1 for "continue at offset 0"; the file descriptor; the
 * file offset the payload starts at, as a double) and the payload padded to 8 bytes.
 *
 * The thread writes every published entry in order, then waits on `WAKE` for `pollMs` (or,
 * after `IDLE_POLLS` empty polls, until woken) and looks again. A failed write is cut back to
 * the entry's offset (no torn line mid-segment), `STATE` becomes FAILED and the thread stops
 * writing: the main thread takes the unwritten entries back and writes them itself. Any
 * other error in the thread ends it the same way, so that it never stops without saying so.
 */

/** Indexes into the control array. */
export const CTL = {
  /** Entries published by the main thread (a count). */
  PUBLISHED: 0,
  /** Entries written by the thread (a count). */
  DONE: 1,
  /** Byte offset in `data` where the thread reads next. */
  TAIL: 2,
  /** RUNNING, SLEEPING, FAILED or STOP. */
  STATE: 3,
  /** Bumped (and notified) by the main thread to wake the thread at once. */
  WAKE: 4,
  /** 1 once the thread runs. */
  STARTED: 5,
} as const;

/** Values of `CTL.STATE`. */
export const STATE = { RUNNING: 0, SLEEPING: 1, FAILED: 2, STOP: 3 } as const;

/** Bytes of an entry's header in `data`. */
export const HEADER_BYTES = 16;

/** The thread's source text; `workerData` is `{ sab, ctlBytes, pollMs }`. */
export const WRITER_THREAD_SOURCE = `
"use strict";
const fs = require("node:fs");
const { workerData } = require("node:worker_threads");
const ctl = new Int32Array(workerData.sab, 0, ${Object.keys(CTL).length});
const data = new Uint8Array(workerData.sab, workerData.ctlBytes);
const view = new DataView(workerData.sab, workerData.ctlBytes);
const pollMs = workerData.pollMs;
const IDLE_POLLS = 20;
let done = Atomics.load(ctl, ${CTL.DONE});
let pos = Atomics.load(ctl, ${CTL.TAIL});
let idle = 0;
Atomics.store(ctl, ${CTL.STARTED}, 1);
// Touch every page of the ring once, so that the logging thread's first pass over it takes no
// page faults (a fault costs it microseconds on a virtual machine). An atomic add of 0 changes
// nothing the logging thread may be copying meanwhile.
const words = new Int32Array(workerData.sab, workerData.ctlBytes);
for (let i = 0; i < words.length; i += 1024) Atomics.add(words, i, 0);
function writeEntry(at) {
  const len = view.getInt32(at, true);
  const fd = view.getInt32(at + 4, true);
  const offset = view.getFloat64(at + 8, true);
  let off = 0;
  try {
    while (off < len) off += fs.writeSync(fd, data, at + ${HEADER_BYTES} + off, len - off);
  } catch (err) {
    try { fs.ftruncateSync(fd, offset); } catch {}
    return false;
  }
  return true;
}
function run() {
for (;;) {
  const state = Atomics.load(ctl, ${CTL.STATE});
  if (state === ${STATE.STOP} || state === ${STATE.FAILED}) break;
  const published = Atomics.load(ctl, ${CTL.PUBLISHED});
  if (published === done) {
    const wake = Atomics.load(ctl, ${CTL.WAKE});
    if (++idle < IDLE_POLLS) {
      Atomics.wait(ctl, ${CTL.WAKE}, wake, pollMs);
      continue;
    }
    Atomics.store(ctl, ${CTL.STATE}, ${STATE.SLEEPING});
    if (Atomics.load(ctl, ${CTL.PUBLISHED}) === done) Atomics.wait(ctl, ${CTL.WAKE}, wake);
    Atomics.compareExchange(ctl, ${CTL.STATE}, ${STATE.SLEEPING}, ${STATE.RUNNING});
    continue;
  }
  idle = 0;
  while (done < published) {
    if (pos + ${HEADER_BYTES} > data.length || view.getInt32(pos, true) === -1) pos = 0;
    if (!writeEntry(pos)) {
      Atomics.store(ctl, ${CTL.STATE}, ${STATE.FAILED});
      Atomics.notify(ctl, ${CTL.DONE});
      break;
    }
    const len = view.getInt32(pos, true);
    pos += ${HEADER_BYTES} + ((len + 7) & ~7);
    done++;
    Atomics.store(ctl, ${CTL.TAIL}, pos);
    Atomics.store(ctl, ${CTL.DONE}, done);
    Atomics.notify(ctl, ${CTL.DONE});
  }
}
}
try {
  run();
} catch (err) {
  Atomics.store(ctl, ${CTL.STATE}, ${STATE.FAILED});
  Atomics.notify(ctl, ${CTL.DONE});
}
`;

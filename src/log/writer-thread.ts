/**
 * The writer thread (started by write-behind.ts from the built `writer-thread.js`): writes every
 * entry the logging thread publishes in the ring, in order, encoding metric payloads into
 * journal lines first (the same bytes the logging thread's encoder makes: the same code), then
 * waits on `WAKE` for `pollMs` (or, after {@link IDLE_POLLS} empty polls, until woken) and
 * looks again.
 *
 * A failed write is cut back to the entry's start (no torn line mid-segment), `STATE` becomes
 * FAILED and the thread stops writing: the logging thread takes the unwritten entries back and
 * writes them itself. Any other error in the thread ends it the same way, so that it never
 * stops without saying so.
 */
import * as fs from "node:fs";
import { workerData } from "node:worker_threads";
import { LineBuffer } from "./line-buffer.js";
import { encodePayload } from "./raw-metrics.js";
import { CTL, H, HEADER_BYTES, KIND, STATE, type ThreadData } from "./write-behind-layout.js";

/** Empty polls before the thread sleeps until woken. */
const IDLE_POLLS = 20;
/** The encoding buffer is dropped after a commit that grew it past this. */
const KEEP_LINES_MAX = 16 * 1024 * 1024;

const { sab, ctlBytes, pollMs } = workerData as ThreadData;
const ctl = new Int32Array(sab, 0, Object.keys(CTL).length);
const data = new Uint8Array(sab, ctlBytes);
const nums = new Float64Array(sab, ctlBytes);
const view = new DataView(sab, ctlBytes);
const lines = new LineBuffer(64 * 1024);
/** Where the next entry for a file descriptor starts, after the thread's last one. */
const ends = new Map<number, number>();

/** Writes the entry at `at`: false when the write failed (the file was cut back to where it started). */
function writeEntry(at: number): boolean {
  const fd = view.getInt32(at + H.FD, true);
  const given = view.getFloat64(at + H.OFFSET, true);
  const offset = given >= 0 ? given : (ends.get(fd) ?? fs.fstatSync(fd).size);
  let bytes: Uint8Array = data;
  let start = at + HEADER_BYTES;
  let length = view.getInt32(at + H.LEN, true);
  if (view.getInt32(at + H.KIND, true) === KIND.METRICS) {
    lines.clear(KEEP_LINES_MAX);
    encodePayload(data, nums, start, lines);
    bytes = lines.buf;
    start = 0;
    length = lines.len;
  }
  let off = 0;
  try {
    while (off < length) off += fs.writeSync(fd, bytes, start + off, length - off);
  } catch {
    try {
      fs.ftruncateSync(fd, offset);
    } catch {
      // The logging thread cuts the file back too, to the size it counted.
    }
    return false;
  }
  view.setInt32(at + H.WRITTEN, length, true);
  ends.set(fd, offset + length);
  return true;
}

function run(): void {
  let done = Atomics.load(ctl, CTL.DONE);
  let pos = Atomics.load(ctl, CTL.TAIL);
  let idle = 0;
  for (;;) {
    const state = Atomics.load(ctl, CTL.STATE);
    if (state === STATE.STOP || state === STATE.FAILED) return;
    const published = Atomics.load(ctl, CTL.PUBLISHED);
    if (published === done) {
      const wake = Atomics.load(ctl, CTL.WAKE);
      if (++idle < IDLE_POLLS) {
        Atomics.wait(ctl, CTL.WAKE, wake, pollMs);
        continue;
      }
      Atomics.store(ctl, CTL.STATE, STATE.SLEEPING);
      if (Atomics.load(ctl, CTL.PUBLISHED) === done) Atomics.wait(ctl, CTL.WAKE, wake);
      Atomics.compareExchange(ctl, CTL.STATE, STATE.SLEEPING, STATE.RUNNING);
      continue;
    }
    idle = 0;
    while (done < published) {
      if (pos + HEADER_BYTES > data.length || view.getInt32(pos + H.LEN, true) === -1) pos = 0;
      if (!writeEntry(pos)) {
        Atomics.store(ctl, CTL.STATE, STATE.FAILED);
        Atomics.notify(ctl, CTL.DONE);
        return;
      }
      pos += HEADER_BYTES + ((view.getInt32(pos + H.LEN, true) + 7) & ~7);
      done++;
      Atomics.store(ctl, CTL.TAIL, pos);
      Atomics.store(ctl, CTL.DONE, done);
      Atomics.notify(ctl, CTL.DONE);
    }
  }
}

Atomics.store(ctl, CTL.STARTED, 1);
try {
  // Touch every page of the ring once, so that the logging thread's first pass over it takes
  // no page faults (a fault costs it microseconds on a virtual machine). An atomic add of 0
  // changes nothing the logging thread may be copying meanwhile.
  const words = new Int32Array(sab, ctlBytes);
  for (let i = 0; i < words.length; i += 1024) Atomics.add(words, i, 0);
  run();
} catch {
  Atomics.store(ctl, CTL.STATE, STATE.FAILED);
  Atomics.notify(ctl, CTL.DONE);
}

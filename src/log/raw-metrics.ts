/**
 * Metric records taken by logging calls and not yet encoded: their key's JSON, value,
 * timestamp and step, with consecutive sequence numbers. Encoding them into lines waits for
 * the group commit, the next record of another kind, or a full batch, so a logging call only
 * stores four fields and the turn's lines are encoded together in one loop.
 *
 * With the writer thread, the records are not encoded on the logging thread at all: they go
 * to the thread's ring as a payload of their fields ({@link RawMetrics.writePayload}), 8-byte
 * aligned: the first sequence number and the count as two doubles, then per record its value,
 * timestamp, step and key length as four doubles and its key's JSON as UTF-8, padded to 8
 * bytes. The thread encodes them with {@link encodePayload}, into the same bytes.
 */
import type { JournalFeed } from "./journal-feed.js";
import { type LineBuffer, metricLineMax } from "./line-buffer.js";

/** Room for records at first; it doubles as a turn needs it, up to {@link CAPACITY}. */
const INITIAL = 256;
/**
 * Records held at most (2 MB): a longer synchronous turn is encoded batch by batch, so its
 * memory stays near that of lines encoded one by one. Large enough that the call that fills a
 * batch and encodes it (a few ms) is rare: only turns of more than 65,536 records meet one.
 */
const CAPACITY = 65_536;

/** A batch of raw metric records, bounded. */
export class RawMetrics {
  /** Records held. */
  count = 0;
  /** Sequence number of the first record held (the others follow it without gaps). */
  private firstSeq = 0;
  /** Bytes their lines may take at most (`metricLineMax` summed). */
  private maxBytes = 0;
  private readonly keys: string[] = [];
  /** value, timestamp, step of each record. */
  private nums = new Float64Array(3 * INITIAL);

  /** Holds one record; `seq` follows the last one held (or starts a batch). True once the batch is full: encode it then. */
  push(seq: number, keyJson: string, value: number, timestamp: number, step: number, lineMax: number): boolean {
    const n = this.count;
    if (n === 0) this.firstSeq = seq;
    const at = 3 * n;
    if (at === this.nums.length) this.grow();
    this.nums[at] = value;
    this.nums[at + 1] = timestamp;
    this.nums[at + 2] = step;
    this.keys[n] = keyJson;
    this.count = n + 1;
    this.maxBytes += lineMax;
    return n + 1 === CAPACITY;
  }

  /** Encodes every record held into `queue`, in order (and gives them to `feed` when it wants them), and empties the batch. */
  encodeInto(queue: LineBuffer, feed?: JournalFeed): void {
    const n = this.count;
    if (n === 0) return;
    const need = queue.len + this.maxBytes;
    if (need > queue.buf.length) queue.grow(need);
    const nums = this.nums;
    const keys = this.keys;
    let seq = this.firstSeq;
    for (let i = 0; i < n; i++, seq++) queue.metric(seq, keys[i] as string, nums[3 * i] as number, nums[3 * i + 1] as number, nums[3 * i + 2] as number);
    if (feed?.wanted === true) {
      seq = this.firstSeq;
      for (let i = 0; i < n; i++, seq++) feed.metric(seq, keys[i] as string, nums[3 * i] as number, nums[3 * i + 1] as number, nums[3 * i + 2] as number);
    }
    this.count = 0;
    this.maxBytes = 0;
  }

  /** Bytes the lines of the records held may take at most. */
  get lineBytesMax(): number {
    return this.maxBytes;
  }

  /** Empties the batch (its records were handed over as a payload). */
  clear(): void {
    this.count = 0;
    this.maxBytes = 0;
  }

  /** Most bytes {@link writePayload} takes for the records held. */
  payloadBound(): number {
    let bytes = 16 + 32 * this.count;
    for (let i = 0; i < this.count; i++) bytes += pad8(3 * (this.keys[i] as string).length);
    return bytes;
  }

  /**
   * Writes the records held as a payload at byte `at` (a multiple of 8) of `bytes`, whose
   * `Float64Array` view `nums` has the same start; returns its length (a multiple of 8).
   */
  writePayload(bytes: Uint8Array, nums: Float64Array, at: number): number {
    const n = this.count;
    const src = this.nums;
    nums[at >> 3] = this.firstSeq;
    nums[(at >> 3) + 1] = n;
    let p = at + 16;
    for (let i = 0; i < n; i++) {
      const f = p >> 3;
      nums[f] = src[3 * i] as number;
      nums[f + 1] = src[3 * i + 1] as number;
      nums[f + 2] = src[3 * i + 2] as number;
      const key = this.keys[i] as string;
      const k = p + 32;
      let length = key.length;
      for (let j = 0; j < key.length; j++) {
        const c = key.charCodeAt(j);
        if (c > 0x7f) {
          length = Buffer.from(key, "utf8").copy(bytes, k); // a key with letters beyond ASCII
          break;
        }
        bytes[k + j] = c;
      }
      nums[f + 3] = length;
      p = k + pad8(length);
    }
    return p - at;
  }

  private grow(): void {
    const next = new Float64Array(this.nums.length * 2);
    next.set(this.nums);
    this.nums = next;
  }
}

const pad8 = (n: number): number => (n + 7) & ~7;

/**
 * Encodes the metric records of the payload at byte `at` of `bytes` (see
 * {@link RawMetrics.writePayload}; `nums` views the same memory from the same start) into
 * `out`, as the logging thread would have; returns how many.
 */
export function encodePayload(bytes: Uint8Array, nums: Float64Array, at: number, out: LineBuffer): number {
  let seq = nums[at >> 3] as number;
  const n = nums[(at >> 3) + 1] as number;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = at + 16;
  for (let i = 0; i < n; i++, seq++) {
    const f = p >> 3;
    const length = nums[f + 3] as number;
    const keyJson = text.toString("utf8", p + 32, p + 32 + length);
    const need = out.len + metricLineMax(keyJson);
    if (need > out.buf.length) out.grow(need);
    out.metric(seq, keyJson, nums[f] as number, nums[f + 1] as number, nums[f + 2] as number);
    p += 32 + pad8(length);
  }
  return n;
}

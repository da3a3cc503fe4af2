/**
 * Metric records taken by a logging call and not yet encoded: their key's JSON, value,
 * timestamp and step, with consecutive sequence numbers. Encoding them into lines waits for
 * the group commit (or the next record of another kind), so a training step's logging call
 * only stores four fields per metric, and the lines of many steps are encoded in one go,
 * with the encoder and the CRC tables hot in the caches.
 */
import type { LineBuffer } from "./line-buffer.js";

const INITIAL = 256;

/** A growable batch of raw metric records. */
export class RawMetrics {
  /** Records held. */
  count = 0;
  /** Sequence number of the first record held (the others follow it without gaps). */
  firstSeq = 0;
  /** Bytes their lines may take at most (`metricLineMax` summed). */
  maxBytes = 0;
  private keys: string[] = [];
  /** value, timestamp, step of each record. */
  private nums = new Float64Array(3 * INITIAL);

  /** Holds one record; `seq` follows the last one held (or starts a batch). */
  push(seq: number, keyJson: string, value: number, timestamp: number, step: number, lineMax: number): void {
    const n = this.count;
    if (n === 0) this.firstSeq = seq;
    if (3 * n === this.nums.length) this.growNums();
    const at = 3 * n;
    this.nums[at] = value;
    this.nums[at + 1] = timestamp;
    this.nums[at + 2] = step;
    this.keys[n] = keyJson;
    this.count = n + 1;
    this.maxBytes += lineMax;
  }

  /** Encodes every record held into `queue`, in order, and empties the batch. */
  encodeInto(queue: LineBuffer): void {
    const n = this.count;
    if (n === 0) return;
    const need = queue.len + this.maxBytes;
    if (need > queue.buf.length) queue.grow(need);
    const nums = this.nums;
    const keys = this.keys;
    let seq = this.firstSeq;
    for (let i = 0; i < n; i++, seq++) queue.metric(seq, keys[i] as string, nums[3 * i] as number, nums[3 * i + 1] as number, nums[3 * i + 2] as number);
    this.count = 0;
    this.maxBytes = 0;
    if (keys.length > 64 * INITIAL) this.keys = []; // one huge turn: memory does not stay high
    if (nums.length > 3 * INITIAL * 64) this.nums = new Float64Array(3 * INITIAL);
  }

  private growNums(): void {
    const next = new Float64Array(this.nums.length * 2);
    next.set(this.nums);
    this.nums = next;
  }
}

/**
 * Metric records taken by logging calls and not yet encoded: their key's JSON, value,
 * timestamp and step, with consecutive sequence numbers. Encoding them into lines waits for
 * the group commit, the next record of another kind, or a full batch, so a logging call only
 * stores four fields and the turn's lines are encoded together in one loop.
 */
import type { LineBuffer } from "./line-buffer.js";

/** Records held at most: a long synchronous turn is encoded batch by batch, so memory stays as low as with lines encoded one by one. */
const CAPACITY = 4096;

/** A fixed-size batch of raw metric records. */
export class RawMetrics {
  /** Records held. */
  count = 0;
  /** Sequence number of the first record held (the others follow it without gaps). */
  private firstSeq = 0;
  /** Bytes their lines may take at most (`metricLineMax` summed). */
  private maxBytes = 0;
  private readonly keys: string[] = new Array<string>(CAPACITY).fill("");
  /** value, timestamp, step of each record. */
  private readonly nums = new Float64Array(3 * CAPACITY);

  /** Holds one record; `seq` follows the last one held (or starts a batch). True once the batch is full: encode it then. */
  push(seq: number, keyJson: string, value: number, timestamp: number, step: number, lineMax: number): boolean {
    const n = this.count;
    if (n === 0) this.firstSeq = seq;
    const at = 3 * n;
    this.nums[at] = value;
    this.nums[at + 1] = timestamp;
    this.nums[at + 2] = step;
    this.keys[n] = keyJson;
    this.count = n + 1;
    this.maxBytes += lineMax;
    return n + 1 === CAPACITY;
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
  }
}

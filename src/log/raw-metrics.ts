/**
 * Metric records taken by logging calls and not yet encoded: their key's JSON, value,
 * timestamp and step, with consecutive sequence numbers. Encoding them into lines waits for
 * the group commit, the next record of another kind, or a full batch, so a logging call only
 * stores four fields and the turn's lines are encoded together in one loop.
 */
import type { JournalFeed } from "./journal-feed.js";
import type { LineBuffer } from "./line-buffer.js";

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

  private grow(): void {
    const next = new Float64Array(this.nums.length * 2);
    next.set(this.nums);
    this.nums = next;
  }
}

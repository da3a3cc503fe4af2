/**
 * CRC-32 (IEEE). `crc32` hashes a string's UTF-8 bytes or a byte array with `zlib.crc32`
 * (Node ≥ 20.15; a table implementation on older Node 20 releases). `crc32Range` hashes a
 * range of a buffer in plain JavaScript (slicing by 8): for the short lines of a journal it is
 * about 2.5× faster than a `zlib.crc32` call on a `subarray`, whose per-call cost dominates
 * at ~100 bytes.
 */
import * as zlib from "node:zlib";

type Crc32 = (data: string | Uint8Array) => number;

/** Eight 256-entry tables: `T[k * 256 + b]` is the CRC of byte `b` followed by `k` zero bytes. */
const T = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = T[n] as number;
  for (let k = 1; k < 8; k++) {
    c = (T[c & 0xff] as number) ^ (c >>> 8);
    T[k * 256 + n] = c;
  }
}

/** CRC-32 of `bytes[start..end)`. */
export function crc32Range(bytes: Uint8Array, start: number, end: number): number {
  let c = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = c ^ ((bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24));
    c =
      (T[1792 + (a & 0xff)] as number) ^
      (T[1536 + ((a >>> 8) & 0xff)] as number) ^
      (T[1280 + ((a >>> 16) & 0xff)] as number) ^
      (T[1024 + (a >>> 24)] as number) ^
      (T[768 + (bytes[i + 4] as number)] as number) ^
      (T[512 + (bytes[i + 5] as number)] as number) ^
      (T[256 + (bytes[i + 6] as number)] as number) ^
      (T[bytes[i + 7] as number] as number);
  }
  for (; i < end; i++) c = (T[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function tableCrc32(data: string | Uint8Array): number {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  return crc32Range(bytes, 0, bytes.length);
}

const native = (zlib as unknown as { crc32?: Crc32 }).crc32;

/** CRC-32 of `data` (strings are hashed as UTF-8). */
export const crc32: Crc32 = typeof native === "function" ? native : tableCrc32;

/**
 * CRC-32 (IEEE) of a string's UTF-8 bytes. Uses `zlib.crc32` (Node ≥ 20.15) and falls back
 * to a table implementation on older Node 20 releases.
 */
import * as zlib from "node:zlib";

type Crc32 = (data: string | Uint8Array) => number;

let table: Uint32Array | undefined;

function tableCrc32(data: string | Uint8Array): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc = (table[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const native = (zlib as unknown as { crc32?: Crc32 }).crc32;

/** CRC-32 of `data` (strings are hashed as UTF-8). */
export const crc32: Crc32 = typeof native === "function" ? native : tableCrc32;

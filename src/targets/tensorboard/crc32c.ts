/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven, and the "masked" form
 * TFRecord files store. Node's `zlib.crc32` is the IEEE polynomial, so it cannot be used here.
 *
 * @packageDocumentation
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32C of `bytes[start, end)`.
 * @example `crc32c(Buffer.from("123456789"))` → `0xe3069283`
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = TABLE[(c ^ (bytes[i] as number)) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The masked CRC TFRecord stores: `((crc >>> 15) | (crc << 17)) + 0xa282ead8`, modulo 2^32.
 * @example `maskedCrc32c(buf, 0, 8)`
 */
export function maskedCrc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const crc = crc32c(bytes, start, end);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/**
 * Shared tables of the journal's metric values, for the byte encoder (line-buffer.ts) and the
 * readers (record.ts, metric-line.ts): for the bits encoding (`"x"` + 16 hex digits, see
 * record.ts `encodeMetricValue`) a scratch double seen as two 32-bit halves, which half is the
 * high one on this host, and the value of each hex digit's byte; for short decimals the exact
 * powers of ten.
 */

/** A scratch double; write it, then read its halves from {@link BITS}. */
export const DOUBLE = new Float64Array(1);
/** {@link DOUBLE}'s bits as two 32-bit halves. */
export const BITS = new Uint32Array(DOUBLE.buffer);
/** Index of the high half (sign and exponent first) in {@link BITS}: 1 on little-endian hosts. */
export const HIGH = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f ? 1 : 0;
/** The value of a lowercase hex digit's byte, -1 for any other byte (bits are written lowercase). */
export const HEX_VALUE = Int8Array.from({ length: 256 }, (_, c) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1));
/** Exact powers of ten, 10^0 … 10^22 (every one a double without rounding): `m / 10^k` and `m * 10^k` round once. */
export const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);

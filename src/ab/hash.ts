/**
 * GrowthBook-compatible hashing and bucketing, so that the same key, seed and unit id give the
 * same variation as GrowthBook's SDKs. Ported from `packages/sdk-js/src/util.ts` of
 * github.com/growthbook/growthbook (MIT): `hash` (v1 and v2, FNV-1a 32-bit based),
 * `getEqualWeights`, `getBucketRanges`, `inRange`, `chooseVariation`. The outputs are bit-for-bit
 * those of the SDK (checked against `@growthbook/growthbook` in test/unit/ab-growthbook.test.ts).
 *
 * The hash functions here allocate nothing: FNV-1a is folded over the characters of the
 * seed and the value in place (no string concatenation), and v2's second round hashes the decimal
 * digits of the first round's result without building the string.
 *
 * @packageDocumentation
 */

/** A bucket range `[start, end)` within `[0, 1)`. @example `[0, 0.5]` */
export type VariationRange = readonly [number, number];

/** GrowthBook hash versions. @example `2` */
export type HashVersion = 1 | 2;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 16777619; // 2^24 + 2^8 + 0x93: the shifts in GrowthBook's `hashFnv32a`

/** Folds `str` into an FNV-1a state (int32 arithmetic, as `(h << 1) + (h << 4) + …` mod 2^32). */
function fold(h: number, str: string): number {
  for (let i = 0; i < str.length; i++) h = Math.imul(h ^ str.charCodeAt(i), FNV_PRIME);
  return h;
}

const DIGITS = new Uint8Array(10);

/** Folds the decimal digits of a uint32 (as `String(n)` would write them) into an FNV-1a state. */
function foldDecimal(h: number, n: number): number {
  let len = 0;
  do {
    const q = Math.floor(n / 10);
    DIGITS[len++] = n - q * 10;
    n = q;
  } while (n > 0);
  while (len > 0) h = Math.imul(h ^ (48 + (DIGITS[--len] as number)), FNV_PRIME);
  return h;
}

/**
 * FNV-1a 32-bit of `a + b` without concatenating: GrowthBook's `hashFnv32a(a + b)`.
 * @example `fnv1a32("seed", "user-1") // an integer in [0, 2^32)`
 */
export function fnv1a32(a: string, b = ""): number {
  return fold(fold(FNV_OFFSET, a), b) >>> 0;
}

/**
 * GrowthBook's hash: a number in `[0, 1)` from a seed and a unit id. Version 1 (the SDK's
 * default, biased for some inputs) is `(fnv(value + seed) % 1000) / 1000`; version 2 (unbiased)
 * is `(fnv(String(fnv(seed + value))) % 10000) / 10000`. Any other version gives `null`, like
 * the SDK.
 * @example `hash("seed", "a", 2) // 0.0505`
 * @example `hash("", "a", 1) // 0.22`
 */
export function hash(seed: string, value: string, version: number): number | null {
  if (version === 2) return hashV2(seed, value);
  if (version === 1) return hashV1(seed, value);
  return null;
}

/** Hash v1: `(fnv(value + seed) % 1000) / 1000`. @example `hashV1("b", "a") // 0.946` */
export function hashV1(seed: string, value: string): number {
  return ((fold(fold(FNV_OFFSET, value), seed) >>> 0) % 1000) / 1000;
}

/** Hash v2: `(fnv(String(fnv(seed + value))) % 10000) / 10000`. @example `hashV2("foo", "ab") // 0.2575` */
export function hashV2(seed: string, value: string): number {
  const first = fold(fold(FNV_OFFSET, seed), value) >>> 0;
  return ((foldDecimal(FNV_OFFSET, first) >>> 0) % 10000) / 10000;
}

/**
 * `n` equal weights summing to 1 (empty for `n <= 0`).
 * @example `getEqualWeights(4) // [0.25, 0.25, 0.25, 0.25]`
 */
export function getEqualWeights(n: number): number[] {
  if (n <= 0) return [];
  return new Array<number>(n).fill(1 / n);
}

/**
 * True when `n` is in `[range[0], range[1])`.
 * @example `inRange(0.5, [0, 0.5]) // false`
 */
export function inRange(n: number, range: VariationRange): boolean {
  return n >= range[0] && n < range[1];
}

/**
 * The index of the range holding `n`, or -1 (not in the experiment).
 * @example `chooseVariation(0.6, [[0, 0.25], [0.5, 0.75]]) // 1`
 */
export function chooseVariation(n: number, ranges: readonly VariationRange[]): number {
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i] as VariationRange;
    if (n >= r[0] && n < r[1]) return i;
  }
  return -1;
}

/**
 * GrowthBook's bucket ranges: variation `i` gets `[c_i, c_i + coverage * w_i)` where `c_i` is
 * the sum of the weights before it, so lowering coverage shrinks every range from its end and
 * raising it later never moves a unit between variations. Like the SDK it clamps coverage to
 * `[0, 1]` and falls back to equal weights when the weights are missing, of the wrong length,
 * or do not sum to 1 ± 0.01 (silently here; `createAbTest` rejects such weights instead).
 * @param coverage share of units in the experiment. @default 1
 * @param weights one per variation, summing to 1. @default equal weights
 * @example `getBucketRanges(3, 0.2, [0.2, 0.3, 0.5]) // [[0, 0.04], [0.2, 0.26], [0.5, 0.6]]`
 */
export function getBucketRanges(numVariations: number, coverage: number | undefined, weights?: readonly number[] | null): VariationRange[] {
  let cov = coverage === undefined ? 1 : coverage;
  if (cov < 0) cov = 0;
  else if (cov > 1) cov = 1;
  const equal = getEqualWeights(numVariations);
  let w: readonly number[] = weights ?? equal;
  if (w.length !== numVariations) w = equal;
  const total = w.reduce((sum, x) => sum + x, 0);
  if (total < 0.99 || total > 1.01) w = equal;
  let cumulative = 0;
  return w.map((x) => {
    const start = cumulative;
    cumulative += x;
    return [start, start + cov * x] as const;
  });
}

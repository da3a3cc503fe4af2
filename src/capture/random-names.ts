/** The `{random}` placeholder: an adjective-noun pair from built-in word lists, deterministic in a seed. */

const ADJECTIVES = [
  "amber",
  "bold",
  "brave",
  "bright",
  "calm",
  "clever",
  "cosmic",
  "crisp",
  "curious",
  "daring",
  "eager",
  "fancy",
  "fast",
  "fierce",
  "gentle",
  "glad",
  "golden",
  "grand",
  "happy",
  "hidden",
  "humble",
  "jolly",
  "keen",
  "kind",
  "lively",
  "lucky",
  "merry",
  "mighty",
  "misty",
  "noble",
  "polite",
  "proud",
  "quick",
  "quiet",
  "rapid",
  "silent",
  "silver",
  "sleek",
  "smooth",
  "snowy",
  "steady",
  "sunny",
  "swift",
  "tidy",
  "vivid",
  "warm",
  "wise",
  "witty",
] as const;

const NOUNS = [
  "badger",
  "bear",
  "beaver",
  "bison",
  "crane",
  "dolphin",
  "eagle",
  "falcon",
  "ferret",
  "finch",
  "fox",
  "gecko",
  "heron",
  "ibis",
  "jaguar",
  "koala",
  "lark",
  "lemur",
  "lion",
  "lynx",
  "marten",
  "mole",
  "moose",
  "newt",
  "orca",
  "otter",
  "owl",
  "panda",
  "pelican",
  "puffin",
  "quail",
  "rabbit",
  "raven",
  "robin",
  "salmon",
  "seal",
  "shark",
  "sparrow",
  "stork",
  "swan",
  "tapir",
  "tiger",
  "toucan",
  "trout",
  "turtle",
  "walrus",
  "whale",
  "wolf",
] as const;

/** 32-bit integer hash of a number (a splitmix/murmur-style finalizer over both halves). */
function mix(seed: number): number {
  const n = Number.isFinite(seed) ? Math.trunc(seed) : 0;
  let h = (n >>> 0) ^ Math.imul(Math.floor(n / 2 ** 32) >>> 0, 0x9e3779b9);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * An adjective-noun pair from built-in word lists (48 × 48 pairs), deterministic in `seed`.
 *
 * @param seed - Any number; equal seeds give equal pairs. @default a random seed
 * @example `randomPair(42) // e.g. "swift-heron" (always the same for 42)`
 */
export function randomPair(seed: number = Math.floor(Math.random() * 2 ** 32)): string {
  const h = mix(seed);
  const adjective = ADJECTIVES[h % ADJECTIVES.length] ?? "brave";
  const noun = NOUNS[Math.floor(h / ADJECTIVES.length) % NOUNS.length] ?? "otter";
  return `${adjective}-${noun}`;
}

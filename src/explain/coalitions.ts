/**
 * Kernel SHAP's coalition design (Lundberg & Lee 2017), following the `shap` package's
 * KernelExplainer: subset sizes are visited from the outside in (size s together with its
 * complement M−s); a size whose whole set of coalitions fits in the remaining budget is
 * enumerated with its exact Shapley kernel weight, the rest of the budget is spent on coalitions
 * sampled by size (with paired complements) and their weights are rescaled to the kernel mass
 * left over. With 2^M − 2 ≤ nsamples every coalition is enumerated and the result is exact.
 */
import type { Rng } from "./rng.js";

/** Coalitions (1 = the feature takes the explained row's value) and their regression weights. */
export interface CoalitionDesign {
  readonly masks: Uint8Array[];
  readonly weights: number[];
}

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

function* combinations(m: number, k: number): Generator<number[]> {
  const idx = Array.from({ length: k }, (_, i) => i);
  while (true) {
    yield idx.slice();
    let i = k - 1;
    while (i >= 0 && idx[i] === m - k + i) i--;
    if (i < 0) return;
    idx[i] = (idx[i] ?? 0) + 1;
    for (let j = i + 1; j < k; j++) idx[j] = (idx[j - 1] ?? 0) + 1;
  }
}

/** The number of coalitions Kernel SHAP can use for `m` features (all but the empty and full one). */
export function maxCoalitions(m: number): number {
  return m <= 30 ? 2 ** m - 2 : 2 ** 30;
}

/** Builds the coalition design for `m` ≥ 2 features with a budget of `nsamples` coalitions. */
export function designCoalitions(m: number, nsamples: number, rng: Rng): CoalitionDesign {
  const budget = Math.min(nsamples, maxCoalitions(m));
  const numSizes = Math.ceil((m - 1) / 2);
  const numPaired = Math.floor((m - 1) / 2);
  const kernel = Array.from({ length: numSizes }, (_, i) => ((m - 1) / ((i + 1) * (m - i - 1))) * (i < numPaired ? 2 : 1));
  const kernelSum = kernel.reduce((a, b) => a + b, 0);
  const weightVector = kernel.map((w) => w / kernelSum);

  const masks: Uint8Array[] = [];
  const weights: number[] = [];
  const add = (mask: Uint8Array, w: number): void => {
    masks.push(mask);
    weights.push(w);
  };
  let left = budget;
  let fullSizes = 0;
  let remaining = weightVector.slice();
  for (let size = 1; size <= numSizes; size++) {
    const paired = size <= numPaired;
    const count = binom(m, size) * (paired ? 2 : 1);
    if ((left * (remaining[size - 1] ?? 0)) / count < 1 - 1e-8) break;
    fullSizes++;
    left -= count;
    const share = remaining[size - 1] ?? 0;
    if (share < 1) remaining = remaining.map((v) => v / (1 - share));
    const w = (weightVector[size - 1] ?? 0) / binom(m, size) / (paired ? 2 : 1);
    for (const combo of combinations(m, size)) {
      const mask = new Uint8Array(m);
      for (const j of combo) mask[j] = 1;
      add(mask, w);
      if (paired)
        add(
          mask.map((v) => 1 - v),
          w,
        );
    }
  }

  const fixed = masks.length;
  let samplesLeft = budget - fixed;
  if (fullSizes !== numSizes && samplesLeft > 0) {
    // Sizes are drawn per pair when paired, so their probability is halved before normalizing.
    const rest = weightVector.map((w, i) => (i < numPaired ? w / 2 : w)).slice(fullSizes);
    const used = new Map<string, number>();
    const take = (mask: Uint8Array): void => {
      const key = mask.join("");
      const at = used.get(key);
      if (at === undefined) {
        used.set(key, masks.length);
        add(mask, 1);
        samplesLeft--;
      } else {
        weights[at] = (weights[at] ?? 0) + 1;
      }
    };
    for (let draws = 4 * samplesLeft; samplesLeft > 0 && draws > 0; draws--) {
      const size = rng.choice(rest) + fullSizes + 1;
      const mask = new Uint8Array(m);
      for (const j of rng.permutation(m).slice(0, size)) mask[j] = 1;
      take(mask);
      if (samplesLeft > 0 && size <= numPaired) take(mask.map((v) => 1 - v));
    }
    const massLeft = weightVector.slice(fullSizes).reduce((a, b) => a + b, 0);
    const drawn = weights.slice(fixed).reduce((a, b) => a + b, 0);
    for (let i = fixed; i < weights.length; i++) weights[i] = ((weights[i] ?? 0) * massLeft) / drawn;
  }
  return { masks, weights };
}

/**
 * Statistics of src/ab/stats.ts against reference values. Every expected number below was
 * computed with scipy 1.17.1 (the MLflow test venv), with the call shown next to it, e.g.
 * `scipy.stats.norm.cdf(-3)`; the mSPRT values with numpy from the closed form of Johari et al.
 * (2017), eq. (11): Λ = √(V/(V+τ²))·exp(d²τ²/(2V(V+τ²))).
 */
import { describe, expect, it } from "vitest";
import {
  betaInc,
  chiSquareSf,
  lnGamma,
  msprtInterval,
  msprtPValue,
  normalCdf,
  normalQuantile,
  srmTest,
  studentTCdf,
  studentTQuantile,
  summarize,
  twoProportionZTest,
  welchDf,
  welchTTest,
} from "../../src/ab/stats.js";

const close = (got: number, want: number, rel = 1e-9) =>
  expect(Math.abs(got - want), `got ${got}, want ${want}`).toBeLessThanOrEqual(rel * Math.max(1e-300, Math.abs(want)) + 1e-15);

describe("distributions (scipy.stats)", () => {
  it("normal CDF and quantile", () => {
    // scipy.stats.norm.cdf(x)
    const cdf: [number, number][] = [
      [-8, 6.22096057427174e-16],
      [-3, 0.0013498980316300933],
      [-1.5, 0.06680720126885807],
      [0, 0.5],
      [0.5, 0.6914624612740131],
      [1.959963984540054, 0.975],
      [4, 0.9999683287581669],
    ];
    for (const [x, p] of cdf) close(normalCdf(x), p, 1e-10);
    // scipy.stats.norm.ppf(p)
    const ppf: [number, number][] = [
      [1e-10, -6.361340902404056],
      [0.001, -3.090232306167813],
      [0.025, -1.9599639845400545],
      [0.9, 1.2815515655446004],
      [0.975, 1.959963984540054],
      [0.999999, 4.753424308817087],
    ];
    for (const [p, x] of ppf) close(normalQuantile(p), x, 1e-10);
    expect(normalQuantile(0.5)).toBe(0);
  });

  it("Student t CDF and quantile, fractional df included", () => {
    // scipy.stats.t.cdf(t, df)
    const cdf: [number, number, number][] = [
      [2.228, 10, 0.9749941140914443],
      [-1.5, 3, 0.11529193262241147],
      [0.7, 1, 0.6944001122142147],
      [3.1, 57.3, 0.9985004845463882],
      [-4, 2.5, 0.019506487920659125],
    ];
    for (const [t, df, p] of cdf) close(studentTCdf(t, df), p, 1e-10);
    // scipy.stats.t.ppf(p, df)
    const ppf: [number, number, number][] = [
      [0.975, 10, 2.228138851986274],
      [0.975, 1, 12.706204736174694],
      [0.995, 4.5, 4.272823993011293],
      [0.05, 30, -1.6972608865939574],
      [0.975, 1000, 1.9623390808264083],
    ];
    for (const [p, df, t] of ppf) close(studentTQuantile(p, df), t, 1e-9);
  });

  it("chi-square survival, incomplete beta, ln gamma", () => {
    // scipy.stats.chi2.sf(x, k)
    const sf: [number, number, number][] = [
      [3.841458820694124, 1, 0.04999999999999989],
      [10, 2, 0.006737946999085468],
      [20, 3, 0.00016974243555282632],
      [0.5, 4, 0.9735009788392561],
      [50, 1, 1.537459794428033e-12],
    ];
    for (const [x, k, p] of sf) close(chiSquareSf(x, k), p, 1e-9);
    // scipy.special.betainc(a, b, x)
    close(betaInc(0.4, 2, 3), 0.5247999999999999, 1e-12);
    close(betaInc(0.1, 0.5, 5), 0.6833570849799877, 1e-10);
    close(betaInc(0.95, 10, 0.5), 0.31715157546554495, 1e-10);
    // scipy.special.gammaln(x)
    for (const [x, v] of [
      [0.5, 0.5723649429247],
      [5, 3.1780538303479458],
      [100.5, 361.43554046777757],
      [1e-3, 6.907178885383853],
    ] as const)
      close(lnGamma(x), v, 1e-12);
  });
});

describe("tests", () => {
  it("two-proportion z-test: 100/1000 vs 130/1000", () => {
    // pooled z = (p1 − p0)/√(p̂(1−p̂)(1/n0+1/n1)), p = 2·norm.sf(|z|); CI with the unpooled SE and norm.ppf(0.975)
    const r = twoProportionZTest(100, 1000, 130, 1000);
    close(r.statistic, 2.102740605622114, 1e-10);
    close(r.pValue, 0.03548845046647471, 1e-8);
    close(r.ci[0], 0.0020679344393763656, 1e-8);
    close(r.ci[1], 0.057932065560623636, 1e-9);
  });

  it("Welch's t-test matches scipy.stats.ttest_ind_from_stats(…, equal_var=False)", () => {
    // ttest_ind_from_stats(10, 2, 50, 11, 3, 60, equal_var=False) → t = −2.0851441405707476 (a − b), p = 0.039520528491950604
    const r = welchTTest({ n: 50, mean: 10, variance: 4 }, { n: 60, mean: 11, variance: 9 });
    close(r.statistic, 2.0851441405707476, 1e-10);
    close(r.pValue, 0.039520528491950604, 1e-8);
    close(r.df, 103.32673468008916, 1e-12);
    close(welchDf(4, 50, 9, 60), 103.32673468008916, 1e-12);
    // diff ± t.ppf(0.975, df)·SE
    close(r.ci[0], 0.04889567387881644, 1e-8);
    close(r.ci[1], 1.9511043261211836, 1e-9);
  });

  it("SRM chi-square matches scipy.stats.chisquare", () => {
    // chisquare([5000, 5300], [5150, 5150]) → 8.737864077669903, p 0.003116693839866867
    const a = srmTest([5000, 5300], [0.5, 0.5]);
    close(a.chiSquare, 8.737864077669903, 1e-12);
    close(a.pValue, 0.003116693839866867, 1e-9);
    // chisquare([2000, 3100, 4900], [2000, 3000, 5000]) → 5.333333333333334, p 0.0694834512228015
    const b = srmTest([2000, 3100, 4900], [0.2, 0.3, 0.5]);
    close(b.chiSquare, 5.333333333333334, 1e-12);
    close(b.pValue, 0.0694834512228015, 1e-9);
  });

  it("summaries (Welford) equal the two-pass mean and unbiased variance", () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]); // mean 5, Σ(x−5)² = 32, variance 32/7
    expect(s.n).toBe(8);
    close(s.mean, 5, 1e-15);
    close(s.variance, 32 / 7, 1e-14);
  });
});

describe("mSPRT (normal mixture)", () => {
  it("matches the closed form", () => {
    // d = 0.03, V = 0.0002, τ² = 0.0004: Λ = 2.5875043911838844, p = 1/Λ = 0.38647277407806097
    close(msprtPValue(0.03, 0.0002, 0.0004), 0.38647277407806097, 1e-12);
    // d ± √(V(V+τ²)/τ²·(2 ln(1/α) + ln((V+τ²)/V))) at α = 0.05
    const [lo, hi] = msprtInterval(0.03, 0.0002, 0.0004, 0.05);
    close(lo, -0.016119660132451405, 1e-10);
    close(hi, 0.0761196601324514, 1e-12);
    expect(msprtPValue(0, 0.0002, 0.0004)).toBe(1);
  });

  it("peeking after every batch keeps the type I error below alpha (Monte Carlo under H0)", () => {
    // 400 simulated A/A tests, 50 looks of 40 N(0,1) observations per arm each; a test "rejects" if
    // any look has p < 0.05. The mSPRT must stay ≤ 5 % (+ Monte Carlo slack); the naive z-test
    // with the same peeking is known to exceed it by far (~25–30 %).
    let seed = 12345;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    let seqRejects = 0;
    let naiveRejects = 0;
    for (let sim = 0; sim < 400; sim++) {
      let s0 = 0,
        s1 = 0,
        n = 0,
        seqHit = false,
        naiveHit = false;
      for (let look = 0; look < 50; look++) {
        for (let k = 0; k < 40; k++) {
          s0 += gauss();
          s1 += gauss();
        }
        n += 40;
        const d = s1 / n - s0 / n;
        const V = 2 / n; // known σ² = 1
        if (msprtPValue(d, V, 0.01) < 0.05) seqHit = true;
        if (Math.abs(d / Math.sqrt(V)) > 1.959963984540054) naiveHit = true;
      }
      if (seqHit) seqRejects++;
      if (naiveHit) naiveRejects++;
    }
    expect(seqRejects / 400).toBeLessThanOrEqual(0.07);
    expect(naiveRejects / 400).toBeGreaterThan(0.12);
  });
});

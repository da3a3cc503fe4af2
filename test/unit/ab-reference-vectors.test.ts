/**
 * The statistics against the worked vectors of the project's reference notes on A/B
 * testing (two-proportion z, Welch from gbstats' tests, mSPRT closed form, SRM).
 */
import { describe, expect, it } from "vitest";
import { msprtPValue, srmTest, twoProportionZTest, welchTTest } from "../../src/ab/stats.js";

function fromSums(sum: number, sumSquares: number, n: number): { n: number; mean: number; variance: number } {
  return { n, mean: sum / n, variance: (sumSquares - (sum * sum) / n) / (n - 1) };
}

describe("reference vectors", () => {
  it("two-proportion z: 200/1000 vs 240/1000 → z 2.15917, p 0.030837", () => {
    const r = twoProportionZTest(200, 1000, 240, 1000);
    expect(r.statistic).toBeCloseTo(2.15917, 4);
    expect(r.pValue).toBeCloseTo(0.030837, 5);
    expect(r.diff).toBeCloseTo(0.04, 10);
  });

  it("Welch (gbstats): Δ 0.29, SE 0.12478, p 0.02016, CI (0.04538, 0.53462)", () => {
    const a = fromSums(1396.87, 52377.9767, 3407);
    const b = fromSums(2422.7, 134698.29, 3461);
    const r = welchTTest(a, b);
    expect(r.diff).toBeCloseTo(0.29, 2);
    expect(r.se).toBeCloseTo(0.12478, 4);
    expect(r.pValue).toBeCloseTo(0.02016, 4);
    expect(r.ci[0]).toBeCloseTo(0.04538, 3);
    expect(r.ci[1]).toBeCloseTo(0.53462, 3);
  });

  it("SRM: observed [100, 120], weights [0.5, 0.5] → χ² 1.81818, p 0.17753", () => {
    const r = srmTest([100, 120], [0.5, 0.5]);
    expect(r.chiSquare).toBeCloseTo(1.81818, 4);
    expect(r.pValue).toBeCloseTo(0.17753, 4);
  });

  it("mSPRT p-value is 1/Λ from the closed form, and never below the fixed-horizon one", () => {
    const diff = 0.04;
    const variance = (0.2 * 0.8) / 1000 + (0.24 * 0.76) / 1000;
    const tau2 = 0.01 ** 2;
    const lambda = Math.sqrt(variance / (variance + tau2)) * Math.exp((tau2 * diff * diff) / (2 * variance * (variance + tau2)));
    expect(msprtPValue(diff, variance, tau2)).toBeCloseTo(Math.min(1, 1 / lambda), 10);
    expect(msprtPValue(diff, variance, tau2)).toBeGreaterThan(twoProportionZTest(200, 1000, 240, 1000).pValue);
  });
});

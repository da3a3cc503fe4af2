/** The display form of metric values that CLI tables (`fmt`), the report and the dashboard (`num`) share. */
import { describe, expect, it } from "vitest";
import { fmt } from "../../src/cli/format.js";
import { formatMetric } from "../../src/internal/number-format.js";
import { num } from "../../src/report/html.js";

describe("formatMetric", () => {
  it.each([
    [0.123456, "0.12346"],
    [42, "42"],
    [-3, "-3"],
    [0, "0"],
    [1234567.5, "1.235e+6"],
    [0.0000123, "1.230e-5"],
    [2e9, "2.000e+9"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "Infinity"],
  ])("%s → %s", (value, shown) => {
    expect(formatMetric(value, "-")).toBe(shown);
  });

  it("shows a missing value as the caller's mark: `-` in the CLI, `–` in the report", () => {
    expect(formatMetric(undefined, "?")).toBe("?");
    expect(fmt(null)).toBe("-");
    expect(num(undefined)).toBe("–");
    expect(fmt(0.123456)).toBe(num(0.123456));
  });
});

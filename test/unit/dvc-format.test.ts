/**
 * The texts of a DVCLive folder: values, the nested summary, metric file names, params.
 * (What the dvc CLI reads back is checked in test/e2e/dvc-export.test.ts.)
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { formatValue, metricFile, paramsText, paramValue, summaryOf, summaryText, tsvHeader } from "../../src/targets/dvc/format.js";

/** How Python's float() reads a DVCLive value. */
const pyFloat = (s: string): number => (s === "nan" ? Number.NaN : s === "inf" ? Infinity : s === "-inf" ? -Infinity : Number(s));

describe("DVC target texts", () => {
  it("writes every double so that it reads back to the same bits, NaN and ±Infinity as DVCLive does", () => {
    const values = [Number.NaN, Infinity, -Infinity, -0, 0, 0.1, 1e-7, 1e21, 5e-324, Number.MAX_VALUE, -2.5, 2 ** 53 + 2];
    for (const v of values) expect(Object.is(pyFloat(formatValue(v)), v), String(v)).toBe(true);
    expect([Number.NaN, Infinity, -Infinity, -0].map(formatValue)).toEqual(["nan", "inf", "-inf", "-0.0"]);
  });

  it("nests the summary by '/', keeps whole a key whose prefix is a metric, and adds the highest step", () => {
    const summary = summaryOf({ "train/loss": 0.5, "train/acc": Number.NaN, a: 1, "a/b": 2, "x/y/z": -0 }, 9);
    expect(summary).toEqual({ train: { loss: 0.5, acc: "nan" }, a: 1, "a/b": 2, x: { y: { z: "-0.0" } }, step: 9 });
    expect(JSON.parse(summaryText(summary))).toEqual(summary);
    expect(summaryOf({ step: 3 }, 9)).toEqual({ step: 3 });
    expect(summaryOf({ "step/x": 3 }, 9)).toEqual({ step: { x: 3 } });
  });

  it("gives each metric key its own file inside plots/metrics, whatever its characters", () => {
    expect(metricFile("train/loss")).toBe("train/loss.tsv");
    expect(metricFile("val:acc")).toBe("val%3Aacc.tsv");
    expect(metricFile("训练 λ")).toBe("训练 λ.tsv");
    // Keys a server may hold that mltrail would refuse: never outside the folder, never shared.
    const odd = ["..", "../x", "a/../b", "", "a%3Ab", "a:b", "a\\b", "a\tb"];
    const files = odd.map(metricFile);
    expect(new Set(files).size).toBe(odd.length);
    for (const f of files) expect(path.posix.normalize(`plots/metrics/${f}`).startsWith("plots/metrics/"), f).toBe(true);
    for (const f of files)
      expect(
        f.split("/").every((p) => p !== "." && p !== ".." && p !== ""),
        f,
      ).toBe(true);
    const long = `${"λ".repeat(200)}/${"训".repeat(200)}`;
    expect(
      metricFile(long)
        .split("/")
        .every((p) => Buffer.byteLength(p) <= 255),
    ).toBe(true);
    expect(metricFile(long)).not.toBe(metricFile(`${"λ".repeat(200)}/${"训".repeat(199)}x`));
  });

  it("names the value column after the key's last segment, DVCLive's column order", () => {
    expect(tsvHeader("train/loss")).toBe("timestamp\tstep\tloss\n");
    expect(tsvHeader('a"b\tc')).toBe('timestamp\tstep\t"a""b\tc"\n');
  });

  it("writes params as numbers or booleans only when they read back to the same text", () => {
    expect([paramValue("0.001"), paramValue("3"), paramValue("true"), paramValue("1e3"), paramValue("007"), paramValue(" 1"), paramValue("")]).toEqual([
      0.001,
      3,
      true,
      "1e3",
      "007",
      " 1",
      "",
    ]);
    const params = { lr: "0.001", 学习率: "0.1x", yes: "no", flag: "false", n: "null", big: "12345678901234567890", "a.b": "1" };
    const back = parse(paramsText(params)) as Record<string, unknown>;
    expect(Object.fromEntries(Object.entries(back).map(([k, v]) => [k, String(v)]))).toEqual(params);
  });
});

/**
 * GrowthBook conformance of src/ab/hash.ts and of AbTest assignment.
 *
 * 1. Cases copied from GrowthBook's own SDK test suite, `packages/sdk-js/test/cases.json`
 *    (github.com/growthbook/growthbook, commit 8f1db4456915a8e7b7faf23d5632ca7219d2f469,
 *    specVersion 0.8.0, MIT licence): only the numeric `hash`, `getBucketRange`,
 *    `chooseVariation` and `getEqualWeights` sections. GrowthBook's runner compares bucket ranges
 *    rounded to 6 decimals and equal weights to 8; so do we.
 * 2. Differential tests against the `@growthbook/growthbook` package (dev dependency) on 10,000
 *    random ids per setting: same variation, same in/out of experiment, same hash bucket.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { GrowthBook, type Experiment } from "@growthbook/growthbook";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAbTest, type AbTest } from "../../src/ab/index.js";
import { chooseVariation, getBucketRanges, getEqualWeights, hash, inRange } from "../../src/ab/hash.js";
import { Tracker } from "../../src/index.js";

type Range = [number, number];
const CASES = {
  hash: [
    ["", "a", 1, 0.22],
    ["", "b", 1, 0.077],
    ["b", "a", 1, 0.946],
    ["ef", "d", 1, 0.652],
    ["asdf", "8952klfjas09ujk", 1, 0.549],
    ["", "123", 1, 0.011],
    ["", '___)((*":&', 1, 0.563],
    ["seed", "a", 2, 0.0505],
    ["seed", "b", 2, 0.2696],
    ["foo", "ab", 2, 0.2575],
    ["foo", "def", 2, 0.2019],
    ["89123klj", "8952klfjas09ujkasdf", 2, 0.124],
    ["90850943850283058242805", "123", 2, 0.7516],
    ["()**(%$##$%#$#", '___)((*":&', 2, 0.0128],
    ["abc", "def", 99, null],
  ],
  getBucketRange: [
    [
      "normal 50/50",
      [2, 1, null],
      [
        [0, 0.5],
        [0.5, 1],
      ],
    ],
    [
      "reduced coverage",
      [2, 0.5, null],
      [
        [0, 0.25],
        [0.5, 0.75],
      ],
    ],
    [
      "zero coverage",
      [2, 0, null],
      [
        [0, 0],
        [0.5, 0.5],
      ],
    ],
    [
      "4 variations",
      [4, 1, null],
      [
        [0, 0.25],
        [0.25, 0.5],
        [0.5, 0.75],
        [0.75, 1],
      ],
    ],
    [
      "uneven weights",
      [2, 1, [0.4, 0.6]],
      [
        [0, 0.4],
        [0.4, 1],
      ],
    ],
    [
      "uneven weights, 3 variations",
      [3, 1, [0.2, 0.3, 0.5]],
      [
        [0, 0.2],
        [0.2, 0.5],
        [0.5, 1],
      ],
    ],
    [
      "uneven weights, reduced coverage, 3 variations",
      [3, 0.2, [0.2, 0.3, 0.5]],
      [
        [0, 0.04],
        [0.2, 0.26],
        [0.5, 0.6],
      ],
    ],
    [
      "negative coverage",
      [2, -0.2, null],
      [
        [0, 0],
        [0.5, 0.5],
      ],
    ],
    [
      "coverage above 1",
      [2, 1.5, null],
      [
        [0, 0.5],
        [0.5, 1],
      ],
    ],
    [
      "weights sum below 1",
      [2, 1, [0.4, 0.1]],
      [
        [0, 0.5],
        [0.5, 1],
      ],
    ],
    [
      "weights sum above 1",
      [2, 1, [0.7, 0.6]],
      [
        [0, 0.5],
        [0.5, 1],
      ],
    ],
    [
      "weights.length not equal to num variations",
      [4, 1, [0.4, 0.4, 0.2]],
      [
        [0, 0.25],
        [0.25, 0.5],
        [0.5, 0.75],
        [0.75, 1],
      ],
    ],
    [
      "weights sum almost equals 1",
      [2, 1, [0.4, 0.5999]],
      [
        [0, 0.4],
        [0.4, 0.9999],
      ],
    ],
  ],
  chooseVariation: [
    [
      "even range, 0.2",
      0.2,
      [
        [0, 0.5],
        [0.5, 1],
      ],
      0,
    ],
    [
      "even range, 0.4",
      0.4,
      [
        [0, 0.5],
        [0.5, 1],
      ],
      0,
    ],
    [
      "even range, 0.6",
      0.6,
      [
        [0, 0.5],
        [0.5, 1],
      ],
      1,
    ],
    [
      "even range, 0.8",
      0.8,
      [
        [0, 0.5],
        [0.5, 1],
      ],
      1,
    ],
    [
      "even range, 0",
      0,
      [
        [0, 0.5],
        [0.5, 1],
      ],
      0,
    ],
    [
      "even range, 0.5",
      0.5,
      [
        [0, 0.5],
        [0.5, 1],
      ],
      1,
    ],
    [
      "reduced range, 0.2",
      0.2,
      [
        [0, 0.25],
        [0.5, 0.75],
      ],
      0,
    ],
    [
      "reduced range, 0.4",
      0.4,
      [
        [0, 0.25],
        [0.5, 0.75],
      ],
      -1,
    ],
    [
      "reduced range, 0.6",
      0.6,
      [
        [0, 0.25],
        [0.5, 0.75],
      ],
      1,
    ],
    [
      "reduced range, 0.8",
      0.8,
      [
        [0, 0.25],
        [0.5, 0.75],
      ],
      -1,
    ],
    [
      "reduced range, 0.25",
      0.25,
      [
        [0, 0.25],
        [0.5, 0.75],
      ],
      -1,
    ],
    [
      "reduced range, 0.5",
      0.5,
      [
        [0, 0.25],
        [0.5, 0.75],
      ],
      1,
    ],
    [
      "zero range",
      0.5,
      [
        [0, 0.5],
        [0.5, 0.5],
        [0.5, 1],
      ],
      2,
    ],
  ],
  getEqualWeights: [
    [-1, []],
    [0, []],
    [1, [1]],
    [2, [0.5, 0.5]],
    [3, [0.33333333, 0.33333333, 0.33333333]],
    [4, [0.25, 0.25, 0.25, 0.25]],
  ],
} as {
  hash: [string, string, number, number | null][];
  getBucketRange: [string, [number, number, number[] | null], Range[]][];
  chooseVariation: [string, number, Range[], number][];
  getEqualWeights: [number, number[]][];
};

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

describe("GrowthBook cases.json", () => {
  it.each(CASES.hash)("hash(%j, %j, v%i) = %j", (seed, value, version, expected) => {
    expect(hash(seed, value, version)).toBe(expected);
  });
  it.each(CASES.getBucketRange)("getBucketRanges: %s", (_name, [n, coverage, weights], expected) => {
    const got = getBucketRanges(n, coverage, weights).map(([a, b]) => [round(a, 6), round(b, 6)]);
    expect(got).toEqual(expected);
  });
  it.each(CASES.chooseVariation)("chooseVariation: %s", (_name, n, ranges, expected) => {
    expect(chooseVariation(n, ranges)).toBe(expected);
    expect(ranges.findIndex((r) => inRange(n, r))).toBe(expected);
  });
  it.each(CASES.getEqualWeights)("getEqualWeights(%i)", (n, expected) => {
    expect(getEqualWeights(n).map((w) => round(w, 8))).toEqual(expected);
  });
});

let root: string;
let tracker: Tracker;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "mltrail-ab-gb-"));
  tracker = new Tracker({ trackingUri: root, experiment: "models", captureContext: false, handleExit: false });
  for (const digest of [`sha256:${"a".repeat(64)}`, `sha256:${"b".repeat(64)}`]) {
    const run = await tracker.startRun();
    await run.end();
    await tracker.registerModel("toy", { runId: run.id, contentDigest: digest, rationale: "test" });
  }
});

afterAll(async () => {
  await tracker.close();
  rmSync(root, { recursive: true, force: true });
});

/** Random ids: uuids, short hex, numbers-as-strings, and non-ASCII (UTF-16 code units matter). */
function randomIds(count: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = i % 4;
    ids.push(
      r === 0
        ? randomUUID()
        : r === 1
          ? randomBytes(1 + (i % 9)).toString("hex")
          : r === 2
            ? String(Math.floor(Math.random() * 1e12))
            : `ü-${randomBytes(3).toString("base64")}-😀-${i}`,
    );
  }
  return ids;
}

interface Setting {
  readonly name: string;
  readonly weights: number[] | undefined;
  readonly coverage: number;
  readonly seed: string | undefined;
  readonly hashVersion: 1 | 2;
}

const SETTINGS: Setting[] = [
  { name: "50/50, v2, seed = key", weights: undefined, coverage: 1, seed: undefined, hashVersion: 2 },
  { name: "50/50, v1, seed = key", weights: undefined, coverage: 1, seed: undefined, hashVersion: 1 },
  { name: "10/90, coverage 0.35, v2, seed", weights: [0.1, 0.9], coverage: 0.35, seed: "abc", hashVersion: 2 },
  { name: "20/30/50, coverage 0.7, v1, seed", weights: [0.2, 0.3, 0.5], coverage: 0.7, seed: "s-1", hashVersion: 1 },
  { name: "4 equal, coverage 0.9, v2", weights: undefined, coverage: 0.9, seed: undefined, hashVersion: 2 },
  { name: "0.4/0.5999 (sum ≈ 1), v2", weights: [0.4, 0.5999], coverage: 1, seed: "z", hashVersion: 2 },
];

describe("differential: AbTest.assign vs @growthbook/growthbook on 10,000 random ids", () => {
  it.each(SETTINGS)("$name", async (s) => {
    const n = s.weights?.length ?? (s.name.startsWith("4") ? 4 : 2);
    const key = `gb-diff-${SETTINGS.indexOf(s)}`;
    const test: AbTest = await createAbTest(tracker, {
      key,
      variants: Array.from({ length: n }, (_, i) => ({
        model: "toy",
        ref: i % 2 === 0 ? "1.0.0" : "1.1.0",
        ...(s.weights === undefined ? {} : { weight: s.weights[i] as number }),
      })),
      coverage: s.coverage,
      hashVersion: s.hashVersion,
      ...(s.seed === undefined ? {} : { seed: s.seed }),
    });
    const gb = new GrowthBook({ attributes: {} });
    const experiment: Experiment<number> = {
      key,
      variations: Array.from({ length: n }, (_, i) => i) as [number, number, ...number[]],
      coverage: s.coverage,
      hashVersion: s.hashVersion,
    };
    if (s.weights !== undefined) experiment.weights = s.weights;
    if (s.seed !== undefined) experiment.seed = s.seed;
    const counts = new Array<number>(n + 1).fill(0);
    for (const id of randomIds(10_000)) {
      await gb.setAttributes({ id });
      const want = gb.run(experiment);
      const got = test.assign(id);
      const ctx = `id ${JSON.stringify(id)}`;
      expect(got.inExperiment, ctx).toBe(want.inExperiment);
      expect(got.variantIndex, ctx).toBe(want.inExperiment ? want.variationId : -1);
      if (want.inExperiment) expect(hash(s.seed ?? key, id, s.hashVersion), ctx).toBe(want.bucket);
      expect(test.assign({ id }).variantIndex, ctx).toBe(got.variantIndex); // object unit, default hashAttribute
      expect(got.modelVersion.version).toBe(test.config.variants[Math.max(0, got.variantIndex)]?.version);
      counts[got.variantIndex + 1] = (counts[got.variantIndex + 1] ?? 0) + 1;
    }
    // Every variant and (with coverage < 1) the outside got units: the comparison covered every branch.
    counts.slice(1).forEach((c) => expect(c).toBeGreaterThan(100));
    if (s.coverage < 1) expect(counts[0]).toBeGreaterThan(100);
    await test.close();
  });
});

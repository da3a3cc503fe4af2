/**
 * Assignment is deterministic across processes: a child process (running the built `dist/`)
 * assigns 1000 ids and prints them; this process computes the same assignments on its own
 * AbTest (which joins the child's frozen record) and with the pure hash functions.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { type BuiltAbSdk, distIndexUrl, toyAbStore } from "../fixtures/crash/ab-store.js";
import { Child } from "../fixtures/crash/harness.js";

const CHILD = `
const [distUrl, root] = process.argv.slice(1);
const sdk = await import(distUrl);
if (typeof sdk.createAbTest !== "function") throw new Error("dist/index.js does not export createAbTest: export src/ab from src/index.ts and rebuild");
const tracker = new sdk.Tracker({ trackingUri: root, captureContext: false, handleExit: false });
for (const [key, extra] of [["det-v2", {}], ["det-v1", { hashVersion: 1, coverage: 0.6, seed: "s" }]]) {
  const test = await sdk.createAbTest(tracker, { key, variants: [{ model: "toy", ref: "1.0.0", weight: 0.3 }, { model: "toy", ref: "1.1.0", weight: 0.7 }], ...extra });
  const out = [];
  for (let i = 0; i < 1000; i++) out.push(test.assign("id-" + i * 7919).variantIndex);
  console.log(key + " " + JSON.stringify(out));
}
await tracker.close();
`;

let store: { root: string; cleanup(): void };
let sdk: BuiltAbSdk;

beforeAll(async () => {
  ({ store, sdk } = await toyAbStore("ab-det"));
});

afterAll(() => store?.cleanup());

it("a child process and this one assign 1000 ids identically (hash v2 and v1 with coverage)", async () => {
  const child = new Child(process.execPath, ["--input-type=module", "-e", CHILD, distIndexUrl(), store.root], {});
  const exit = await child.exit(60_000);
  expect(exit.code, child.stderr).toBe(0);
  const tracker = new sdk.Tracker({ trackingUri: store.root, captureContext: false, handleExit: false });
  try {
    for (const [key, extra] of [
      ["det-v2", {}],
      ["det-v1", { hashVersion: 1 as const, coverage: 0.6, seed: "s" }],
    ] as const) {
      const line = child.lines.find((l) => l.startsWith(`${key} `));
      const theirs = JSON.parse(line?.slice(key.length + 1) ?? "[]") as number[];
      const test = await sdk.createAbTest(tracker, {
        key,
        variants: [
          { model: "toy", ref: "1.0.0", weight: 0.3 },
          { model: "toy", ref: "1.1.0", weight: 0.7 },
        ],
        ...extra,
      });
      const ours = Array.from({ length: 1000 }, (_, i) => test.assign(`id-${i * 7919}`).variantIndex);
      expect(ours).toEqual(theirs);
      const seed = "seed" in extra ? extra.seed : key;
      const ranges = sdk.getBucketRanges(2, "coverage" in extra ? extra.coverage : 1, [0.3, 0.7]);
      const pure = ours.map((_, i) => sdk.chooseVariation(sdk.hash(seed, `id-${i * 7919}`, "hashVersion" in extra ? extra.hashVersion : 2) ?? -1, ranges));
      expect(pure).toEqual(theirs);
      expect(new Set(theirs).size).toBe("coverage" in extra ? 3 : 2);
    }
  } finally {
    await tracker.close();
  }
});

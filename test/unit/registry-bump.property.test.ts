/**
 * Property tests of the bump policies (fast-check): whatever changed between two releases,
 * under either policy, a user's bump may raise the required one and never lower it, and a
 * refusal names a change that requires more; the strict policy never requires less than the
 * semantic one; and under the semantic policy new weights of a known, unchanged architecture
 * with unchanged signature and data never need more than a patch.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { compareBumps, inferChanges, planVersion, requiredBump } from "../../src/registry/index.js";
import type { Bump, BumpPolicy, ModelSignature, ReleaseFacts } from "../../src/registry/index.js";

const bump = fc.constantFrom<Bump>("major", "minor", "patch");
const policy = fc.constantFrom<BumpPolicy>("semantic", "strict");
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });
/** Small pools, so equal and different values are both common. */
const digest = maybe(fc.constantFrom("a", "b", "c"));
const spec = fc.record({ name: fc.constantFrom("age", "income", "p"), dtype: fc.constantFrom("float32", "int32") });
const signature: fc.Arbitrary<ModelSignature | undefined> = maybe(
  fc.record({
    inputs: fc.uniqueArray(spec, { selector: (s) => s.name, maxLength: 2 }),
    outputs: fc.uniqueArray(spec, { selector: (s) => s.name, maxLength: 1 }),
  }),
);
const facts: fc.Arbitrary<ReleaseFacts> = fc
  .record({
    signature,
    contentDigest: digest,
    architectureDigest: digest,
    datasets: fc.uniqueArray(fc.record({ name: fc.constantFrom("train", "extra"), digest: fc.constantFrom("d1", "d2") }), {
      selector: (d) => d.name,
      maxLength: 2,
    }),
    params: fc.dictionary(fc.constantFrom("lr", "epochs"), fc.constantFrom("1", "2"), { maxKeys: 2 }),
    metadataDigest: digest,
  })
  .map((f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as ReleaseFacts);

const existing = [{ version: "1.0.0" }, { version: "1.2.3" }];

describe("bump policies", () => {
  it("a user's bump is accepted exactly when it is at least the required one; a refusal names a change that requires more", () => {
    fc.assert(
      fc.property(facts, facts, policy, bump, (prev, next, p, asked) => {
        const { changes } = inferChanges(prev, next, { policy: p });
        const required = requiredBump(changes);
        let version: string;
        try {
          version = planVersion({ existing, bump: asked, requiredBecause: changes }).version;
        } catch (e) {
          expect(e).toBeInstanceOf(ValidationError);
          expect(required !== undefined && compareBumps(asked, required) < 0).toBe(true);
          const first = changes.find((c) => c.bump === required);
          expect((e as Error).message).toContain(`: ${first?.description}`);
          expect((e as Error).message).toMatch(new RegExp(` → ${required} required, got ${asked} — rule 2`));
          return;
        }
        expect(required === undefined || compareBumps(asked, required) >= 0).toBe(true);
        expect(version).toBe({ major: "2.0.0", minor: "1.3.0", patch: "1.2.4" }[asked]);
      }),
      { numRuns: 3000 },
    );
  });

  it("the inferred version is never below what any change requires, under either policy", () => {
    fc.assert(
      fc.property(facts, facts, policy, (prev, next, p) => {
        const { changes } = inferChanges(prev, next, { policy: p });
        const { bump: made } = planVersion({ existing, requiredBecause: changes });
        for (const c of changes) expect(compareBumps(made as Bump, c.bump)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it("the strict policy never requires less than the semantic one", () => {
    fc.assert(
      fc.property(facts, facts, (prev, next) => {
        const semantic = requiredBump(inferChanges(prev, next, { policy: "semantic" }).changes) ?? "patch";
        const strict = requiredBump(inferChanges(prev, next, { policy: "strict" }).changes) ?? "patch";
        expect(compareBumps(strict, semantic)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it("semantic: new weights and params of a known, unchanged architecture, signature and data are a patch; unknown architecture a minor", () => {
    fc.assert(
      fc.property(
        facts,
        fc.constantFrom("w1", "w2"),
        fc.constantFrom("w3", "w4"),
        maybe(fc.constantFrom("t1")),
        ({ architectureDigest: _a, ...f }, w1, w2, arch) => {
          const prev = { ...f, contentDigest: w1, ...(arch === undefined ? {} : { architectureDigest: arch }) };
          const next = { ...prev, contentDigest: w2, params: { ...f.params, lr: "0.5" } };
          expect(requiredBump(inferChanges(prev, next).changes)).toBe(arch === undefined ? "minor" : "patch");
          expect(requiredBump(inferChanges(prev, next, { policy: "strict" }).changes)).toBe("minor");
        },
      ),
      { numRuns: 500 },
    );
  });
});

import fc from "fast-check";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { MltrailError } from "../../src/errors.js";
import { compareVersions, planVersion, resolveRef, versionIdentity } from "../../src/registry/index.js";
import type { Bump, PlanInput, PrereleaseChannel } from "../../src/registry/index.js";

const small = fc.integer({ min: 0, max: 4 });
const channel = fc.constantFrom<PrereleaseChannel>("alpha", "beta", "rc");
const bump = fc.constantFrom<Bump>("major", "minor", "patch");
const pre = fc.option(
  fc.tuple(channel, fc.integer({ min: 0, max: 12 })).map(([c, n]) => `-${c}.${n}`),
  { nil: "" },
);
const build = fc.option(fc.constantFrom("+a", "+b", "+build.01", "+sha-5114f85"), { nil: "" });
const core = fc.tuple(small, small, small).map(([a, b, c]) => `${a}.${b}.${c}`);
/** Release-shaped strict versions, with small numbers so lines and collisions are common. */
const version = fc.tuple(core, pre, build).map(([c, p, b]) => `${c}${p}${b}`);

const part = fc.oneof(small.map(String), fc.constantFrom("x", "X", "*"));
const partial = fc.oneof(
  part,
  fc.tuple(part, part).map(([a, b]) => `${a}.${b}`),
  fc.tuple(part, part, part).map(([a, b, c]) => `${a}.${b}.${c}`),
);
const op = fc.constantFrom("", "^", "~", ">=", "<=", ">", "<", "=");
const comparator = fc.tuple(op, partial).map(([o, p]) => `${o}${p}`);
const conjunction = fc.array(comparator, { minLength: 1, maxLength: 2 }).map((cs) => cs.join(" "));
const hyphen = fc.tuple(partial, partial).map(([a, b]) => `${a} - ${b}`);
const simpleRange = fc.oneof(conjunction, hyphen);
/** Ranges without prereleases; bare full versions are exact refs, not ranges, so they get `=`. */
const range = fc
  .array(simpleRange, { minLength: 1, maxLength: 2 })
  .map((rs) => rs.join(" || "))
  .map((r) => (semver.valid(r) === null ? r : `=${r}`));

const entry = fc.record({ version, deprecated: fc.boolean(), deleted: fc.boolean() });

describe("ordering and identity agree with the semver package", () => {
  it("compareVersions equals semver.compare (build metadata ignored)", () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(compareVersions(a, b)).toBe(semver.compare(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it("sorting with compareVersions gives semver's order", () => {
    fc.assert(
      fc.property(fc.array(version, { maxLength: 20 }), (vs) => {
        const ours = [...vs].sort(compareVersions).map(versionIdentity);
        const theirs = [...vs].sort((a, b) => semver.compare(a, b)).map((v) => semver.parse(v)?.version);
        expect(ours).toEqual(theirs);
      }),
    );
  });

  it("identity ignores build metadata", () => {
    fc.assert(
      fc.property(fc.tuple(core, pre), build, build, ([c, p], b1, b2) => {
        expect(versionIdentity(`${c}${p}${b1}`)).toBe(versionIdentity(`${c}${p}${b2}`));
        expect(versionIdentity(`${c}${p}${b1}`)).toBe(`${c}${p}`);
        expect(compareVersions(`${c}${p}${b1}`, `${c}${p}${b2}`)).toBe(0);
      }),
    );
  });
});

describe("range resolution equals semver.maxSatisfying", () => {
  it("over non-deleted, non-deprecated stable versions", () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 15 }), range, (entries, r) => {
        const pool = entries.filter((e) => !e.deleted && !e.deprecated && semver.prerelease(e.version) === null).map((e) => e.version);
        const expected = semver.maxSatisfying(pool, r);
        const got = resolveRef(entries, {}, r);
        expect(got === undefined ? null : versionIdentity(got)).toBe(expected === null ? null : semver.parse(expected)?.version);
      }),
      { numRuns: 1000 },
    );
  });

  it("a range naming a prerelease matches prereleases of that X.Y.Z only (includePrerelease: false)", () => {
    const preRange = fc
      .tuple(
        fc.constantFrom(">=", ">", "^", "~", "<="),
        core,
        pre.filter((p) => p !== ""),
      )
      .map(([o, c, p]) => `${o}${c}${p}`);
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 15 }), preRange, (entries, r) => {
        const pool = entries.filter((e) => !e.deleted && !e.deprecated).map((e) => e.version);
        const expected = semver.maxSatisfying(pool, r, { includePrerelease: false });
        const got = resolveRef(entries, {}, r);
        expect(got === undefined ? null : versionIdentity(got)).toBe(expected === null ? null : semver.parse(expected)?.version);
      }),
      { numRuns: 1000 },
    );
  });
});

const planInput = (existing: { version: string; deleted: boolean }[]): fc.Arbitrary<PlanInput> => {
  const live = existing.filter((e) => !e.deleted && semver.prerelease(e.version) === null).map((e) => e.version);
  const base = live.length === 0 ? fc.constant(undefined) : fc.option(fc.constantFrom(...live), { nil: undefined, freq: 3 });
  const requested = fc.record({ requested: version, required: fc.option(bump, { nil: undefined }) });
  const computed = fc.record({
    bump: fc.option(bump, { nil: undefined }),
    required: fc.option(bump, { nil: undefined }),
    prerelease: fc.option(channel, { nil: undefined }),
    base,
    initial: fc.option(fc.constantFrom<"1.0.0" | "0.1.0">("1.0.0", "0.1.0"), { nil: undefined }),
  });
  // Drop undefined keys (exactOptionalPropertyTypes).
  const clean = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return fc.oneof(requested, computed).map((o) => ({ existing, ...clean(o) }) as PlanInput);
};

const scenario = fc.array(fc.record({ version, deleted: fc.boolean() }), { maxLength: 12 }).chain((existing) => planInput(existing));

const RANK: Record<Bump, number> = { patch: 0, minor: 1, major: 2 };

describe("planVersion", () => {
  it("is greater than every version of its line and never reuses a version (tombstones included)", () => {
    let planned = 0;
    fc.assert(
      fc.property(scenario, (input) => {
        let out: ReturnType<typeof planVersion>;
        try {
          out = planVersion(input);
        } catch (e) {
          expect(e).toBeInstanceOf(MltrailError); // ValidationError, ConflictError or NotFoundError, never a crash
          return;
        }
        planned++;
        const v = semver.parse(out.version);
        expect(v).not.toBeNull();
        if (v === null) return;
        for (const e of input.existing) {
          const x = semver.parse(e.version);
          expect(x?.version).not.toBe(v.version);
          if (x !== null && x.major === v.major && x.minor === v.minor) expect(semver.gt(v, x)).toBe(true);
        }
        if (input.requested !== undefined) expect(out.version).toBe(input.requested);
      }),
      { numRuns: 3000 },
    );
    expect(planned).toBeGreaterThan(1000); // the generator mostly makes plannable inputs
  });

  it("a computed bump over stable versions always succeeds and tops everything", () => {
    const stable = fc.tuple(core, build).map(([c, b]) => `${c}${b}`);
    fc.assert(
      fc.property(
        fc.array(fc.record({ version: stable, deleted: fc.boolean() }), { maxLength: 12 }),
        fc.option(bump, { nil: undefined }),
        fc.option(bump, { nil: undefined }),
        (existing, b, required) => {
          const input: PlanInput = { existing, ...(b === undefined ? {} : { bump: b }), ...(required === undefined ? {} : { required }) };
          let out: ReturnType<typeof planVersion>;
          try {
            out = planVersion(input);
          } catch (e) {
            // Only a bump lower than the required one is refused (rule 2).
            expect(String(e)).toMatch(/rule 2/);
            expect(b !== undefined && required !== undefined && RANK[b] < RANK[required]).toBe(true);
            return;
          }
          for (const e of existing) expect(semver.gt(out.version, e.version)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

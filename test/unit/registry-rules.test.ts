import { describe, expect, it } from "vitest";
import { ConflictError, NotFoundError, ValidationError } from "../../src/errors.js";
import {
  checkAliasName,
  checkModelName,
  checkSignature,
  checkVersion,
  checkVersionUpdate,
  compareVersions,
  diffSignatures,
  inferChanges,
  isPrerelease,
  parseModelRef,
  planVersion,
  promote,
  releaseWithRetry,
  requiredBump,
  resolveRef,
  versionIdentity,
} from "../../src/registry/index.js";
import type { Change, ModelSignature, PlanInput, ReleaseFacts } from "../../src/registry/index.js";

function caught<E extends Error>(type: new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof type) return e;
    throw e;
  }
  throw new Error(`expected ${type.name}`);
}

const existing = (...vs: string[]): { version: string; deleted?: boolean }[] =>
  vs.map((v) => (v.startsWith("!") ? { version: v.slice(1), deleted: true } : { version: v }));

const ageRemoved: Change = { kind: "input-removed", bump: "major", subject: "age", description: 'input "age" removed' };

describe("rule 1: strict SemVer 2.0.0, identity excludes +build", () => {
  it.each(["1.0.0", "0.0.0", "10.20.30", "1.2.3-rc.0", "1.2.3-alpha.12", "1.2.3+build.01", "1.2.3-beta.2+sha.abc"])("accepts %s", (v) =>
    expect(checkVersion(v)).toBe(v),
  );
  it.each(["v1.2.3", "V1.2.3", "=1.2.3", " 1.2.3", "1.2.3 ", "1.2", "1", "01.2.3", "1.02.3", "1.2.3-rc.01", "1.2.3beta", "", "latest"])(
    "rejects %j naming rule 1",
    (v) => expect(caught(ValidationError, () => checkVersion(v)).message).toMatch(/rule 1$/),
  );
  it("rejects non-strings", () => {
    expect(caught(ValidationError, () => checkVersion(123)).field).toBe("version");
  });
  it.each([
    ["1.2.0+a", "1.2.0"],
    ["1.2.0-rc.1+x.y", "1.2.0-rc.1"],
    ["3.0.0", "3.0.0"],
  ])("identity of %s is %s", (v, id) => expect(versionIdentity(v)).toBe(id));
  it.each([
    ["1.10.0", "1.9.0", 1],
    ["1.0.0-rc.1", "1.0.0", -1],
    ["1.0.0-alpha.9", "1.0.0-beta.0", -1],
    ["1.0.0-rc.10", "1.0.0-rc.9", 1],
    ["1.0.0+a", "1.0.0+b", 0],
  ] as const)("compareVersions(%s, %s) = %d", (a, b, r) => expect(compareVersions(a, b)).toBe(r));
  it("isPrerelease", () => {
    expect(isPrerelease("1.3.0-rc.2")).toBe(true);
    expect(isPrerelease("1.3.0+rc")).toBe(false);
  });
  it("a build-only difference is the same version (reuse conflict)", () => {
    expect(() => planVersion({ existing: existing("1.2.0+a"), requested: "1.2.0+b" })).toThrow(ConflictError);
  });
});

describe("rule 2: the bump comes from the changes; may be raised, never lowered", () => {
  const v1: ModelSignature = {
    inputs: [
      { name: "age", dtype: "float32" },
      { name: "x", dtype: "float32", shape: [null, 4] },
    ],
    outputs: [{ name: "p", dtype: "float32" }],
    labels: ["a", "b"],
  };
  const base: ReleaseFacts = { signature: v1, contentDigest: "w1", datasets: [{ name: "train", digest: "d1" }], params: { lr: "0.1" }, metadataDigest: "m1" };
  const withSig = (s: Partial<ModelSignature>): ReleaseFacts => ({ ...base, signature: { ...v1, ...s } });
  const cases: [string, ReleaseFacts, "major" | "minor" | "patch" | undefined, string[]][] = [
    ["removed input", withSig({ inputs: [{ name: "x", dtype: "float32", shape: [null, 4] }] }), "major", ['input "age" removed']],
    ["added required input", withSig({ inputs: [...v1.inputs, { name: "z", dtype: "int64" }] }), "major", ['required input "z" added']],
    ["added optional input", withSig({ inputs: [...v1.inputs, { name: "w", dtype: "int64", optional: true }] }), "minor", ['optional input "w" added']],
    ["dtype change", withSig({ inputs: [{ name: "age", dtype: "int32" }, v1.inputs[1]!] }), "major", ['input "age" dtype float32 → int32']],
    ["shape change", withSig({ inputs: [v1.inputs[0]!, { name: "x", dtype: "float32", shape: [null, 5] }] }), "major", ['input "x" shape [null,4] → [null,5]']],
    ["label set change", withSig({ labels: ["a", "b", "c"] }), "major", ['label set changed: added "c"']],
    ["weights only, architecture unknown", { ...base, contentDigest: "w2" }, "minor", ["weights changed; architecture unknown"]],
    ["data only", { ...base, datasets: [{ name: "train", digest: "d2" }] }, "minor", ["training data changed (train)"]],
    ["params only", { ...base, params: { lr: "0.2" } }, "patch", ["params changed (lr)"]],
    ["metadata only", { ...base, metadataDigest: "m2" }, "patch", ["metadata changed"]],
    ["identical content", { ...base }, undefined, []],
    ["renamed output", withSig({ outputs: [{ name: "q", dtype: "float32" }] }), "major", ['output "p" removed', 'output "q" added']],
    ["new output", withSig({ outputs: [...v1.outputs, { name: "q", dtype: "float32" }] }), "minor", ['output "q" added']],
  ];
  it.each(cases)("%s", (_name, next, bump, descriptions) => {
    const r = inferChanges(base, next);
    expect(r.changes.map((c) => c.description)).toEqual(descriptions);
    expect(requiredBump(r.changes)).toBe(bump);
    expect(r.identical).toBe(bump === undefined);
  });
  it("identical needs a known content digest on both sides", () => {
    expect(inferChanges({}, {}).identical).toBe(false);
    expect(inferChanges({}, {}).changes.map((c) => c.bump)).toEqual(["minor"]);
    expect(inferChanges(undefined, base)).toEqual({ identical: false, changes: [] });
  });
  it.each([
    [{ optional: true }, { optional: false }, "major", 'input "a" optional → required'],
    [{ optional: false }, { optional: true }, "minor", 'input "a" required → optional'],
  ] as const)("input %o → %o is %s", (from, to, bump, text) => {
    const a = { inputs: [{ name: "a", dtype: "f", ...from }], outputs: [] };
    const b = { inputs: [{ name: "a", dtype: "f", ...to }], outputs: [] };
    expect(diffSignatures(a, b)).toEqual([{ kind: expect.any(String), bump, subject: "a", description: text }]);
  });
  it("a removed label is major too, and so is a reorder", () => {
    expect(diffSignatures({ inputs: [], outputs: [], labels: ["a", "b"] }, { inputs: [], outputs: [], labels: ["a"] })[0]?.description).toBe(
      'label set changed: removed "b"',
    );
    expect(diffSignatures({ inputs: [], outputs: [], labels: ["a", "b"] }, { inputs: [], outputs: [], labels: ["b", "a"] })[0]?.bump).toBe("major");
  });
  it.each([
    [{ requested: "1.3.0" }, 'version: "1.3.0" is not valid: input "age" removed → major required, got minor'],
    [{ requested: "1.2.1" }, 'version: "1.2.1" is not valid: input "age" removed → major required, got patch'],
    [{ bump: "minor" }, 'bump: "minor" is not valid: input "age" removed → major required, got minor'],
  ] as const)("a lowered bump %o is rejected naming the change", (opts, text) => {
    const input: PlanInput = { existing: existing("1.2.0"), requiredBecause: [ageRemoved], ...opts };
    const e = caught(ValidationError, () => planVersion(input));
    expect(e.message).toContain(text);
    expect(e.message).toContain("rule 2");
  });
  it.each([
    [{ required: "minor" }, "1.3.0", "minor"],
    [{ required: "major" }, "2.0.0", "major"],
    [{}, "1.2.1", "patch"],
    [{ required: "patch", bump: "major" }, "2.0.0", "major"],
    [{ required: "minor", requested: "3.0.0" }, "3.0.0", "major"],
  ] as const)("%o → %s (raising is allowed)", (opts, version, bump) => {
    expect(planVersion({ existing: existing("1.2.0"), ...opts })).toEqual({ version, bump, previous: "1.2.0" });
  });
  it("the highest of required and requiredBecause wins", () => {
    expect(planVersion({ existing: existing("1.2.0"), required: "patch", requiredBecause: [ageRemoved] }).version).toBe("2.0.0");
  });
  it.each([
    [{}, { version: "1.0.0", bump: "initial" }],
    [{ initial: "0.1.0" }, { version: "0.1.0", bump: "initial" }],
  ] as const)("first release %o", (opts, out) => expect(planVersion({ existing: [], ...opts })).toEqual(out));
  it.each([
    [{ required: "major" }, "0.4.0"],
    [{ required: "minor" }, "0.4.0"],
    [{ required: "patch" }, "0.3.2"],
    [{ requested: "0.4.0", requiredBecause: [ageRemoved] }, "0.4.0"],
    [{ requested: "1.0.0", required: "major" }, "1.0.0"],
  ] as const)("in 0.x %o → %s", (opts, version) => {
    expect(planVersion({ existing: existing("0.3.1"), ...opts }).version).toBe(version);
  });
  it("in 0.x a patch still cannot carry a breaking change", () => {
    const e = caught(ValidationError, () => planVersion({ existing: existing("0.3.1"), requested: "0.3.2", requiredBecause: [ageRemoved] }));
    expect(e.message).toContain('input "age" removed → major required (a minor bump in 0.x), got patch');
  });
  it("version and bump together are ambiguous", () => {
    expect(caught(ValidationError, () => planVersion({ existing: [], requested: "1.0.0", bump: "major" })).field).toBe("bump");
  });
});

describe("rule 3: greater than its line; below the highest only as a backport patch", () => {
  const all = existing("1.2.4", "1.3.0", "2.0.0");
  it.each([
    ["1.2.5", "1.2.4"],
    ["1.3.1", "1.3.0"],
    ["2.0.1", "2.0.0"],
    ["2.1.0", "2.0.0"],
    ["3.0.0", "2.0.0"],
    ["1.2.5-rc.0", "1.2.4"],
  ])("accepts %s (previous %s)", (v, prev) => expect(planVersion({ existing: all, requested: v }).previous).toBe(prev));
  it.each([
    ["1.2.3", "must be greater than every version of line 1.2 (1.2.4 exists) — rule 3"],
    ["1.4.0", "is below the highest version 2.0.0 and is not a patch on an existing major.minor line"],
    ["1.1.1", "is below the highest version 2.0.0"],
    ["0.9.0", "is below the highest version 2.0.0"],
    ["1.3.0-rc.5", "must be greater than every version of line 1.3 (1.3.0 exists)"],
  ])("rejects %s", (v, text) => expect(caught(ValidationError, () => planVersion({ existing: all, requested: v })).message).toContain(text));
  it("a backport with a computed bump goes on the base's line", () => {
    expect(planVersion({ existing: all, base: "1.2.4", bump: "patch" })).toEqual({ version: "1.2.5", bump: "patch", previous: "1.2.4" });
    expect(() => planVersion({ existing: all, base: "1.3.0", bump: "minor" })).toThrow(/rule 3/);
    expect(() => planVersion({ existing: all, base: "1.2.4", bump: "minor" })).toThrow(ConflictError);
    expect(caught(ValidationError, () => planVersion({ existing: all, base: "1.2.9", bump: "patch" })).field).toBe("base");
  });
  it("a tombstone on the line still counts: the backport skips over it", () => {
    expect(planVersion({ existing: [...all, { version: "1.2.5", deleted: true }], base: "1.2.4", bump: "patch" }).version).toBe("1.2.6");
  });
});

describe("rule 4: prerelease channels and promotion", () => {
  it.each([
    [[], "rc", {}, "1.0.0-rc.0"],
    [["1.2.0"], "rc", { required: "minor" }, "1.3.0-rc.0"],
    [["1.2.0", "1.3.0-rc.0", "!1.3.0-rc.1"], "rc", { required: "minor" }, "1.3.0-rc.2"],
    [["1.2.0", "1.3.0-alpha.4"], "beta", { required: "minor" }, "1.3.0-beta.0"],
    [["1.2.0", "1.3.0-rc.0"], "rc", { required: "major" }, "2.0.0-rc.0"],
  ] as const)("existing %j on %s %o → %s", (vs, channel, opts, version) => {
    expect(planVersion({ existing: existing(...vs), prerelease: channel, ...opts }).version).toBe(version);
  });
  it("a channel behind an existing one on the same target breaks rule 3", () => {
    expect(() => planVersion({ existing: existing("1.2.0", "1.3.0-rc.0"), prerelease: "beta", required: "minor" })).toThrow(/rule 3/);
  });
  it.each(["1.3.0-dev.1", "1.3.0-rc", "1.3.0-rc.1.2", "1.3.0-gamma.0", "1.3.0-0"])("rejects prerelease shape %s naming rule 4", (v) => {
    expect(caught(ValidationError, () => planVersion({ existing: [], requested: v })).message).toMatch(/rule 4$/);
  });
  it("a requested version must be on the requested channel", () => {
    expect(() => planVersion({ existing: [], requested: "1.0.0-beta.1", prerelease: "rc" })).toThrow(/rc channel/);
  });
  it("promote makes the stable version of the same X.Y.Z", () => {
    expect(promote(existing("1.2.0", "1.3.0-rc.2"), "1.3.0-rc.2")).toBe("1.3.0");
    expect(promote(existing("1.3.0-beta.0"), "1.3.0-beta.0+b")).toBe("1.3.0");
  });
  it.each([
    [["1.3.0-rc.2", "1.3.0"], ConflictError, /already exists .* rule 5/],
    [["1.3.0-rc.2", "!1.3.0"], ConflictError, /was used before \(deleted versions are tombstones\) — rule 5/],
    [["1.2.0"], NotFoundError, /does not exist/],
    [["!1.3.0-rc.2"], NotFoundError, /was deleted/],
    [["1.3.0-rc.2", "1.3.1"], ValidationError, /rule 3/],
  ] as const)("promote with %j fails", (vs, type, text) => {
    expect(caught(type, () => promote(existing(...vs), "1.3.0-rc.2")).message).toMatch(text);
  });
  it("only a prerelease can be promoted", () => {
    expect(caught(ValidationError, () => promote(existing("1.3.0"), "1.3.0")).message).toMatch(/rule 4$/);
  });
});

describe("rule 5: a version string is never reused (tombstones)", () => {
  it.each([
    [["1.2.0"], "1.2.0", "version 1.2.0 already exists"],
    [["!1.2.0"], "1.2.0", "version 1.2.0 was used before (deleted versions are tombstones) — rule 5"],
    [["!1.2.0+a"], "1.2.0+b", "version 1.2.0 was used before"],
    [["1.2.0", "!1.3.0-rc.0"], "1.3.0-rc.0", "version 1.3.0-rc.0 was used before"],
  ])("existing %j, requested %s", (vs, v, text) => {
    expect(caught(ConflictError, () => planVersion({ existing: existing(...vs), requested: v })).message).toContain(text);
  });
  it("computed versions skip tombstones", () => {
    expect(planVersion({ existing: existing("1.2.0", "!1.3.0"), required: "minor" }).version).toBe("1.4.0");
    expect(planVersion({ existing: existing("!1.0.0") }).version).toBe("1.0.1");
  });
});

describe("rule 6: released versions are immutable except aliases, tags, description, deprecated", () => {
  it.each([{ description: "x" }, { tags: { a: "b" } }, { deprecated: true, deprecationReason: "old" }, { aliases: ["prod"] }, { signature: undefined }])(
    "allows %o",
    (u) => expect(() => checkVersionUpdate(u)).not.toThrow(),
  );
  it.each(["version", "contentDigest", "signature", "source", "runId", "datasets", "metrics"])("rejects an edit of %s naming rule 6", (k) => {
    const e = caught(ValidationError, () => checkVersionUpdate({ [k]: "x" }));
    expect(e.field).toBe(`update.${k}`);
    expect(e.message).toMatch(/rule 6$/);
  });
});

describe("rule 7: alias names; resolution of refs", () => {
  it.each(["champion", "prod", "challenger-2", "a_b", "v", "vx1", "x".repeat(255)])("accepts alias %s", (a) => expect(checkAliasName(a)).toBe(a));
  it.each(["latest", "LATEST", "Latest", "v1", "V12", "1", "12", "x", "X", "", "a b", "a.b", "a/b", "x".repeat(256), "1.2.3"])(
    "rejects alias %j naming rule 7",
    (a) => expect(caught(ValidationError, () => checkAliasName(a)).message).toMatch(/rule 7$/),
  );
  it.each(["churn", "team@churn", "Churn Model", "é"])("accepts model name %j", (n) => expect(checkModelName(n)).toBe(n));
  it.each(["", " ", " a", "a/b", "a%b", "a:b", "a\nb", "a\u0000", "x".repeat(257)])("rejects model name %j", (n) => {
    expect(() => checkModelName(n)).toThrow(ValidationError);
  });
  it.each([
    ["churn@^2", { name: "churn", ref: "^2" }],
    ["churn", { name: "churn", ref: "latest" }],
    ["team@churn@1.2.0", { name: "team@churn", ref: "1.2.0" }],
    ["churn@>=2 <3", { name: "churn", ref: ">=2 <3" }],
  ])("parseModelRef(%j)", (text, ref) => expect(parseModelRef(text)).toEqual(ref));
  it.each(["churn@", "@^2", "a/b@1"])("parseModelRef(%j) is rejected", (text) => expect(() => parseModelRef(text)).toThrow(ValidationError));

  const versions = [
    { version: "1.2.0" },
    { version: "1.2.5+build.1" },
    { version: "1.3.0", deprecated: true },
    { version: "1.4.0", deleted: true },
    { version: "2.0.0-rc.1" },
    { version: "2.0.0-rc.2", deprecated: true },
    { version: "0.9.0" },
  ];
  const aliases = { champion: "1.2.0", gone: "1.4.0", x: "0.9.0" };
  it.each([
    ["1.2.0", "1.2.0"],
    ["1.2.5", "1.2.5+build.1"],
    ["1.3.0", "1.3.0"],
    ["1.4.0", undefined],
    ["9.9.9", undefined],
    ["latest", "1.2.5+build.1"],
    ["LATEST", "1.2.5+build.1"],
    ["champion", "1.2.0"],
    ["gone", undefined],
    ["x", "0.9.0"],
    ["^1", "1.2.5+build.1"],
    ["~1.2.0", "1.2.5+build.1"],
    ["1.3", undefined],
    ["^1.3", undefined],
    [">=2 <3", undefined],
    [">=2.0.0-rc.0", "2.0.0-rc.1"],
    ["1.x", "1.2.5+build.1"],
    ["*", "1.2.5+build.1"],
    ["<1", "0.9.0"],
    ["v1", undefined],
    ["", undefined],
    ["nope", undefined],
  ])("resolveRef(%j) → %s", (ref, out) => expect(resolveRef(versions, aliases, ref)).toBe(out));
  it("latest falls back to the highest deprecated stable", () => {
    expect(resolveRef([{ version: "1.0.0", deprecated: true }, { version: "2.0.0-rc.0" }], {}, "latest")).toBe("1.0.0");
    expect(resolveRef([{ version: "2.0.0-rc.0" }], {}, "latest")).toBeUndefined();
  });
});

describe("rule 8: concurrent releases", () => {
  const conflict = (): never => {
    throw new ConflictError("version taken");
  };
  it.each([
    [true, 2, 2, "ok"],
    [true, 3, 3, "ok"],
    [true, 4, 3, "ConflictError"],
    [false, 1, 0, "ConflictError"],
    [false, 0, 0, "ok"],
  ] as const)("computed=%s, losing %d times → %d retries, %s", async (computed, losses, retries, outcome) => {
    let calls = 0;
    const run = releaseWithRetry(
      async (n) => {
        calls++;
        expect(n).toBe(calls - 1);
        return n < losses ? conflict() : "ok";
      },
      { computed },
    );
    if (outcome === "ok") await expect(run).resolves.toBe("ok");
    else await expect(run).rejects.toBeInstanceOf(ConflictError);
    expect(calls).toBe(retries + 1);
  });
  it("other errors are not retried", async () => {
    let calls = 0;
    await expect(
      releaseWithRetry(
        async () => {
          calls++;
          throw new ValidationError("x", 1, "bad");
        },
        { computed: true },
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(calls).toBe(1);
  });
});

describe("checkSignature", () => {
  it("returns a clean copy", () => {
    const sig = { inputs: [{ name: "a", dtype: "f", shape: [null, 3], optional: false }], outputs: [{ name: "p", dtype: "f", optional: true }], labels: ["x"] };
    expect(checkSignature(sig)).toEqual({
      inputs: [{ name: "a", dtype: "f", shape: [null, 3] }],
      outputs: [{ name: "p", dtype: "f", optional: true }],
      labels: ["x"],
    });
  });
  const ok = { name: "a", dtype: "f" };
  it.each([
    [null, "signature"],
    [{ inputs: [], outputs: {} }, "signature.outputs"],
    [{ inputs: [ok, ok, { name: "b" }], outputs: [] }, "signature.inputs[1].name"],
    [{ inputs: [ok, { name: "b", dtype: "f" }, { name: "c" }], outputs: [] }, "signature.inputs[2].dtype"],
    [{ inputs: [{ name: "", dtype: "f" }], outputs: [] }, "signature.inputs[0].name"],
    [{ inputs: [{ ...ok, shape: [-1] }], outputs: [] }, "signature.inputs[0].shape[0]"],
    [{ inputs: [{ ...ok, shape: "3" }], outputs: [] }, "signature.inputs[0].shape"],
    [{ inputs: [{ ...ok, optinal: true }], outputs: [] }, "signature.inputs[0].optinal"],
    [{ inputs: [{ ...ok, optional: "yes" }], outputs: [] }, "signature.inputs[0].optional"],
    [{ inputs: [], outputs: [ok, ok] }, "signature.outputs[1].name"],
    [{ inputs: [], outputs: [], labels: ["a", "a"] }, "signature.labels[1]"],
    [{ inputs: [], outputs: [], extra: 1 }, "signature.extra"],
  ])("rejects %j at %s", (value, field) => expect(caught(ValidationError, () => checkSignature(value)).field).toBe(field));
});

import { describe, expect, it } from "vitest";
import { DEFAULT_RUN_NAME_TEMPLATE, checkNamePolicy, renderName, validateTemplate } from "../../src/capture/naming.js";
import { randomPair } from "../../src/capture/random-names.js";
import { validationErrorOf } from "../support/errors.js";

const date = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));

const caught = validationErrorOf;

describe("renderName", () => {
  it("renders dates and times in UTC from the injected date", () => {
    expect(renderName("{date}_{time}|{datetime}", { date })).toBe("20250102_030405|20250102-030405");
    const lateUtc = new Date(Date.UTC(2024, 11, 31, 23, 59, 59));
    expect(renderName("{date}", { date: lateUtc })).toBe("20241231");
  });

  it("renders every placeholder", () => {
    const name = renderName("{experiment}/{seq}/{user}/{branch}/{commit}/{id}", {
      experiment: "churn",
      seq: 12,
      user: "alice",
      branch: "main",
      commit: "3f1c9e0a7b2d4c6e8f00112233445566778899aa",
      runId: "0192f3a4-5b6c-7d8e-9f00-112233445566",
      date,
    });
    expect(name).toBe("churn/12/alice/main/3f1c9e0/0192f3a4");
  });

  it("makes {random} a deterministic adjective-noun pair", () => {
    const a = renderName("{random}", { seed: 42 });
    expect(a).toMatch(/^[a-z]+-[a-z]+$/);
    expect(renderName("{random}", { seed: 42 })).toBe(a);
    expect(randomPair(42)).toBe(a);
    const distinct = new Set(Array.from({ length: 100 }, (_, i) => randomPair(i)));
    expect(distinct.size).toBeGreaterThan(80);
    expect(randomPair(2 ** 40 + 1)).not.toBe(randomPair(1));
  });

  it("has a readable default template", () => {
    expect(DEFAULT_RUN_NAME_TEMPLATE).toBe("{random}-{seq}");
    expect(renderName(DEFAULT_RUN_NAME_TEMPLATE, { seq: 3, seed: 7 })).toMatch(/^[a-z]+-[a-z]+-3$/);
  });

  it("treats {{ and }} as literal braces", () => {
    expect(renderName("{{seq}}-{seq}", { seq: 1 })).toBe("{seq}-1");
    expect(renderName("a}}b{{c", {})).toBe("a}b{c");
  });

  it("drops an absent value together with one neighbouring separator", () => {
    expect(renderName("{experiment}-{branch}-{seq}", { experiment: "churn", seq: 3 })).toBe("churn-3");
    expect(renderName("{branch}-{commit}-{seq}", { seq: 3 })).toBe("3");
    expect(renderName("{experiment}-{branch}", { experiment: "churn" })).toBe("churn");
    expect(renderName("run{branch}x", {})).toBe("runx");
    expect(renderName("{seq}", { seq: 0 })).toBe("0");
  });
});

describe("validateTemplate", () => {
  it("accepts valid templates", () => {
    expect(() => validateTemplate("{experiment}-{date}-{seq}")).not.toThrow();
    expect(() => validateTemplate("fixed-name")).not.toThrow();
  });

  it("names an unknown placeholder", () => {
    const e = caught(() => validateTemplate("{experiment}-{exp}"));
    expect(e.field).toBe("name template");
    expect(e.rule).toContain("unknown placeholder {exp}");
    expect(e.message).toContain("{exp}");
    expect(caught(() => renderName("{Seq}", { seq: 1 })).rule).toContain("{Seq}");
  });

  it("rejects unmatched braces and empty templates", () => {
    expect(caught(() => validateTemplate("run-{seq")).rule).toMatch(/unclosed "\{"/);
    expect(caught(() => validateTemplate("run}")).rule).toMatch(/unmatched "\}"/);
    expect(caught(() => validateTemplate("")).rule).toBe("must be a non-empty string");
  });
});

describe("checkNamePolicy", () => {
  it("passes matching names and any name without a policy", () => {
    expect(() => checkNamePolicy("model", "churn-clf", /^[a-z][a-z0-9-]*$/)).not.toThrow();
    expect(() => checkNamePolicy("run", "Anything Goes", undefined)).not.toThrow();
  });

  it("throws a ValidationError naming the kind and the policy", () => {
    const e = caught(() => checkNamePolicy("run", "Baseline", /^[a-z-]+$/));
    expect(e.field).toBe("run name");
    expect(e.rule).toBe("must match /^[a-z-]+$/ (namePolicy.run)");
    expect(e.message).toContain('"Baseline"');
    expect(caught(() => checkNamePolicy("experiment", "x y", /^\S+$/)).rule).toBe("must match /^\\S+$/ (namePolicy.experiment)");
  });

  it("gives the same answer on every call with a global regex", () => {
    const policy = /^[a-z]+$/g;
    for (let i = 0; i < 3; i++) expect(() => checkNamePolicy("model", "abc", policy)).not.toThrow();
    expect(policy.lastIndex).toBe(0);
  });
});

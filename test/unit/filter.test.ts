import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RunRecord, RunStatus } from "../../src/model/types.js";
import { matchesRunFilter, parseRunFilter, SEARCH_MAX_RESULTS_DEFAULT, searchRunRecords } from "../../src/store/filter.js";
import { compareRuns, parseOrderBy, sortRunRecords } from "../../src/store/order.js";
import { validationErrorOf } from "../support/errors.js";

interface RunSpec {
  id: string;
  name?: string;
  status?: RunStatus;
  start?: number;
  end?: number;
  metrics?: Record<string, number>;
  params?: Record<string, string>;
  tags?: Record<string, string>;
}

function run(spec: RunSpec): RunRecord {
  return {
    info: {
      runId: spec.id,
      experimentId: "0",
      name: spec.name ?? `name-${spec.id}`,
      status: spec.status ?? "FINISHED",
      startTime: spec.start ?? 1000,
      ...(spec.end === undefined ? {} : { endTime: spec.end }),
    },
    data: { metrics: spec.metrics ?? {}, params: spec.params ?? {}, tags: spec.tags ?? {} },
  };
}

const RUNS: readonly RunRecord[] = [
  run({
    id: "r1",
    name: "baseline",
    start: 100,
    end: 200,
    metrics: { acc: 0.9, "val-loss": 0.2 },
    params: { lr: "0.01", opt: "adam" },
    tags: { team: "growth", "a b": "x y", "mlflow.runName": "baseline" },
  }),
  run({
    id: "r2",
    name: "Tuned",
    status: "FAILED",
    start: 300,
    metrics: { acc: 0.7, loss: Number.NaN },
    params: { lr: "0.1", opt: "sgd" },
    tags: { team: "Growth-2" },
  }),
  run({ id: "r3", name: "tiny_100%", status: "RUNNING", start: 200, metrics: {}, params: { opt: "Adam" } }),
];

function ids(filter: string): string[] {
  const f = parseRunFilter(filter);
  return RUNS.filter((r) => matchesRunFilter(f, r)).map((r) => r.info.runId);
}

const errorOf = validationErrorOf;

describe("parseRunFilter / matchesRunFilter", () => {
  it.each<[string, string[]]>([
    ["", ["r1", "r2", "r3"]],
    ["   ", ["r1", "r2", "r3"]],
    // metrics: every numeric comparator; a missing metric never matches, not even !=
    ["metrics.acc = 0.9", ["r1"]],
    ["metrics.acc != 0.9", ["r2"]],
    ["metrics.acc > 0.7", ["r1"]],
    ["metrics.acc >= 0.7", ["r1", "r2"]],
    ["metrics.acc < 0.9", ["r2"]],
    ["metrics.acc <= 0.9", ["r1", "r2"]],
    ["metric.acc>=.7", ["r1", "r2"]],
    ["metrics.acc > -1e3", ["r1", "r2"]],
    ["metrics.acc IS NULL", ["r3"]],
    ["metrics.acc is not null", ["r1", "r2"]],
    // NaN matches only !=
    ["metrics.loss = 0", []],
    ["metrics.loss > -1", []],
    ["metrics.loss != 0", ["r2"]],
    // quoted keys
    ["metrics.`val-loss` < 0.5", ["r1"]],
    ['metrics."val-loss" < 0.5', ["r1"]],
    ["tags.`a b` = 'x y'", ["r1"]],
    ['tags."a b" = "x y"', ["r1"]],
    // params and tags
    ["params.opt = 'adam'", ["r1"]],
    ['params.opt = "adam"', ["r1"]],
    ["params.opt != 'adam'", ["r2", "r3"]],
    ["params.lr != '0.01'", ["r2"]],
    ["params.opt LIKE 'a%'", ["r1"]],
    ["params.opt like '_dam'", ["r1", "r3"]],
    ["params.opt LIKE 'A%'", ["r3"]],
    ["params.opt ILIKE 'A%'", ["r1", "r3"]],
    ["param.opt ILIKE '%D%'", ["r1", "r2", "r3"]],
    ["params.lr IS NULL", ["r3"]],
    ["parameters.lr IS NOT NULL", ["r1", "r2"]],
    ["tags.team LIKE 'growth%'", ["r1"]],
    ["tags.team ILIKE 'growth%'", ["r1", "r2"]],
    ["tags.team LIKE 'Growth-_'", ["r2"]],
    ["tags.team LIKE 'Growth.2'", []],
    ["tags.team IS NULL", ["r3"]],
    ["tag.team != 'growth'", ["r2"]],
    // run name: attribute, aliases, and tags.mlflow.runName falling back to the name
    ["attributes.run_name = 'Tuned'", ["r2"]],
    ["run_name ILIKE 'tuned'", ["r2"]],
    ["attributes.`Run name` = 'baseline'", ["r1"]],
    ["attributes.run_name LIKE '%100\\%'", []],
    ["attributes.run_name LIKE 'tiny_100%'", ["r3"]],
    ["tags.mlflow.runName = 'Tuned'", ["r2"]],
    ["tags.mlflow.runName LIKE 'base%'", ["r1"]],
    // status, run_id
    ["attributes.status = 'FINISHED'", ["r1"]],
    ["status != 'FINISHED'", ["r2", "r3"]],
    ["attribute.status LIKE 'F%'", ["r1", "r2"]],
    ["run.run_id = 'r2'", ["r2"]],
    ["attributes.run_id IN ('r1', 'r3')", ["r1", "r3"]],
    ["attributes.run_id IN ('r2')", ["r2"]],
    ["attributes.run_id NOT IN ('r1','r3')", ["r2"]],
    ['attr.run_id not   in ("r1")', ["r2", "r3"]],
    // numeric attributes; a run with no end_time never matches
    ["attributes.start_time > 150", ["r2", "r3"]],
    ["start_time = 200", ["r3"]],
    ["created >= 300", ["r2"]],
    ["attributes.Created < 300", ["r1", "r3"]],
    ["attributes.end_time < 1000", ["r1"]],
    ["attributes.end_time != 1", ["r1"]],
    // AND, case-insensitive, any spacing
    ["metrics.acc > 0.5 and params.opt = 'sgd'", ["r2"]],
    ["metrics.acc > 0.5 AND params.opt = 'sgd' AnD tags.team ILIKE 'g%'", ["r2"]],
    ["metrics.acc>0.5\nand\tstatus='FINISHED'", ["r1"]],
  ])("%s", (filter, expected) => {
    expect(ids(filter)).toEqual(expected);
  });

  it("exposes parsed clauses", () => {
    const f = parseRunFilter("metrics.`val-loss` <= 1 and attributes.run_id IN ('a','b') and created > 5");
    expect(f.clauses).toEqual([
      { entity: "metric", key: "val-loss", comparator: "<=", value: 1, position: 0 },
      { entity: "attribute", key: "run_id", comparator: "IN", value: ["a", "b"], position: 28 },
      { entity: "attribute", key: "start_time", comparator: ">", value: 5, position: 63 },
    ]);
    expect(Object.isFrozen(f)).toBe(true);
  });

  it("treats LIKE patterns literally apart from % and _", () => {
    const r = run({ id: "x", params: { p: "a.b(c)*" } });
    expect(matchesRunFilter(parseRunFilter("params.p LIKE 'a.b(c)*'"), r)).toBe(true);
    expect(matchesRunFilter(parseRunFilter("params.p LIKE 'a_b(c)_'"), r)).toBe(true);
    expect(matchesRunFilter(parseRunFilter("params.p LIKE 'aXb(c)*'"), r)).toBe(false);
  });

  it("does not read prototype properties as keys", () => {
    expect(ids("params.constructor IS NULL")).toEqual(["r1", "r2", "r3"]);
    expect(ids("tags.toString != 'x'")).toEqual([]);
  });

  it.each<[string, number, RegExp]>([
    ["foo.bar = 'x'", 0, /unknown prefix "foo"/],
    ["Metrics.acc > 1", 0, /unknown prefix "Metrics"/],
    ["datasets.name = 'x'", 0, /dataset filters are not supported/],
    ["acc > 1", 0, /unknown attribute "acc"; did you mean metrics\.acc/],
    ["attributes.flavor = 'x'", 11, /unknown attribute "flavor"/],
    ["attributes.user_id = 'x'", 11, /not recorded by the local store/],
    ["metrics.a > 1 or metrics.b > 1", 14, /no OR/],
    ["metrics.a > 1 OR metrics.b > 1", 14, /no OR/],
    ["metrics.a > 1 || metrics.b > 1", 14, /no OR/],
    ["metrics.a > 1 metrics.b > 1", 14, /expected AND or the end/],
    ["metrics.a > 1 and", 14, /expected a clause after AND/],
    ["metrics.a > 1 and ", 14, /expected a clause after AND/],
    ["(metrics.a > 1)", 0, /parentheses are not supported/],
    ["params.opt = 'adam", 13, /unterminated string starting at position 13/],
    ['tags.team = "growth', 12, /unterminated string/],
    ["tags.`a b = 'x'", 5, /unterminated quoted name/],
    ["params.opt = 'it''s'", 16, /doubled quotes/],
    ["params.lr > '0.1'", 10, /params\.lr supports only =, !=, LIKE, ILIKE, IS NULL, IS NOT NULL/],
    ["metrics.acc LIKE '0.9%'", 12, /metrics\.acc supports only =, !=, >, >=, <, <=/],
    ["attributes.status > 'A'", 18, /attributes\.status supports only =, !=, LIKE, ILIKE/],
    ["attributes.status IN ('A')", 18, /attributes\.status supports only/],
    ["attributes.start_time LIKE '1%'", 22, /attributes\.start_time supports only/],
    ["attributes.status IS NULL", 18, /supports only/],
    ["metrics.acc > '0.9'", 14, /compares with a number, without quotes/],
    ["params.lr = 0.1", 12, /compares with a quoted string: params\.lr = '0\.1'/],
    ["status = FINISHED", 9, /expected a quoted string: attributes\.status = 'FINISHED'/],
    ["metrics.acc > abc", 14, /expected a number/],
    ["metrics.acc > 0.9x", 14, /expected a number/],
    ["start_time > 1.5", 13, /integer number of milliseconds/],
    ["metrics.acc >", 13, /expected a value after >/],
    ["metrics.acc", 11, /expected a comparator after metrics\.acc/],
    ["metrics.acc ~ 1", 12, /expected a comparator/],
    ["metrics.acc <> 1", 12, /use != instead of <>/],
    ["metrics.acc == 1", 12, /use = instead of ==/],
    ["params.a NOT LIKE 'x'", 9, /only supported in NOT IN/],
    ["params.a IS 'x'", 9, /expected IS NULL or IS NOT NULL/],
    ["run_id IN 'a'", 10, /IN takes a parenthesised list/],
    ["run_id IN ()", 11, /expected a list of quoted strings/],
    ["run_id IN ('a',)", 15, /expected a list of quoted strings/],
    ["run_id IN ('a' 'b')", 15, /close it with \)/],
    ["run_id = ('a')", 9, /a list needs IN or NOT IN/],
    ["metrics.val-loss > 1", 8, /must be quoted: metrics\.`val-loss`/],
    ["metrics. > 1", 8, /expected a key after "metrics\."/],
    ["metrics.`` > 1", 8, /quoted key is empty/],
    ["= 1", 0, /expected a field/],
  ])("rejects %s at position %i", (filter, position, rule) => {
    const e = errorOf(() => parseRunFilter(filter));
    expect(e.field).toBe("filter");
    expect(e.rule).toMatch(rule);
    expect(e.rule).toContain(`(at position ${position})`);
    expect(e.message.startsWith("filter: ")).toBe(true);
  });

  it("names the offending text", () => {
    const e = errorOf(() => parseRunFilter("metrics.a > 1 or metrics.b > 1"));
    expect(e.message).toMatch(/^filter: "or" is not valid: MLflow filters have no OR/);
  });

  it("rejects a non-string filter", () => {
    expect(errorOf(() => parseRunFilter(42 as unknown as string)).field).toBe("filter");
  });

  it("partitions runs having metric a between `a > x` and `a <= x`", () => {
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
    const value = fc.oneof(fc.double({ noNaN: true }), fc.constant(undefined));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 20 }), finite, (values, x) => {
        const runs = values.map((v, i) => run({ id: `r${i}`, metrics: v === undefined ? {} : { a: v } }));
        const literal = String(x);
        const gt = parseRunFilter(`metrics.a > ${literal}`);
        const le = parseRunFilter(`metrics.a <= ${literal}`);
        for (const r of runs) {
          const has = r.data.metrics.a !== undefined;
          const inGt = matchesRunFilter(gt, r);
          const inLe = matchesRunFilter(le, r);
          if (has ? inGt === inLe : inGt || inLe) return false;
          if (has && inGt !== (r.data.metrics.a ?? 0) > x) return false;
        }
        return true;
      }),
    );
  });

  it("round-trips any backtick-quoted key", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !s.includes("`")),
        (key) => {
          const f = parseRunFilter(`tags.\`${key}\` = 'v'`);
          return f.clauses[0]?.key === key && matchesRunFilter(f, run({ id: "x", tags: { [key]: "v" } }));
        },
      ),
    );
  });
});

describe("parseOrderBy / compareRuns", () => {
  const a = run({ id: "a", start: 10, metrics: { m: 2 }, params: { p: "b" } });
  const b = run({ id: "b", start: 30, metrics: { m: Number.NaN }, params: { p: "a" } });
  const c = run({ id: "c", start: 20, metrics: {} });
  const d = run({ id: "d", start: 20, metrics: { m: 5 }, params: { p: "c" }, end: 50 });
  const e = run({ id: "e", start: 20, metrics: { m: -1 } });
  const all = [a, b, c, d, e];
  const sorted = (order: string[]): string[] => sortRunRecords(all, parseOrderBy(order)).map((r) => r.info.runId);

  it.each<[string[], string[]]>([
    [[], ["b", "c", "d", "e", "a"]],
    [["metrics.m"], ["e", "a", "d", "b", "c"]],
    [["metrics.m ASC"], ["e", "a", "d", "b", "c"]],
    [["metrics.m DESC"], ["d", "a", "e", "b", "c"]],
    [["metrics.m desc"], ["d", "a", "e", "b", "c"]],
    [["params.p"], ["b", "a", "d", "c", "e"]],
    [["params.p DESC"], ["d", "a", "b", "c", "e"]],
    [["attributes.start_time"], ["a", "c", "d", "e", "b"]],
    [["start_time DESC"], ["b", "c", "d", "e", "a"]],
    [["created"], ["a", "c", "d", "e", "b"]],
    [["attributes.end_time DESC"], ["d", "b", "c", "e", "a"]],
    [["run_id DESC"], ["e", "d", "c", "b", "a"]],
    [["attributes.run_name"], ["a", "b", "c", "d", "e"]],
    [
      ["params.p DESC", "metrics.m DESC"],
      ["d", "a", "b", "e", "c"],
    ],
    [["  metrics.`m`   DESC  "], ["d", "a", "e", "b", "c"]],
  ])("orders by %j", (order, expected) => {
    expect(sorted(order)).toEqual(expected);
  });

  it("compareRuns agrees with sortRunRecords", () => {
    const order = parseOrderBy(["params.p DESC", "metrics.m"]);
    const viaCompare = [...all].sort((x, y) => compareRuns(order, x, y)).map((r) => r.info.runId);
    expect(viaCompare).toEqual(sortRunRecords(all, order).map((r) => r.info.runId));
  });

  it("orders strings by code point", () => {
    const runs = [run({ id: "1", params: { p: "\u{1F600}" } }), run({ id: "2", params: { p: "\uFF01" } })];
    expect(sortRunRecords(runs, parseOrderBy(["params.p"])).map((r) => r.info.runId)).toEqual(["2", "1"]);
  });

  it.each<[string, RegExp]>([
    ["", /the clause is empty/],
    ["metrics.m UP", /expected ASC or DESC/],
    ["metrics.m DESC extra", /unexpected text after DESC/],
    ["foo.m", /unknown prefix/],
    ["metrics.`m DESC", /unterminated quoted name/],
    ["attributes.user_id", /not recorded/],
  ])("rejects %j", (clause, rule) => {
    const e = errorOf(() => parseOrderBy(["metrics.m", clause]));
    expect(e.field).toBe("orderBy[1]");
    expect(e.rule).toMatch(rule);
    expect(e.rule).toMatch(/\(at position \d+\)/);
  });

  it("sorts present metrics in direction, then NaN, then missing (property)", () => {
    const value = fc.oneof(fc.double(), fc.constant(undefined));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 30 }), fc.boolean(), (values, asc) => {
        const runs = values.map((v, i) => run({ id: `r${i}`, start: i % 3, metrics: v === undefined ? {} : { m: v } }));
        const out = sortRunRecords(runs, parseOrderBy([`metrics.m ${asc ? "ASC" : "DESC"}`]));
        const rank = (r: RunRecord): number => {
          const v = r.data.metrics.m;
          return v === undefined ? 2 : Number.isNaN(v) ? 1 : 0;
        };
        for (let i = 1; i < out.length; i++) {
          const prev = out[i - 1];
          const cur = out[i];
          if (prev === undefined || cur === undefined) return false;
          if (rank(prev) > rank(cur)) return false;
          if (rank(prev) === 0 && rank(cur) === 0) {
            const [x, y] = [prev.data.metrics.m ?? 0, cur.data.metrics.m ?? 0];
            if (asc ? x > y : x < y) return false;
          }
        }
        return out.length === runs.length && new Set(out).size === runs.length;
      }),
    );
  });
});

describe("searchRunRecords", () => {
  it("filters, orders and truncates", () => {
    const out = searchRunRecords(RUNS, { filter: "params.opt ILIKE 'a%'", orderBy: ["attributes.start_time DESC"], maxResults: 1 });
    expect(out.map((r) => r.info.runId)).toEqual(["r3"]);
  });

  it("defaults to every run, start_time DESC, at most 1000", () => {
    expect(searchRunRecords(RUNS).map((r) => r.info.runId)).toEqual(["r2", "r3", "r1"]);
    const many = Array.from({ length: 1200 }, (_, i) => run({ id: `r${i}`, start: i }));
    expect(searchRunRecords(many, { filter: undefined })).toHaveLength(SEARCH_MAX_RESULTS_DEFAULT);
  });

  it("accepts a generator", () => {
    function* gen(): Generator<RunRecord> {
      yield* RUNS;
    }
    expect(searchRunRecords(gen(), { filter: "metrics.acc > 0" })).toHaveLength(2);
  });

  it.each([0, -1, 1.5, 50_001, Number.NaN])("rejects maxResults %d", (maxResults) => {
    const e = errorOf(() => searchRunRecords([], { maxResults }));
    expect(e.field).toBe("maxResults");
    expect(e.rule).toMatch(/integer from 1 to 50000/);
  });

  it("validates filter and order even with no runs", () => {
    expect(errorOf(() => searchRunRecords([], { filter: "x.y = 1" })).field).toBe("filter");
    expect(errorOf(() => searchRunRecords([], { orderBy: ["metrics.a sideways"] })).field).toBe("orderBy[0]");
  });

  it("accepts maxResults 50000", () => {
    expect(searchRunRecords(RUNS, { maxResults: 50_000 })).toHaveLength(3);
  });
});

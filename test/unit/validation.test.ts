/**
 * Validation of every logging call, startRun and Tracker options: each bad input is a
 * ValidationError naming the field, quoting the (shortened) value and stating the rule, and
 * nothing reaches the store.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ConflictError, StateError, ValidationError } from "../../src/errors.js";
import { readJournal } from "../../src/log/segments.js";
import { resolveOptions } from "../../src/options.js";
import type { Run } from "../../src/run.js";
import { RunPaths, StoreLayout } from "../../src/store/layout.js";
import { Tracker } from "../../src/tracker.js";

let tmp: string;
let tracker: Tracker;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-validation-"));
  tracker = new Tracker({ trackingUri: tmp, captureContext: false, handleExit: false });
});

afterAll(async () => {
  await tracker.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

function journalDir(root: string, run: Run): string {
  return new RunPaths(new StoreLayout(root).runDir(run.experimentId, run.id)).journal;
}

async function recordCount(run: Run): Promise<number> {
  await run.flush();
  return (await readJournal(journalDir(tmp, run))).records.length;
}

/** Calls `fn`, which must throw synchronously, and returns the error. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a ValidationError, but nothing was thrown");
}

async function rejected(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a ValidationError, but the promise resolved");
}

/** The error is a ValidationError naming `field`, quoting `shown` and stating `rule`. */
type DetailedError = ValidationError | ConflictError | StateError;
type DetailedErrorClass = typeof ValidationError | typeof ConflictError | typeof StateError;

function expectValidation(err: unknown, field: string, shown: string, rule: string | RegExp, cls: DetailedErrorClass = ValidationError): void {
  expect(err).toBeInstanceOf(cls);
  const e = err as DetailedError;
  expect(e.field).toBe(field);
  expect(e.message).toContain(field);
  expect(e.message).toContain(shown);
  expect(e.message).toContain(e.rule ?? "no rule");
  if (typeof rule === "string") expect(e.rule).toContain(rule);
  else expect(e.rule).toMatch(rule);
  expect(e.message.length).toBeLessThan(400);
}

const LONG_KEY = "k".repeat(251);
const HUGE_PARAM = "p".repeat(6001);
const HUGE_TAG = "t".repeat(8001);
const SYM = Symbol("sym");

/** JSON-quoted as an error message shows a string (shortened past 60 characters). */
function q(s: string): string {
  return s.length > 60 ? `${JSON.stringify(`${s.slice(0, 60)}…`)} (${s.length} chars)` : JSON.stringify(s);
}

const NOT_A_STRING: readonly [string, unknown, string][] = [
  ["undefined", undefined, "undefined"],
  ["null", null, "null"],
  ["a number", 5, "5"],
  ["an object", { a: 1 }, "an object"],
  ["an array", ["a", "b"], "an array of 2"],
  ["a bigint", 10n, "10"],
  ["a symbol", SYM, "Symbol(sym)"],
  ["a function", () => "k", "a function"],
];

const BAD_KEYS: readonly [string, string, string][] = [
  ["empty", "", "must not be empty"],
  ["double slash", "a//b", "normalised relative path"],
  ["leading slash", "/a", "normalised relative path"],
  ["trailing slash", "a/", "normalised relative path"],
  ["dot segment", "./a", "normalised relative path"],
  ["dot-dot segment", "a/../b", "normalised relative path"],
  ["dot-dot", "..", "normalised relative path"],
  ["NUL", "a\u0000b", "may contain only"],
  ["emoji", "loss😀", "may contain only"],
  ["asterisk", "a*b", "may contain only"],
  ["backslash", "a\\b", "may contain only"],
  ["newline", "a\nb", "may contain only"],
  ["251 characters", LONG_KEY, "at most 250 characters (has 251)"],
];

const NOT_A_VALUE: readonly [string, unknown, string][] = [
  ["undefined", undefined, "undefined"],
  ["null", null, "null"],
  ["an object", { v: 1 }, "an object"],
  ["an array", [1], "an array of 1"],
  ["a bigint", 7n, "7"],
  ["a symbol", SYM, "Symbol(sym)"],
  ["a function", () => 1, "a function"],
];

const NOT_A_METRIC: readonly [string, unknown, string][] = [
  ...NOT_A_VALUE,
  ["a numeric string", "0.5", '"0.5"'],
  ["the string NaN", "NaN", '"NaN"'],
  ["a boolean", true, "true"],
];

const NOT_A_RECORD: readonly [string, unknown, string][] = [
  ["undefined", undefined, "undefined"],
  ["null", null, "null"],
  ["an array", [["a", 1]], "an array of 1"],
  ["a string", "a=1", '"a=1"'],
  ["a number", 3, "3"],
  ["a Map", new Map([["a", 1]]), "an object"],
  [
    "a class instance",
    new (class P {
      a = 1;
    })(),
    "an object",
  ],
];

const BAD_STEPS: readonly [string, unknown, string][] = [
  ["a float", 1.5, "1.5"],
  ["NaN", Number.NaN, "NaN"],
  ["Infinity", Number.POSITIVE_INFINITY, "Infinity"],
  ["an unsafe integer", 2 ** 53, String(2 ** 53)],
  ["a numeric string", "3", '"3"'],
  ["null", null, "null"],
  ["a bigint", 3n, "3"],
];

const BAD_TIMESTAMPS: readonly [string, unknown, string][] = [
  ["negative", -1, "-1"],
  ["a float", 1_764_170_000_000.5, "1764170000000.5"],
  ["NaN", Number.NaN, "NaN"],
  ["an unsafe integer", 2 ** 53, String(2 ** 53)],
  ["a numeric string", "1764170000000", '"1764170000000"'],
  ["a Date", new Date(0), "an object"],
];

interface Case {
  readonly name: string;
  readonly call: (run: Run) => void;
  readonly field: string | ((run: Run) => string);
  readonly shown: string | ((run: Run) => string);
  readonly rule: string | RegExp;
  /** A metric key that must have no history afterwards. */
  readonly metricKey?: string;
  /** The error class expected (default ValidationError). */
  readonly cls?: DetailedErrorClass;
}

const cases: Case[] = [];
const any = (v: unknown): never => v as never;

for (const [name, key, shown] of NOT_A_STRING) {
  cases.push({ name: `logParam key ${name}`, call: (r) => r.logParam(any(key), "v"), field: "param key", shown, rule: "must be a string" });
  cases.push({ name: `logMetric key ${name}`, call: (r) => r.logMetric(any(key), 1), field: "metric key", shown, rule: "must be a string" });
  cases.push({ name: `setTag key ${name}`, call: (r) => r.setTag(any(key), "v"), field: "tag key", shown, rule: "must be a string" });
}
for (const [name, key, rule] of BAD_KEYS) {
  cases.push({ name: `logParam key ${name}`, call: (r) => r.logParam(key, "v"), field: "param key", shown: q(key), rule });
  cases.push({ name: `logParams key ${name}`, call: (r) => r.logParams({ ok_p: 1, [key]: "v" }), field: "param key", shown: q(key), rule });
  cases.push({ name: `logMetric key ${name}`, call: (r) => r.logMetric(key, 1), field: "metric key", shown: q(key), rule, metricKey: key });
  cases.push({ name: `logMetrics key ${name}`, call: (r) => r.logMetrics({ ok_m: 1, [key]: 2 }), field: "metric key", shown: q(key), rule, metricKey: "ok_m" });
  cases.push({ name: `setTag key ${name}`, call: (r) => r.setTag(key, "v"), field: "tag key", shown: q(key), rule });
  cases.push({ name: `setTags key ${name}`, call: (r) => r.setTags({ ok_t: "v", [key]: "v" }), field: "tag key", shown: q(key), rule });
}
for (const [name, value, shown] of NOT_A_VALUE) {
  const rule = "must be a string, number or boolean";
  cases.push({ name: `logParam value ${name}`, call: (r) => r.logParam("p", any(value)), field: 'param "p" value', shown, rule });
  // Objects and arrays are nested params in logParams (flattened; see nested-params.test.ts).
  if (typeof value !== "object" || value === null) {
    cases.push({ name: `logParams value ${name}`, call: (r) => r.logParams({ ok_p: 1, p: any(value) }), field: 'param "p" value', shown, rule });
  }
  cases.push({ name: `setTag value ${name}`, call: (r) => r.setTag("t", any(value)), field: 'tag "t" value', shown, rule });
  cases.push({ name: `setTags value ${name}`, call: (r) => r.setTags({ ok_t: "v", t: any(value) }), field: 'tag "t" value', shown, rule });
}
for (const [name, value, shown] of NOT_A_METRIC) {
  const rule = "must be a number";
  cases.push({
    name: `logMetric value ${name}`,
    call: (r) => r.logMetric("m", any(value), { step: 1 }),
    field: 'metric "m" value',
    shown,
    rule,
    metricKey: "m",
  });
  cases.push({
    name: `logMetrics value ${name}`,
    call: (r) => r.logMetrics({ ok_m: 1, m: any(value) }),
    field: 'metric "m" value',
    shown,
    rule,
    metricKey: "ok_m",
  });
}
for (const [name, value, shown] of NOT_A_RECORD) {
  const rule = "plain object";
  cases.push({ name: `logParams ${name}`, call: (r) => r.logParams(any(value)), field: "params", shown, rule });
  cases.push({ name: `logMetrics ${name}`, call: (r) => r.logMetrics(any(value)), field: "metrics", shown, rule });
  cases.push({ name: `setTags ${name}`, call: (r) => r.setTags(any(value)), field: "tags", shown, rule });
}
for (const [name, step, shown] of BAD_STEPS) {
  cases.push({
    name: `logMetric step ${name}`,
    call: (r) => r.logMetric("m", 1, { step: any(step) }),
    field: 'metric "m" step',
    shown,
    rule: "must be an integer",
    metricKey: "m",
  });
  cases.push({
    name: `logMetrics step ${name}`,
    call: (r) => r.logMetrics({ m: 1, m2: 2 }, { step: any(step) }),
    field: 'metric "m" step',
    shown,
    rule: "must be an integer",
    metricKey: "m2",
  });
}
for (const [name, ts, shown] of BAD_TIMESTAMPS) {
  const rule = "non-negative integer";
  cases.push({
    name: `logMetric timestamp ${name}`,
    call: (r) => r.logMetric("m", 1, { timestamp: any(ts) }),
    field: 'metric "m" timestamp',
    shown,
    rule,
    metricKey: "m",
  });
  cases.push({
    name: `logMetrics timestamp ${name}`,
    call: (r) => r.logMetrics({ m: 1 }, { timestamp: any(ts) }),
    field: 'metric "m" timestamp',
    shown,
    rule,
    metricKey: "m",
  });
}
cases.push(
  {
    name: "logParam value of 6001 characters",
    call: (r) => r.logParam("p", HUGE_PARAM),
    field: 'param "p" value',
    shown: q(HUGE_PARAM),
    rule: "at most 6000 characters (has 6001)",
  },
  {
    name: "logParams value of 6001 characters",
    call: (r) => r.logParams({ ok_p: "x", p: HUGE_PARAM }),
    field: 'param "p" value',
    shown: q(HUGE_PARAM),
    rule: "at most 6000 characters",
  },
  {
    name: "setTag value of 8001 characters",
    call: (r) => r.setTag("t", HUGE_TAG),
    field: 'tag "t" value',
    shown: q(HUGE_TAG),
    rule: "at most 8000 characters (has 8001)",
  },
  {
    name: "setTags value of 8001 characters",
    call: (r) => r.setTags({ ok_t: "x", t: HUGE_TAG }),
    field: 'tag "t" value',
    shown: q(HUGE_TAG),
    rule: "at most 8000 characters",
  },
  {
    name: "logParam re-logged with a different value",
    call: (r) => r.logParam("good_p", "2"),
    field: 'param "good_p" value',
    shown: '"2"',
    rule: "params are immutable",
    cls: ConflictError,
  },
  {
    name: "logParam re-logged with a different type and value",
    call: (r) => r.logParam("good_p", true),
    field: 'param "good_p" value',
    shown: '"true"',
    rule: "params are immutable",
    cls: ConflictError,
  },
  {
    name: "logParams re-logging one param with a different value",
    call: (r) => r.logParams({ ok_p: "1", good_p: 3 }),
    field: 'param "good_p" value',
    shown: '"3"',
    rule: "params are immutable",
    cls: ConflictError,
  },
  {
    name: "tracker.logParam re-logged via { runId }",
    call: (r) => tracker.logParam("good_p", "x", { runId: r.id }),
    field: 'param "good_p" value',
    shown: '"x"',
    rule: "params are immutable",
    cls: ConflictError,
  },
  {
    name: "tracker.logMetric bad value via { runId }",
    call: (r) => tracker.logMetric("m", any("1"), { runId: r.id }),
    field: 'metric "m" value',
    shown: '"1"',
    rule: "must be a number",
    metricKey: "m",
  },
  {
    name: "tracker.logMetrics bad step via { runId }",
    call: (r) => tracker.logMetrics({ m: 1 }, { runId: r.id, step: 0.5 }),
    field: 'metric "m" step',
    shown: "0.5",
    rule: "must be an integer",
    metricKey: "m",
  },
  {
    name: "tracker.setTag bad key via { runId }",
    call: (r) => tracker.setTag("a//b", "v", { runId: r.id }),
    field: "tag key",
    shown: '"a//b"',
    rule: "normalised relative path",
  },
  {
    name: "tracker.logMetric with an unknown runId",
    call: () => tracker.logMetric("m", 1, { runId: "0000nope" }),
    field: "runId",
    shown: '"0000nope"',
    rule: "open run",
    metricKey: "m",
    cls: StateError,
  },
  {
    name: "logMetric with null options",
    call: (r) => r.logMetric("m", 1, any(null)),
    field: "metric options",
    shown: "null",
    rule: "plain object",
    metricKey: "m",
  },
  {
    name: "logMetrics with null options",
    call: (r) => r.logMetrics({ m: 1 }, any(null)),
    field: "metric options",
    shown: "null",
    rule: "plain object",
    metricKey: "m",
  },
);

// Lone surrogates cannot be encoded as UTF-8: MLflow answers 200 and drops the rest of the batch.
const ILL_FORMED: readonly [string, string][] = [
  ["a lone high surrogate", "a\ud800b"],
  ["a lone low surrogate", "\udc00"],
  ["a reversed pair", "\ude00\ud83d"],
  ["a trailing high surrogate", "ok\ud83d"],
];
for (const [name, value] of ILL_FORMED) {
  const shown = JSON.stringify(value);
  cases.push(
    { name: `logParam value with ${name}`, call: (r) => r.logParam("p", value), field: 'param "p" value', shown, rule: "well-formed Unicode" },
    { name: `logParams value with ${name}`, call: (r) => r.logParams({ ok_p: 1, p: value }), field: 'param "p" value', shown, rule: "well-formed Unicode" },
    { name: `setTag value with ${name}`, call: (r) => r.setTag("t", value), field: 'tag "t" value', shown, rule: "well-formed Unicode" },
    { name: `setTags value with ${name}`, call: (r) => r.setTags({ ok_t: "v", t: value }), field: 'tag "t" value', shown, rule: "well-formed Unicode" },
    { name: `logMetric key with ${name}`, call: (r) => r.logMetric(value, 1), field: "metric key", shown, rule: "may contain only", metricKey: "ok_m" },
  );
}
cases.push(
  { name: "logParam value with NUL", call: (r) => r.logParam("p", "a\u0000b"), field: 'param "p" value', shown: '"a\\u0000b"', rule: "NUL" },
  { name: "setTag value with NUL", call: (r) => r.setTag("t", "\u0000"), field: 'tag "t" value', shown: '"\\u0000"', rule: "NUL" },
);

describe("logging calls reject bad input and store nothing", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const run = await tracker.startRun({ name: "validation" });
    run.logParam("good_p", "1");
    run.logMetric("good_m", 1.5, { step: 3, timestamp: 1000 });
    run.setTag("good_t", "x");
    const before = await recordCount(run);
    expect(before).toBe(4); // mlflow.runName + the three above

    const err = thrown(() => c.call(run));
    expectValidation(err, typeof c.field === "string" ? c.field : c.field(run), typeof c.shown === "string" ? c.shown : c.shown(run), c.rule, c.cls);

    expect(await recordCount(run)).toBe(before);
    await run.end();
    const { info, data } = await tracker.getRun(run.id);
    expect(info.status).toBe("FINISHED");
    expect(data.params).toEqual({ good_p: "1" });
    expect(data.metrics).toEqual({ good_m: 1.5 });
    expect(data.tags).toEqual({ "mlflow.runName": "validation", good_t: "x" });
    expect(await tracker.getMetricHistory(run.id, "good_m")).toEqual([{ key: "good_m", value: 1.5, step: 3, timestamp: 1000 }]);
    if (c.metricKey !== undefined) expect(await tracker.getMetricHistory(run.id, c.metricKey)).toEqual([]);
    expect((await readJournal(journalDir(tmp, run))).records.length).toBe(before + 1); // + end record
  });
});

describe("valid edge inputs are accepted and stored exactly", () => {
  it("unicode letters, digits, colon, space, dot, dash, underscore and slash in keys; limits at their maximum", async () => {
    const keys = ["损失", "Ñ", "ß", "a:b", "a b", "train/loss", "v1.2-x_y", "ключ", "ελ", "٣", "k".repeat(250)];
    const run = await tracker.startRun({ name: "edges" });
    for (const [i, key] of keys.entries()) {
      run.logMetric(key, i, { step: i, timestamp: 0 });
      run.logParam(key, i);
      run.setTag(key, `${i}`);
    }
    run.logParam("max_param", "p".repeat(6000));
    run.setTag("max_tag", "t".repeat(8000));
    run.logParam("num", 0.001);
    run.logParam("bool", false);
    run.logParam("num", "0.001"); // same stored value: a no-op, not an error
    run.logParams({ num: 0.001, bool: "false" });
    run.logMetric("neg_step", -0.5, { step: -3, timestamp: Number.MAX_SAFE_INTEGER });
    run.logMetrics({ nan: Number.NaN, inf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY }, { step: 2 ** 53 - 1 });
    run.logMetrics({});
    run.setTags({});
    run.logParams({});
    await run.end();

    const { data } = await tracker.getRun(run.id);
    for (const [i, key] of keys.entries()) {
      expect(await tracker.getMetricHistory(run.id, key)).toEqual([{ key, value: i, step: i, timestamp: 0 }]);
      expect(data.params[key]).toBe(String(i));
      expect(data.tags[key]).toBe(String(i));
    }
    expect(data.params["max_param"]).toBe("p".repeat(6000));
    expect(data.tags["max_tag"]).toBe("t".repeat(8000));
    expect(data.params["num"]).toBe("0.001");
    expect(data.params["bool"]).toBe("false");
    expect(await tracker.getMetricHistory(run.id, "neg_step")).toEqual([{ key: "neg_step", value: -0.5, step: -3, timestamp: Number.MAX_SAFE_INTEGER }]);
    expect(data.metrics["nan"]).toBeNaN();
    expect(data.metrics["inf"]).toBe(Number.POSITIVE_INFINITY);
    expect(data.metrics["ninf"]).toBe(Number.NEGATIVE_INFINITY);
    const params = (await readJournal(journalDir(tmp, run))).records.filter((r) => r.t === "p" && (r.k === "num" || r.k === "bool"));
    expect(params).toHaveLength(2); // re-logging the same value wrote nothing
  });
});

describe("logging after end()", () => {
  it("every logging call on an ended run is a StateError and writes nothing", async () => {
    const run = await tracker.startRun({ name: "ended" });
    run.logMetric("m", 1);
    await run.end();
    const dir = journalDir(tmp, run);
    const count = (await readJournal(dir)).records.length;
    const calls: [string, () => void, string][] = [
      ["logParam", () => run.logParam("p", 1), "run"],
      ["logParams", () => run.logParams({ p: 1 }), "run"],
      ["logMetric", () => run.logMetric("m", 2), "run"],
      ["logMetrics", () => run.logMetrics({ m: 2 }), "run"],
      ["setTag", () => run.setTag("t", "v"), "run"],
      ["setTags", () => run.setTags({ t: "v" }), "run"],
      ["tracker.logMetric { runId }", () => tracker.logMetric("m", 2, { runId: run.id }), "runId"],
      ["tracker.logParam { runId }", () => tracker.logParam("p", 2, { runId: run.id }), "runId"],
      ["tracker.setTag { runId }", () => tracker.setTag("t", "v", { runId: run.id }), "runId"],
    ];
    for (const [, call, field] of calls) {
      const err = thrown(call);
      expectValidation(err, field, JSON.stringify(run.id), field === "run" ? "has ended" : "open run", StateError);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect((await readJournal(dir)).records.length).toBe(count);
    expect(await tracker.getMetricHistory(run.id, "m")).toHaveLength(1);
    // A second end() returns the first call's promise: an ended run never changes status.
    await expect(run.end({ status: "FAILED" })).resolves.toBeUndefined();
    expect((await tracker.getRun(run.id)).info.status).toBe("FINISHED");
  });

  it("run.end() with an unknown status is a ValidationError and the run stays open", async () => {
    const run = await tracker.startRun({ name: "bad-status" });
    const err = await rejected(run.end({ status: any("DONE") }));
    expectValidation(err, "end status", '"DONE"', "FINISHED, FAILED or KILLED");
    expect(run.ended).toBe(false);
    run.logMetric("m", 1);
    await run.end();
    expect((await tracker.getRun(run.id)).info.status).toBe("FINISHED");
    expect(await tracker.getMetricHistory(run.id, "m")).toHaveLength(1);
  });
});

describe("huge values are shortened in error messages", () => {
  it.each([
    ["a 100k-char param value", (run: Run) => run.logParam("p", "x".repeat(100_000))],
    ["a 100k-char tag value", (run: Run) => run.setTag("t", "x".repeat(100_000))],
    ["a 100k-char key", (run: Run) => run.logMetric("k".repeat(100_000), 1)],
    ["a 100k-char numeric string metric value", (run: Run) => run.logMetric("m", any("1".repeat(100_000)))],
    ["a 250-char key with a 100k-char param value", (run: Run) => run.logParam("k".repeat(250), "x".repeat(100_000))],
    ["a 250-char key with a 100k-char tag value", (run: Run) => run.setTag("k".repeat(250), "x".repeat(100_000))],
    ["a 250-char key with a string metric value", (run: Run) => run.logMetric("k".repeat(250), any("x".repeat(100_000)))],
  ] as [string, (run: Run) => void][])("%s", async (_name, call) => {
    const run = await tracker.startRun({ name: "huge" });
    try {
      const err = thrown(() => call(run));
      expect(err).toBeInstanceOf(ValidationError);
      const message = (err as ValidationError).message;
      expect(message.length).toBeLessThan(400);
      expect(message).toContain("…");
      expect(message).toContain("(100000 chars)");
    } finally {
      await run.end();
    }
  });
});

describe("startRun options", () => {
  const bad: [string, unknown, string, string, string][] = [
    ["null options", null, "startRun options", "null", "plain object"],
    ["array options", [], "startRun options", "an array of 0", "plain object"],
    ["string options", "run", "startRun options", '"run"', "plain object"],
    ["name a number", { name: 5 }, "run name", "5", "must be a string"],
    ["name empty", { name: "" }, "run name", '""', "must not be empty"],
    ["name blank", { name: "   " }, "run name", '"   "', "must not be empty"],
    ["name of 251 chars", { name: "n".repeat(251) }, "run name", q("n".repeat(251)), "at most 250"],
    ["experiment a number", { experiment: 7 }, "experiment name", "7", "must be a string"],
    ["experiment empty", { experiment: "" }, "experiment name", '""', "must not be empty"],
    ["experiment of 257 chars", { experiment: "e".repeat(257) }, "experiment name", q("e".repeat(257)), "at most 256"],
    ["parentRunId with a slash", { parentRunId: "../x" }, "parentRunId", '"../x"', "must be a run id"],
    ["parentRunId a number", { parentRunId: 5 }, "parentRunId", "5", "must be a run id"],
    ["params an array", { params: [1] }, "params", "an array of 1", "plain object"],
    ["params null", { params: null }, "params", "null", "plain object"],
    ["tags a string", { tags: "a=b" }, "tags", '"a=b"', "plain object"],
    ["params with a bad key", { params: { "a//b": 1 } }, "param key", '"a//b"', "normalised relative path"],
    ["params with a null value", { params: { lr: null } }, 'param "lr" value', "null", "must be a string, number or boolean"],
    ["tags with a bad key", { tags: { "/t": "v" } }, "tag key", '"/t"', "normalised relative path"],
    ["tags with an object value", { tags: { t: {} } }, 'tag "t" value', "an object", "must be a string, number or boolean"],
    ["description of 8001 chars", { description: HUGE_TAG }, "description", q(HUGE_TAG), "at most 8000"],
    ["description an object", { description: {} }, "description", "an object", "must be a string, number or boolean"],
    ["name with a newline", { name: "a\nb" }, "run name", '"a\\nb"', "control characters"],
    ["name with NUL", { name: "a\u0000" }, "run name", '"a\\u0000"', "control characters"],
    ["name with a C1 control", { name: "a\u0085" }, "run name", '"a\u0085"', "control characters"],
    ["name with a lone surrogate", { name: "a\ud800" }, "run name", '"a\\ud800"', "well-formed Unicode"],
    ["experiment with ESC", { experiment: "e\u001b[1m" }, "experiment name", '"e\\u001b[1m"', "control characters"],
    ["experiment with a tab", { experiment: "e\tx" }, "experiment name", '"e\\tx"', "control characters"],
    ["experiment with a lone surrogate", { experiment: "\udfff" }, "experiment name", '"\\udfff"', "well-formed Unicode"],
    ["params with an ill-formed value", { params: { lr: "\ud800" } }, 'param "lr" value', '"\\ud800"', "well-formed Unicode"],
    ["tags with a NUL value", { tags: { t: "\u0000" } }, 'tag "t" value', '"\\u0000"', "NUL"],
    ["description with a lone surrogate", { description: "d\udbff" }, "description", '"d\\udbff"', "well-formed Unicode"],
  ];

  it.each(bad)("%s → ValidationError, no run created", async (_name, options, field, shown, rule) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-startrun-"));
    const t = new Tracker({ trackingUri: root, captureContext: false, handleExit: false, experiment: "exp" });
    try {
      const err = await rejected(t.startRun(any(options)));
      expectValidation(err, field, shown, rule);
      expect(t.activeRun()).toBeUndefined();
      expect(t.stats().activeRuns).toBe(0);
      const exp = await t.getExperimentByName("exp");
      expect(exp === undefined ? [] : await t.searchRuns({ experiment: "exp" })).toEqual([]);
      expect(() => t.logMetric("m", 1)).toThrow(StateError);
    } finally {
      await t.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("Tracker options", () => {
  const base = { captureContext: false, handleExit: false } as const;
  const bad: [string, Record<string, unknown>, string, string, string][] = [
    ["an unknown option", { bogus: 1 }, "options.bogus", "1", "not a known option"],
    ["a misspelt option", { trackingURI: "x" }, "options.trackingURI", '"x"', "not a known option"],
    ["trackingUri a number", { trackingUri: 5 }, "options.trackingUri", "5", ""],
    ["trackingUri empty", { trackingUri: "" }, "options.trackingUri", '""', ""],
    ["trackingUri sqlite", { trackingUri: "sqlite:///mlflow.db" }, "options.trackingUri", '"sqlite:///mlflow.db"', "folder path"],
    ["trackingUri s3", { trackingUri: "s3://bucket/x" }, "options.trackingUri", '"s3://bucket/x"', "folder path"],
    ["experiment null", { experiment: null }, "options.experiment", "null", ""],
    ["experiment blank", { experiment: "   " }, "options.experiment", '"   "', "must not be empty"],
    ["experiment of 257 chars", { experiment: "e".repeat(257) }, "options.experiment", q("e".repeat(257)), "at most 256"],
    ["durability unknown", { durability: "sometimes" }, "options.durability", '"sometimes"', ""],
    ["fsyncIntervalMs 0", { fsyncIntervalMs: 0 }, "options.fsyncIntervalMs", "0", ""],
    ["fsyncIntervalMs a float", { fsyncIntervalMs: 1.5 }, "options.fsyncIntervalMs", "1.5", ""],
    ["fsyncIntervalMs a string", { fsyncIntervalMs: "1000" }, "options.fsyncIntervalMs", '"1000"', ""],
    ["logLevel unknown", { logLevel: "loud" }, "options.logLevel", '"loud"', ""],
    ["logger a string", { logger: "stderr" }, "options.logger", '"stderr"', "must be a function"],
    ["captureContext a string", { captureContext: "yes" }, "options.captureContext", '"yes"', ""],
    ["handleExit a number", { handleExit: 1 }, "options.handleExit", "1", ""],
    ["exitFlushTimeoutMs negative", { exitFlushTimeoutMs: -1 }, "options.exitFlushTimeoutMs", "-1", ""],
    ["namePolicy.run a string", { namePolicy: { run: "^a" } }, "options.namePolicy.run", '"^a"', "must be a RegExp"],
    ["namePolicy unknown key", { namePolicy: { runs: /a/ } }, "options.namePolicy.runs", "an object", "not a known option"],
    ["cwd a number", { cwd: 1 }, "options.cwd", "1", ""],
  ];

  it.each(bad)("%s → ValidationError", (_name, options, field, shown, rule) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-options-"));
    try {
      const err = thrown(() => new Tracker(any({ ...base, trackingUri: root, ...options })));
      expectValidation(err, field, shown, rule);
      expect(fs.readdirSync(root)).toEqual([]); // nothing created
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("rejects options that are not an object", () => {
    for (const options of [5, "x", [], () => 1]) {
      const err = thrown(() => resolveOptions(any(options), {}));
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toMatch(/^options/);
    }
  });

  const badEnv: [string, string, string, string][] = [
    ["MLTRAIL_DURABILITY", "sometimes", "env MLTRAIL_DURABILITY", "must be one of interval, always"],
    ["MLTRAIL_FSYNC_INTERVAL_MS", "abc", "env MLTRAIL_FSYNC_INTERVAL_MS", "whole number"],
    ["MLTRAIL_FSYNC_INTERVAL_MS", "-5", "env MLTRAIL_FSYNC_INTERVAL_MS", "whole number"],
    ["MLTRAIL_FSYNC_INTERVAL_MS", "1.5", "env MLTRAIL_FSYNC_INTERVAL_MS", "whole number"],
    ["MLTRAIL_FSYNC_INTERVAL_MS", "0", "env MLTRAIL_FSYNC_INTERVAL_MS", ""],
    ["MLTRAIL_EXIT_FLUSH_TIMEOUT_MS", "soon", "env MLTRAIL_EXIT_FLUSH_TIMEOUT_MS", "whole number"],
    ["MLTRAIL_EXIT_FLUSH_TIMEOUT_MS", "999999999", "env MLTRAIL_EXIT_FLUSH_TIMEOUT_MS", ""],
    ["MLTRAIL_LOG_LEVEL", "loud", "env MLTRAIL_LOG_LEVEL", "must be one of"],
    ["MLTRAIL_CAPTURE_CONTEXT", "maybe", "env MLTRAIL_CAPTURE_CONTEXT", "true or false"],
    ["MLTRAIL_HANDLE_EXIT", "2", "env MLTRAIL_HANDLE_EXIT", "true or false"],
  ];

  it.each(badEnv)("env %s=%s → ValidationError", (name, value, field, rule) => {
    const err = thrown(() => resolveOptions({}, { [name]: value }));
    expectValidation(err, field, JSON.stringify(value), rule);
  });

  it("env MLFLOW_TRACKING_URI that is not a folder or http(s) URL → ValidationError", () => {
    const err = thrown(() => resolveOptions({}, { MLFLOW_TRACKING_URI: "sqlite:///mlflow.db" }));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toContain("sqlite:///mlflow.db");
  });

  it("new Tracker reads bad env vars from process.env and rejects them", () => {
    vi.stubEnv("MLTRAIL_DURABILITY", "sometimes");
    expectValidation(
      thrown(() => new Tracker({ ...base, trackingUri: tmp })),
      "env MLTRAIL_DURABILITY",
      '"sometimes"',
      "must be one of",
    );
    vi.stubEnv("MLTRAIL_DURABILITY", "always");
    vi.stubEnv("MLFLOW_EXPERIMENT_NAME", "   ");
    expectValidation(
      thrown(() => new Tracker({ ...base, trackingUri: tmp })),
      "options.experiment",
      '"   "',
      "must not be empty",
    );
  });

  it("an option wins over its env var, and good env vars apply", () => {
    expect(resolveOptions({ durability: "always" }, { MLTRAIL_DURABILITY: "bogus" }).durability).toBe("always");
    const r = resolveOptions(
      {},
      { MLTRAIL_DURABILITY: "always", MLTRAIL_FSYNC_INTERVAL_MS: "250", MLTRAIL_CAPTURE_CONTEXT: "false", MLFLOW_EXPERIMENT_NAME: "from-env" },
    );
    expect(r.durability).toBe("always");
    expect(r.fsyncIntervalMs).toBe(250);
    expect(r.captureContext).toBe(false);
    expect(r.experiment).toBe("from-env");
    expect(Object.isFrozen(r)).toBe(true);
  });
});

describe("public methods check their argument types at the boundary", () => {
  const calls: [string, (t: Tracker) => unknown, string][] = [
    ["lineage(5)", (t) => t.lineage(any(5)), "target"],
    ["lineage(null)", (t) => t.lineage(any(null)), "target"],
    ["searchRuns({ experiment: 5 })", (t) => t.searchRuns({ experiment: any(5) }), "searchRuns options.experiment"],
    ["searchRuns({ experiment: [5] })", (t) => t.searchRuns({ experiment: any([5]) }), "searchRuns options.experiment[0]"],
    ["searchRuns(null)", (t) => t.searchRuns(any(null)), "searchRuns options"],
    ["searchRuns({ filter: 1 })", (t) => t.searchRuns({ filter: any(1) }), "searchRuns options.filter"],
    ["searchRuns({ orderBy: 'x' })", (t) => t.searchRuns({ orderBy: any("x") }), "searchRuns options.orderBy"],
    ["getExperimentByName(5)", (t) => t.getExperimentByName(any(5)), "name"],
    ["getMetricHistory(id, 5)", (t) => t.getMetricHistory("0123abcd", any(5)), "metric key"],
    ["getMetricHistories(id, 'loss')", (t) => t.getMetricHistories("0123abcd", any("loss")), "keys"],
    ["on('bogus', fn)", (t) => t.on(any("bogus"), () => undefined), "event"],
    ["on('error', undefined)", (t) => t.on("error", any(undefined)), "listener"],
    ["off('state', 'x')", (t) => t.off("state", any("x")), "listener"],
    ["withRun({}, 5)", (t) => t.withRun({}, any(5)), "withRun fn"],
    ["flush(null)", (t) => t.flush(any(null)), "options"],
    ["close('now')", (t) => t.close(any("now")), "options"],
    ["downloadArtifacts(id, 'a', 5)", (t) => t.downloadArtifacts("0123abcd", "a", any(5)), "dest"],
    ["compareRuns(5)", (t) => t.compareRuns(any(5)), "runs"],
    ["compareRuns([5])", (t) => t.compareRuns(any([5])), "runs[0]"],
    ["compareModelVersions('m', 'x')", (t) => t.compareModelVersions("m", any("x")), "refs"],
    ["report(null)", (t) => t.report(any(null)), "report options"],
    ["report({})", (t) => t.report(any({})), "report options.output"],
    ["abTest(undefined)", (t) => t.abTest(any(undefined)), "abTest options"],
    ["registerModel('m')", (t) => t.registerModel("m", any(undefined)), "registerModel options"],
    ["registerModel(5, {})", (t) => t.registerModel(any(5), any({})), "model name"],
    ["registerModel with an ill-formed rationale", (t) => t.registerModel("m", { runId: "0123abcd", rationale: "r\ud800" }), "registerModel options.rationale"],
    ["getModelVersion('m', 5)", (t) => t.getModelVersion("m", any(5)), "ref"],
    ["getModelVersion(undefined)", (t) => t.getModelVersion(any(undefined)), "model reference"],
    ["listModelVersions(5)", (t) => t.listModelVersions(any(5)), "model name"],
    ["modelHistory({})", (t) => t.modelHistory(any({})), "model name"],
    ["setAlias('m', 'a', 5)", (t) => t.setAlias("m", "a", any(5)), "version"],
    ["deleteAlias('m', 'a', null)", (t) => t.deleteAlias("m", "a", any(null)), "options"],
    ["promote('m', '1.0.0', 'x')", (t) => t.promote("m", "1.0.0", any("x")), "options"],
    ["deprecate('m', 5, 'r')", (t) => t.deprecate("m", any(5), "r"), "version"],
    ["updateModelVersion('m', '1.0.0', null)", (t) => t.updateModelVersion("m", "1.0.0", any(null)), "update"],
    ["updateModelVersion with an ill-formed description", (t) => t.updateModelVersion("m", "1.0.0", { description: "\udc00" }), "change.description"],
    ["deleteModelVersion('m', '1.0.0', { reason: 5 })", (t) => t.deleteModelVersion("m", "1.0.0", { reason: any(5) }), "options.reason"],
  ];
  /** What `fn` throws or rejects with, synchronously or not. */
  async function caught(fn: () => unknown): Promise<unknown> {
    try {
      await fn();
    } catch (e) {
      return e;
    }
    return undefined;
  }

  it.each(calls)("%s → ValidationError naming %s", async (_name, call, field) => {
    const err = await caught(() => call(tracker));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(field);
  });

  const runCalls: [string, (r: Run) => Promise<unknown>, string][] = [
    ["logJSON of a bigint", (r) => r.logJSON({ n: 1n }, "a.json"), "value"],
    [
      "logJSON of a circular object",
      (r) => {
        const o: Record<string, unknown> = {};
        o["self"] = o;
        return r.logJSON(o, "a.json");
      },
      "value",
    ],
    ["logText with a lone surrogate", (r) => r.logText("a\ud800", "a.txt"), "text"],
    ["logModel(dir) without options", (r) => r.logModel(tmp, any(undefined)), "logModel options"],
    ["logDataset() without options", (r) => r.logDataset(any(undefined)), "logDataset options"],
    ["end('FAILED')", (r) => r.end(any("FAILED")), "end options"],
    ["end({ status: 5 })", (r) => r.end({ status: any(5) }), "end status"],
  ];
  it.each(runCalls)("run.%s → ValidationError naming %s; the run stays open", async (_name, call, field) => {
    const run = await tracker.startRun({ name: "types" });
    const err = await caught(() => call(run));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(field);
    expect(run.ended).toBe(false);
    await run.end();
  });
});

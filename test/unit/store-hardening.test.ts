/**
 * Local-store hardening: parallel calls in one process, damaged files that stay local,
 * corruption reported on every read (the summary cache included), and keys such as
 * `__proto__` stored and returned like any other.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CorruptDataError, type MltrailError } from "../../src/errors.js";
import { withLock } from "../../src/log/lock.js";
import { crc32 } from "../../src/log/crc.js";
import { listSegments, scanSegment } from "../../src/log/segments.js";
import { emptyFold, foldRecords } from "../../src/store/fold.js";
import { RunPaths, StoreLayout } from "../../src/store/layout.js";
import { LocalStore } from "../../src/store/local-store.js";
import { Tracker } from "../../src/tracker.js";

let tmp: string;
const trackers: Tracker[] = [];

function newTracker(extra: { experiment?: string } = {}): Tracker {
  const t = new Tracker({ trackingUri: tmp, captureContext: false, handleExit: false, ...extra });
  trackers.push(t);
  return t;
}

/** Collects the tracker's "error" events. */
function errorsOf(t: Tracker): MltrailError[] {
  const seen: MltrailError[] = [];
  t.on("error", (e) => seen.push(e));
  return seen;
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-hardening-"));
});

afterEach(async () => {
  for (const t of trackers.splice(0)) await t.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const layout = (): StoreLayout => new StoreLayout(tmp);

async function runPaths(t: Tracker, runId: string): Promise<RunPaths> {
  const run = await t.getRun(runId);
  return new RunPaths(layout().runDir(run.info.experimentId, runId));
}

/** Leftover temp and lock files anywhere under the store. */
function debris(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(tmp|new|take)$/.test(e.name) || e.name.endsWith(".lock")) out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out;
}

describe("parallel calls in one process", () => {
  it("20 rounds of 8 parallel startRun on a new experiment all succeed, into one experiment", async () => {
    const t = newTracker();
    for (let round = 0; round < 20; round++) {
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => t.startRun({ experiment: `exp-${round}` })));
      const failed = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
      expect(failed, `round ${round}`).toEqual([]);
      const runs = results.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<Tracker["startRun"]>>>).value);
      expect(new Set(runs.map((r) => r.experimentId)).size).toBe(1);
      await Promise.all(runs.map((r) => r.end()));
    }
    const names = (await t.listExperiments()).map((e) => e.name);
    expect(names.filter((n) => n.startsWith("exp-")).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `exp-${i}`).sort());
    expect(debris(tmp)).toEqual([]);
  }, 120_000);

  it("withLock serialises parallel holders of one process, and each releases only its own lock", async () => {
    const file = path.join(tmp, ".test.lock");
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 16 }, () =>
        withLock(file, "the test", async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((resolve) => setImmediate(resolve));
          expect(fs.existsSync(file)).toBe(true);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith(".test.lock"))).toEqual([]);
  });
});

describe("a damaged file breaks only itself", () => {
  it("an empty experiment.json: other experiments keep working; that experiment is a CorruptDataError; it is reported", async () => {
    const t = newTracker();
    const good = await t.startRun({ experiment: "good" });
    good.logMetric("m", 1);
    await good.end();
    const bad = await t.startRun({ experiment: "bad" });
    await bad.end();
    await t.close();
    fs.writeFileSync(layout().experimentFile(bad.experimentId), "");

    const t2 = newTracker({ experiment: "good" });
    const errors = errorsOf(t2);
    const run = await t2.startRun();
    run.logMetric("m", 2);
    await run.end();
    expect((await t2.getRun(good.id)).data.metrics).toEqual({ m: 1 });
    const names = (await t2.listExperiments()).map((e) => e.name);
    expect(names).toContain("good");
    expect(names).not.toContain("bad");
    await expect((await LocalStore.open(tmp)).getExperiment(bad.experimentId)).rejects.toBeInstanceOf(CorruptDataError);
    // Its runs stay reachable by id.
    expect((await t2.getRun(bad.id)).info.status).toBe("FINISHED");
    const reported = errors.filter((e) => e instanceof CorruptDataError);
    expect(reported.length).toBeGreaterThan(0);
    expect((reported[0] as CorruptDataError).path).toBe(layout().experimentFile(bad.experimentId));
    expect(t2.stats().lastError).toMatch(/experiment\.json/);
    // A new experiment never takes the damaged one's id, and the damaged file is left as it was.
    const fresh = await t2.startRun({ experiment: "fresh" });
    await fresh.end();
    expect(fresh.experimentId).not.toBe(bad.experimentId);
    expect(fs.readFileSync(layout().experimentFile(bad.experimentId), "utf8")).toBe("");
  });

  it("a damaged Default experiment.json does not stop the store from opening", async () => {
    const t = newTracker({ experiment: "x" });
    await (await t.startRun()).end();
    await t.close();
    fs.writeFileSync(layout().experimentFile("0"), "{ torn");
    const t2 = newTracker({ experiment: "x" });
    const run = await t2.startRun();
    await run.end();
    expect((await t2.getRun(run.id)).info.status).toBe("FINISHED");
  });

  it("a garbage run.json: searchRuns returns the other runs and reports it; getRun of it is a CorruptDataError", async () => {
    const t = newTracker({ experiment: "e" });
    const errors = errorsOf(t);
    const a = await t.startRun({ name: "a" });
    await a.end();
    const b = await t.startRun({ name: "b" });
    await b.end();
    const paths = await runPaths(t, b.id);
    fs.writeFileSync(paths.meta, "\u0000garbage{{");
    const found = await t.searchRuns({ experiment: "e" });
    expect(found.map((r) => r.info.runId)).toEqual([a.id]);
    expect(errors.some((e) => e instanceof CorruptDataError && e.path === paths.meta)).toBe(true);
    await expect(t.getRun(b.id)).rejects.toBeInstanceOf(CorruptDataError);
    // A well-formed JSON document of the wrong shape is damage too.
    fs.writeFileSync(
      paths.meta,
      JSON.stringify({ format: "mltrail-run", version: 1, runId: b.id, experimentId: "1", name: "b", startTime: "yesterday", status: "FINISHED" }),
    );
    await expect(t.getRun(b.id)).rejects.toThrow(/startTime/);
  });
});

describe("corruption is reported on every read", () => {
  async function finishedRun(t: Tracker): Promise<{ runId: string; paths: RunPaths }> {
    const run = await t.startRun();
    for (let i = 0; i < 100; i++) run.logMetric("loss", i, { step: i });
    await run.end();
    return { runId: run.id, paths: await runPaths(t, run.id) };
  }

  function flipByteOfLine(paths: RunPaths, lineIndex: number): void {
    const [seg] = fs.readdirSync(paths.journal);
    const file = path.join(paths.journal, seg as string);
    const buf = fs.readFileSync(file);
    let pos = 0;
    for (let i = 0; i < lineIndex; i++) pos = buf.indexOf(0x0a, pos) + 1;
    const at = pos + 20; // inside the JSON body
    buf[at] = (buf[at] as number) ^ 0x01;
    fs.writeFileSync(file, buf);
  }

  it("a byte flipped after the run was read once: history and getRun report it, every time", async () => {
    const t = newTracker({ experiment: "c" });
    const { runId, paths } = await finishedRun(t);
    expect((await t.getMetricHistory(runId, "loss")).length).toBe(100);
    expect((await t.getRun(runId)).data.metrics["loss"]).toBe(99);
    expect(fs.existsSync(path.join(paths.dir, "summary.json"))).toBe(true);
    const errors = errorsOf(t);
    // Line 50 of the journal holds one of the 100 points (the first lines are tags and params).
    flipByteOfLine(paths, 50);
    for (let read = 1; read <= 3; read++) {
      const history = await t.getMetricHistory(runId, "loss");
      expect(history.length).toBe(99);
      expect(errors.filter((e) => e instanceof CorruptDataError).length, `history read ${read}`).toBe(2 * read - 1);
      await t.getRun(runId); // folds again (the cache no longer matches), then from the new cache
      expect(errors.filter((e) => e instanceof CorruptDataError).length, `getRun ${read}`).toBe(2 * read);
    }
    const last = errors[errors.length - 1] as CorruptDataError;
    expect(last.runId).toBe(runId);
    expect(last.corruptLines).toBe(1);
    expect(last.code).toBe("CORRUPT");
    const histories = await t.getMetricHistories(runId, ["loss"]);
    expect(histories["loss"]?.length).toBe(99);
    expect(errors.length).toBe(7);
  });

  it("a summary.json cached with corrupt lines reports them on every cached read", async () => {
    const t = newTracker({ experiment: "c" });
    const { runId, paths } = await finishedRun(t);
    flipByteOfLine(paths, 50);
    const errors = errorsOf(t);
    await t.getRun(runId);
    const summary = JSON.parse(fs.readFileSync(path.join(paths.dir, "summary.json"), "utf8")) as { corrupt: unknown[] };
    expect(summary.corrupt.length).toBe(1);
    await t.getRun(runId);
    await t.getRun(runId);
    expect(errors.filter((e) => e instanceof CorruptDataError).length).toBe(3);
  });

  it("a damaged summary.json is ignored and rebuilt, never trusted", async () => {
    const t = newTracker({ experiment: "c" });
    const { runId, paths } = await finishedRun(t);
    await t.getRun(runId);
    const file = path.join(paths.dir, "summary.json");
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { latest: unknown };
    fs.writeFileSync(file, JSON.stringify({ ...doc, latest: "oops" }));
    expect((await t.getRun(runId)).data.metrics["loss"]).toBe(99);
    fs.writeFileSync(file, "");
    expect((await t.getRun(runId)).data.metrics["loss"]).toBe(99);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).format).toBe("mltrail-summary");
    expect((await listSegments(paths.journal)).length).toBe(1);
  });
});

describe("keys that are Object.prototype names", () => {
  const KEYS = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];

  it("are stored and returned as params, tags and metrics, from the fold and from the cache", async () => {
    const t = newTracker({ experiment: "k" });
    const run = await t.startRun();
    for (const [i, k] of KEYS.entries()) {
      run.logParam(k, `p${i}`);
      run.setTag(k, `t${i}`);
      run.logMetric(k, i);
    }
    await run.end();
    for (const read of ["fold", "cache"]) {
      const got = await t.getRun(run.id);
      for (const [i, k] of KEYS.entries()) {
        expect(Object.hasOwn(got.data.params, k), `${read} param ${k}`).toBe(true);
        expect(got.data.params[k], `${read} param ${k}`).toBe(`p${i}`);
        expect(got.data.tags[k], `${read} tag ${k}`).toBe(`t${i}`);
        expect(got.data.metrics[k], `${read} metric ${k}`).toBe(i);
      }
      expect(Object.getPrototypeOf(got.data.params)).toBe(Object.prototype);
      expect(JSON.parse(JSON.stringify(got.data.metrics))).toEqual(Object.fromEntries(KEYS.map((k, i) => [k, i])));
    }
    const histories = await t.getMetricHistories(run.id, ["__proto__", "toString"]);
    expect(Object.keys(histories).sort()).toEqual(["__proto__", "toString"]);
    expect(histories["__proto__"]?.map((m) => m.value)).toEqual([0]);
    const all = await t.getMetricHistories(run.id);
    expect(Object.keys(all).sort()).toEqual([...KEYS].sort());
    const found = await t.searchRuns({ experiment: "k", filter: "params.`__proto__` = 'p0' and metrics.toString = 2" });
    expect(found.map((r) => r.info.runId)).toEqual([run.id]);
    expect(await t.searchRuns({ experiment: "k", filter: "params.valueOf IS NULL" })).toEqual([]);
  });
});

describe("compareRuns with keys that are Object.prototype names", () => {
  it("compares __proto__, constructor and toString like any key, and a direction object has no inherited entries", async () => {
    const t = newTracker({ experiment: "kc" });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await t.startRun({ params: { ["__proto__"]: `v${i}`, constructor: "same" } });
      run.logMetric("__proto__", i + 1);
      run.logMetric("toString", 10 - i);
      run.logMetric("constructor", i);
      await run.end();
      ids.push(run.id);
    }
    const cmp = await t.compareRuns(ids, { allParams: true, direction: { toString: "min" as const } });
    expect(Object.keys(cmp.metrics).sort()).toEqual(["__proto__", "constructor", "toString"]);
    expect(Object.hasOwn(cmp.metrics, "__proto__")).toBe(true);
    expect(cmp.metrics["__proto__"]?.perRun.map((s) => s.last)).toEqual([1, 2]);
    expect(cmp.metrics["toString"]?.direction).toBe("min");
    expect(cmp.metrics["toString"]?.best?.runId).toBe(ids[1]);
    // "constructor" has no explicit direction: the default (an unknown name maximises), not Object's constructor.
    expect(cmp.metrics["constructor"]?.direction).toBe("max");
    expect(cmp.params.differing["__proto__"]).toEqual(["v0", "v1"]);
    expect(Object.hasOwn(cmp.params.differing, "__proto__")).toBe(true);
    expect(cmp.params.same?.["constructor"]).toBe("same");
  });
});

describe("journal records are checked at the read boundary", () => {
  const line = (json: string): string => `${crc32(Buffer.from(json, "utf8")).toString(16).padStart(8, "0")} ${json}\n`;

  it("a line with a good checksum but a wrong shape is corrupt, a record of an unknown type is skipped, the rest reads", () => {
    const text = [
      line('{"s":1,"t":"p","k":"lr","v":"0.1","ts":1}'),
      line('{"s":2,"t":"p","k":5,"v":"x","ts":1}'),
      line('{"s":3,"t":"end","status":"DONE","ts":1}'),
      line('{"s":4,"t":"m","k":"a\\"b","v":"oops","ts":1,"st":0}'),
      line('{"s":5,"t":"future","x":1}'),
      line('{"s":6,"t":"m","k":"a\\"b","v":"NaN","ts":1,"st":2}'),
    ].join("");
    const scan = scanSegment(Buffer.from(text, "utf8"), "0000000000000001.jsonl");
    expect(scan.corrupt.map((c) => c.line)).toEqual([2, 3, 4]);
    expect(scan.corrupt.every((c) => c.reason === "unparsable record")).toBe(true);
    expect(scan.records.map((r) => r.s)).toEqual([1, 5, 6]);
    const last = scan.records[2];
    expect(last?.t === "m" && last.k === 'a"b' && Number.isNaN(last.v) && last.st === 2).toBe(true);
    const folded = foldRecords(emptyFold(), scan.records);
    expect([...folded.params]).toEqual([["lr", "0.1"]]);
    expect(folded.end).toBeUndefined();
  });
});

/**
 * The run index answers every search exactly as folding the journals does, order and pages
 * included: for random runs (keys, steps, NaN/±Infinity, params, tags, `__proto__` keys), runs
 * that ended, runs still open, runs that crashed with or without a torn last line, runs logged
 * through the Tracker (whose rows the writer adds), and after more is appended (warm) or in a
 * new store instance (cold, from the saved index).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, expect, it } from "vitest";
import { crc32 } from "../../src/log/crc.js";
import { readLock, lockIsStale } from "../../src/log/lock.js";
import { readJournal } from "../../src/log/segments.js";
import { decodeMetricValue, encodeMetricValue } from "../../src/log/record.js";
import type { RunRecord } from "../../src/model/types.js";
import { LocalQueries } from "../../src/queries.js";
import { LocalStore } from "../../src/store/local-store.js";
import { searchRunRecordsPage, type SearchRunsPageOptions } from "../../src/store/paging.js";
import { Tracker } from "../../src/tracker.js";

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-index-prop-"));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

type Rec = { t: "m"; k: string; v: number; st: number; ts: number } | { t: "p" | "t"; k: string; v: string; ts: number };
type Fate = "FINISHED" | "FAILED" | "open" | "crashed" | "torn";
interface RunSpec {
  readonly start: number;
  readonly records: Rec[];
  readonly fate: Fate;
  readonly more: Rec[];
  readonly laterFate: Fate;
}

const key = fc.constantFrom("acc", "loss", "f1", "__proto__", "a.b");
const value = fc.oneof(fc.double({ noDefaultInfinity: false }), fc.constantFrom(0.5, 0.95, Number.NaN, Infinity, -Infinity, 0));
const rec: fc.Arbitrary<Rec> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant("m" as const), k: key, v: value, st: fc.integer({ min: 0, max: 4 }), ts: fc.integer({ min: 0, max: 3 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constantFrom("p" as const, "t" as const),
      k: fc.constantFrom("opt", "depth", "team", "__proto__", "mlflow.runName"),
      v: fc.constantFrom("adam", "sgd", "3", "b", ""),
      ts: fc.constant(1),
    }),
  },
);
const fate = fc.constantFrom<Fate>("FINISHED", "FAILED", "open", "crashed", "torn");
const runSpec: fc.Arbitrary<RunSpec> = fc.record({
  start: fc.integer({ min: 0, max: 5 }),
  records: fc.array(rec, { maxLength: 8 }),
  fate,
  more: fc.array(rec, { maxLength: 4 }),
  laterFate: fate,
});
const query: fc.Arbitrary<SearchRunsPageOptions> = fc.record({
  filter: fc.constantFrom(
    undefined,
    "metrics.acc > 0.5",
    "params.opt = 'adam'",
    "tags.team = 'b' and params.depth = '3'",
    "attributes.status = 'FINISHED'",
    "attributes.start_time >= 3",
    "metrics.loss IS NULL",
    "attributes.status != 'RUNNING'",
  ),
  orderBy: fc.constantFrom(undefined, ["metrics.loss"], ["metrics.acc DESC"], ["params.opt"], ["attributes.start_time ASC"], ["tags.team DESC", "metrics.f1"]),
  maxResults: fc.integer({ min: 1, max: 4 }),
});

function line(json: string): string {
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
}

function recJson(r: Rec, s: number): string {
  if (r.t === "m") return `{"s":${s},"t":"m","k":${JSON.stringify(r.k)},"v":${encodeMetricValue(r.v)},"ts":${r.ts},"st":${r.st}}`;
  return `{"s":${s},"t":"${r.t}","k":${JSON.stringify(r.k)},"v":${JSON.stringify(r.v)},"ts":${r.ts}}`;
}

/** Writes a run's files directly, as a writer in that state would have left them. */
class RawRun {
  seq = 0;
  constructor(readonly dir: string) {}
  append(records: readonly Rec[], fateNow: Fate): void {
    const file = path.join(this.dir, "journal", "0000000000000001.jsonl");
    let text = records.map((r) => line(recJson(r, ++this.seq))).join("");
    if (fateNow === "FINISHED" || fateNow === "FAILED") text += line(`{"s":${++this.seq},"t":"end","status":"${fateNow}","ts":9}`);
    // A torn tail is cut before anything more is appended (recovery does that).
    const old = fs.readFileSync(file, "utf8");
    const good = old.slice(0, old.lastIndexOf("\n") + 1);
    fs.writeFileSync(file, good + text + (fateNow === "torn" ? '1234abcd {"s":' : ""));
    const lock = path.join(this.dir, "writer.lock");
    if (fateNow === "open") fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), since: 0 }));
    else fs.rmSync(lock, { force: true });
  }
}

/** The oracle: fold each run's journal with MLflow's rules, straight from the files. */
async function foldAll(root: string, experimentId: string): Promise<RunRecord[]> {
  const runsDir = path.join(root, "experiments", experimentId, "runs");
  const out: RunRecord[] = [];
  for (const runId of fs.readdirSync(runsDir)) {
    const dir = path.join(runsDir, runId);
    if (!fs.existsSync(path.join(dir, "run.json"))) continue;
    const meta = JSON.parse(fs.readFileSync(path.join(dir, "run.json"), "utf8")) as { name: string; startTime: number; status: string; endTime?: number };
    const { records } = await readJournal(path.join(dir, "journal"));
    const params = new Map<string, string>();
    const tags = new Map<string, string>();
    const latest = new Map<string, { v: number; st: number; ts: number }>();
    let end: { status: string; ts: number } | undefined;
    for (const r of records) {
      if (r.t === "p" && !params.has(r.k)) params.set(r.k, r.v);
      if (r.t === "t") tags.set(r.k, r.v);
      if (r.t === "end") end = { status: r.status, ts: r.ts };
      if (r.t === "m") {
        const v = decodeMetricValue(r.v);
        const p = latest.get(r.k);
        const newer = p === undefined || (r.st !== p.st ? r.st > p.st : r.ts !== p.ts ? r.ts > p.ts : !Number.isNaN(p.v) && (Number.isNaN(v) || v >= p.v));
        if (newer) latest.set(r.k, { v, st: r.st, ts: r.ts });
      }
    }
    let status = end?.status ?? meta.status;
    let crashed = false;
    if (status === "RUNNING") {
      const owner = await readLock(path.join(dir, "writer.lock"));
      if (owner === undefined || lockIsStale(owner)) [status, crashed] = ["KILLED", true];
    }
    const own = <V>(m: Map<string, V>): Record<string, V> => {
      const o: Record<string, V> = {};
      for (const [k, v] of m) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
      return o;
    };
    const endTime = end?.ts ?? meta.endTime;
    out.push({
      info: {
        runId,
        experimentId,
        name: tags.get("mlflow.runName") ?? meta.name,
        status: status as RunRecord["info"]["status"],
        startTime: meta.startTime,
        ...(endTime === undefined ? {} : { endTime }),
        ...(crashed ? { crashed } : {}),
      },
      data: { params: own(params), metrics: own(new Map([...latest].map(([k, p]) => [k, p.v]))), tags: own(tags) },
    });
  }
  return out;
}

/** Every page of a search, through the index and through the oracle. */
async function allPages(q: LocalQueries, oracle: RunRecord[], opts: SearchRunsPageOptions): Promise<{ got: RunRecord[][]; want: RunRecord[][] }> {
  const got: RunRecord[][] = [];
  const want: RunRecord[][] = [];
  for (let token: string | undefined, n = 0; n === 0 || token !== undefined; n++) {
    const page = await q.searchRunsPage(["prop"], { ...opts, pageToken: token });
    got.push(page.runs);
    token = page.nextPageToken;
  }
  for (let token: string | undefined, n = 0; n === 0 || token !== undefined; n++) {
    const page = searchRunRecordsPage(oracle, { ...opts, pageToken: token });
    want.push(page.runs);
    token = page.nextPageToken;
  }
  return { got, want };
}

it("searches through the index equal searches over folded journals, pages included", async () => {
  let round = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(runSpec, { maxLength: 7 }),
      fc.array(fc.record({ metrics: fc.array(fc.tuple(key, value, fc.integer({ min: 0, max: 3 })), { maxLength: 4 }), end: fc.boolean() }), { maxLength: 2 }),
      fc.array(query, { minLength: 1, maxLength: 3 }),
      async (specs, tracked, queries) => {
        const root = path.join(tmp, String(round++));
        const store = await LocalStore.open(root);
        const exp = await store.getOrCreateExperiment("prop");
        const raws: RawRun[] = [];
        for (const [i, spec] of specs.entries()) {
          const runId = `0000000000000000000000000000${String(i).padStart(4, "0")}`;
          const paths = await store.createRunDir(exp.experimentId, runId);
          await store.writeRunMeta(paths, {
            format: "mltrail-run",
            version: 1,
            runId,
            experimentId: exp.experimentId,
            name: `r${i}`,
            startTime: spec.start,
            status: "RUNNING",
          });
          fs.writeFileSync(path.join(paths.journal, "0000000000000001.jsonl"), "");
          const raw = new RawRun(paths.dir);
          raw.append(spec.records, spec.fate);
          raws.push(raw);
        }
        const tracker = new Tracker({ trackingUri: root, experiment: "prop", captureContext: false, handleExit: false });
        try {
          for (const t of tracked) {
            const run = await tracker.startRun({ params: { opt: "adam" } });
            for (const [k, v, step] of t.metrics) run.logMetric(k, v, { step });
            if (t.end) await run.end();
          }
          await tracker.flush();
          const q = new LocalQueries(await LocalStore.open(root));
          for (const opts of queries) {
            const { got, want } = await allPages(q, await foldAll(root, exp.experimentId), opts);
            expect(got).toEqual(want);
          }
          // More is appended; the same store (warm) and a new one (cold, from the saved index) agree.
          specs.forEach((spec, i) => {
            if (spec.fate === "open" || spec.fate === "crashed" || spec.fate === "torn") raws[i]?.append(spec.more, spec.laterFate);
          });
          for (const queriesOf of [q, new LocalQueries(await LocalStore.open(root))]) {
            for (const opts of queries) {
              const { got, want } = await allPages(queriesOf, await foldAll(root, exp.experimentId), opts);
              expect(got).toEqual(want);
            }
          }
        } finally {
          await tracker.close();
        }
      },
    ),
    { numRuns: 40 },
  );
}, 240_000);

/**
 * The run journal: round trip, torn-tail recovery at every byte offset, corruption reporting,
 * segment rotation, durability modes and group commit.
 */
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { JournalWriter, recoverJournal, type JournalWriterOptions } from "../../src/log/journal.js";
import { crc32 } from "../../src/log/crc.js";
import { endJson, keyValueJson, metricJson, type JournalRecord } from "../../src/log/record.js";
import { listSegments, readJournal, segmentName } from "../../src/log/segments.js";

let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-journal-"));
});

afterEach(() => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const INTERVAL: JournalWriterOptions = { durability: "interval", fsyncIntervalMs: 60_000 };

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A record and the JSON line the hot path would build for it. */
interface Entry {
  readonly json: string;
  readonly expected: JournalRecord;
}

function metric(s: number, k: string, v: number, ts: number, st: number): Entry {
  return { json: metricJson(s, JSON.stringify(k), v, ts, st), expected: { s, t: "m", k, v, ts, st } };
}
function param(s: number, k: string, v: string, ts: number): Entry {
  return { json: keyValueJson(s, "p", JSON.stringify(k), v, ts), expected: { s, t: "p", k, v, ts } };
}
function tag(s: number, k: string, v: string, ts: number): Entry {
  return { json: keyValueJson(s, "t", JSON.stringify(k), v, ts), expected: { s, t: "t", k, v, ts } };
}

/** A record whose every field is compared exactly (metric values with Object.is: NaN, -0). */
function sameRecord(actual: JournalRecord | undefined, expected: JournalRecord): boolean {
  if (actual === undefined) return false;
  if (actual.t === "m" && expected.t === "m") {
    return actual.s === expected.s && actual.k === expected.k && Object.is(actual.v, expected.v) && actual.ts === expected.ts && actual.st === expected.st;
  }
  return JSON.stringify(actual) === JSON.stringify(expected);
}

const show = (v: unknown): string => (Object.is(v, -0) ? "-0" : String(v));

function expectRecords(actual: readonly JournalRecord[], expected: readonly JournalRecord[]): void {
  const bad: string[] = [];
  if (actual.length !== expected.length) bad.push(`length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as JournalRecord;
    if (!sameRecord(actual[i], e))
      bad.push(
        `#${i}: got ${String(JSON.stringify(actual[i]))} (v=${show((actual[i] as { v?: unknown } | undefined)?.v)}) want ${JSON.stringify(e)} (v=${show((e as { v?: unknown }).v)})`,
      );
    if (bad.length > 5) break;
  }
  expect(bad).toEqual([]);
}

/** Writes entries (seq 1..n) in one group commit and closes the writer. */
async function writeAll(dir: string, entries: readonly Entry[], opts: JournalWriterOptions = INTERVAL): Promise<void> {
  const { writer } = await JournalWriter.open(dir, opts);
  for (const e of entries) {
    expect(writer.nextSeq()).toBe(e.expected.s); // entries are numbered 1..n, as the writer numbers them
    writer.append(e.json, e.expected.s);
  }
  await writer.close();
}

const TS = 1_764_170_000_000;

/** Five records of all kinds; the last holds multi-byte UTF-8 so cuts land mid-character. */
function fiveRecords(): Entry[] {
  return [
    metric(1, "loss", 0.5, TS, 0),
    param(2, "lr", "0.001", TS + 1),
    tag(3, "note", 'line1\nline2 "quoted" \\ back', TS + 2),
    metric(4, "acc", 0.9, TS + 3, 7),
    tag(5, "名前", "損失 ünïcödé 😀 \u2028 end", TS + 4),
  ];
}

describe("round trip", () => {
  it("returns exactly what JournalWriter wrote, including special floats and odd strings", async () => {
    const values = [
      0,
      -0,
      1,
      -1,
      0.1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      1e-300,
      -1e-300,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      Number.MIN_VALUE,
      Number.EPSILON,
      2 ** 53,
      123456789.12345679,
    ];
    const entries: Entry[] = [];
    let s = 0;
    for (const v of values) entries.push(metric(++s, "m/値", v, TS + s, s * 3 - 10));
    entries.push(param(++s, "lr", "0.001", TS));
    entries.push(param(++s, "λ", "", TS));
    entries.push(tag(++s, "note", "multi\nline\r\ntext with \"quotes\" and 'single' and \\ and \t tab", TS));
    entries.push(tag(++s, "unicode", "损失 Ñ 😀 \u0000 \u2028\u2029", TS));
    entries.push({ json: endJson(++s, "FINISHED", TS + 99), expected: { s, t: "end", status: "FINISHED", ts: TS + 99 } });
    await writeAll(tmp, entries);

    const read = await readJournal(tmp);
    expect(read.corrupt).toEqual([]);
    expect(read.tailBytes).toBe(0);
    expect(read.lastSeq).toBe(s);
    expectRecords(
      read.records,
      entries.map((e) => e.expected),
    );
  });

  it("writes one `<crc32 hex> <json>` line per record", async () => {
    await writeAll(tmp, fiveRecords());
    const segs = await listSegments(tmp);
    expect(segs.map((x) => x.name)).toEqual([segmentName(1)]);
    const lines = fs.readFileSync(path.join(tmp, segmentName(1)), "utf8").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(line).toMatch(/^[0-9a-f]{8} \{.*\}$/su);
      expect(line.slice(0, 8)).toBe(
        crc32(Buffer.from(line.slice(9), "utf8"))
          .toString(16)
          .padStart(8, "0"),
      );
    }
  });
});

describe("torn tail", () => {
  it("recovers to the exact prefix for a cut at every byte offset of the last record", async () => {
    const entries = fiveRecords();
    const N = entries.length;
    const source = path.join(tmp, "source");
    await writeAll(source, entries);
    const full = fs.readFileSync(path.join(source, segmentName(1)));
    const lastStart = full.lastIndexOf(0x0a, full.length - 2) + 1;
    expect(lastStart).toBeGreaterThan(0);
    const prefix = full.subarray(0, lastStart);
    const expectedPrefix = entries.slice(0, N - 1).map((e) => e.expected);

    const failures: string[] = [];
    for (let len = lastStart; len < full.length; len++) {
      const dir = path.join(tmp, `cut-${len}`);
      fs.mkdirSync(dir);
      const file = path.join(dir, segmentName(1));
      fs.writeFileSync(file, full.subarray(0, len));

      const report = await recoverJournal(dir);
      if (report.lastSeq !== N - 1) failures.push(`len ${len}: lastSeq ${report.lastSeq}`);
      if (report.truncatedBytes !== len - lastStart) failures.push(`len ${len}: truncatedBytes ${report.truncatedBytes}`);
      if (report.corrupt.length !== 0) failures.push(`len ${len}: corrupt ${JSON.stringify(report.corrupt)}`);
      if (!fs.readFileSync(file).equals(prefix)) failures.push(`len ${len}: file is not the exact prefix`);

      const read = await readJournal(dir);
      if (read.records.length !== N - 1 || !read.records.every((r, i) => sameRecord(r, expectedPrefix[i] as JournalRecord))) {
        failures.push(`len ${len}: records after recovery differ`);
      }

      // A writer reopened on it continues at seq N with no gap.
      const { writer, recovery } = await JournalWriter.open(dir, INTERVAL);
      if (writer.seq !== N - 1 || recovery.lastSeq !== N - 1) failures.push(`len ${len}: reopened at seq ${writer.seq}`);
      const s = writer.nextSeq();
      const next = metric(s, "after", 42, TS + 100, 1);
      writer.append(next.json, s);
      await writer.close();
      const again = await readJournal(dir);
      const seqs = again.records.map((r) => r.s);
      if (JSON.stringify(seqs) !== JSON.stringify([1, 2, 3, 4, 5].slice(0, N))) failures.push(`len ${len}: seqs ${JSON.stringify(seqs)}`);
      if (!sameRecord(again.records[N - 1], next.expected)) failures.push(`len ${len}: appended record differs`);
      if (again.corrupt.length !== 0 || again.tailBytes !== 0) failures.push(`len ${len}: damaged after append`);
    }
    expect(failures).toEqual([]);
    // Every byte of the last line was tried: from the line start up to just before its newline.
    expect(full.length - lastStart).toBeGreaterThan(20);
  });

  it.each([
    ["NUL bytes (preallocated blocks)", Buffer.alloc(4096, 0)],
    ["garbage without a newline", Buffer.from('deadbeef {"s":6,"t":"m"')],
    ["garbage lines with newlines", Buffer.concat([Buffer.from("not a record\n"), Buffer.alloc(10, 0), Buffer.from("\n12345678 {}\n")])],
  ])("treats %s after the last good line as a torn tail", async (_name, garbage) => {
    const entries = fiveRecords();
    await writeAll(tmp, entries);
    const file = path.join(tmp, segmentName(1));
    const good = fs.readFileSync(file);
    fs.appendFileSync(file, garbage);

    const before = await readJournal(tmp);
    expect(before.corrupt).toEqual([]);
    expect(before.tailBytes).toBe(garbage.length);
    expectRecords(
      before.records,
      entries.map((e) => e.expected),
    );

    const report = await recoverJournal(tmp);
    expect(report).toEqual({ truncatedBytes: garbage.length, corrupt: [], lastSeq: 5 });
    expect(fs.readFileSync(file).equals(good)).toBe(true);
  });
});

describe("corruption mid-file", () => {
  it("reports a flipped byte anywhere in the middle record (segment, line) and keeps the records around it", async () => {
    const entries = fiveRecords();
    await writeAll(tmp, entries);
    const file = path.join(tmp, segmentName(1));
    const original = fs.readFileSync(file);
    const starts = [0];
    for (let i = 0; i < original.length - 1; i++) if (original[i] === 0x0a) starts.push(i + 1);
    const midStart = starts[2] as number;
    const midEnd = (starts[3] as number) - 1; // the newline of line 3
    const survivors = entries.filter((e) => e.expected.s !== 3).map((e) => e.expected);

    const failures: string[] = [];
    for (let at = midStart; at < midEnd; at++) {
      const damaged = Buffer.from(original);
      damaged[at] = (damaged[at] as number) ^ 0xff;
      fs.writeFileSync(file, damaged);

      const read = await readJournal(tmp);
      const corrupt = read.corrupt.map((c) => `${c.segment}:${c.line}:${c.offset}`);
      if (JSON.stringify(corrupt) !== JSON.stringify([`${segmentName(1)}:3:${midStart}`])) failures.push(`byte ${at}: corrupt ${JSON.stringify(corrupt)}`);
      if (read.records.length !== 4 || !read.records.every((r, i) => sameRecord(r, survivors[i] as JournalRecord))) failures.push(`byte ${at}: records differ`);

      const report = await recoverJournal(tmp);
      if (report.truncatedBytes !== 0 || report.lastSeq !== 5) failures.push(`byte ${at}: recovery ${JSON.stringify(report)}`);
      if (report.corrupt.length !== 1 || report.corrupt[0]?.line !== 3) failures.push(`byte ${at}: recovery did not report line 3`);
      if (!fs.readFileSync(file).equals(damaged)) failures.push(`byte ${at}: recovery modified the file`);
    }
    expect(failures).toEqual([]);
  });

  it("reports a destroyed line break as corruption, not as a torn tail", async () => {
    const entries = fiveRecords();
    await writeAll(tmp, entries);
    const file = path.join(tmp, segmentName(1));
    const damaged = fs.readFileSync(file);
    let newlines = 0;
    const third = damaged.findIndex((b) => b === 0x0a && ++newlines === 3);
    damaged[third] = 0x41;
    fs.writeFileSync(file, damaged);

    const read = await readJournal(tmp);
    expect(read.corrupt.map((c) => c.line)).toEqual([3]);
    expect(read.records.map((r) => r.s)).toEqual([1, 2, 5]);
    const report = await recoverJournal(tmp);
    expect(report.truncatedBytes).toBe(0);
    expect(report.lastSeq).toBe(5);
    expect(fs.readFileSync(file).equals(damaged)).toBe(true);
  });
});

describe("segments", () => {
  it("rotates past segmentBytes, keeps order, reopens at the right seq, and readJournal(fromSeq) skips earlier segments", async () => {
    let rotations = 0;
    const opts: JournalWriterOptions = { ...INTERVAL, segmentBytes: 300, onRotate: () => rotations++ };
    const { writer } = await JournalWriter.open(tmp, opts);
    const expected: JournalRecord[] = [];
    for (let batch = 0; batch < 20; batch++) {
      for (let j = 0; j < 3; j++) {
        const s = writer.nextSeq();
        const e = metric(s, `k${j}`, s / 7, TS + s, batch);
        expected.push(e.expected);
        writer.append(e.json, s);
      }
      await turn();
    }
    await writer.close();

    const segs = await listSegments(tmp);
    expect(segs.length).toBeGreaterThan(5);
    expect(rotations).toBe(segs.length - 1); // each sealed segment announced (long runs build point files then)
    expect(segs[0]?.name).toBe(segmentName(1));
    for (let i = 1; i < segs.length; i++) expect((segs[i] as { firstSeq: number }).firstSeq).toBeGreaterThan((segs[i - 1] as { firstSeq: number }).firstSeq);
    const all = await readJournal(tmp);
    expect(all.corrupt).toEqual([]);
    expect(all.lastSeq).toBe(60);
    expectRecords(all.records, expected);

    // Damage the first segment: a read from a later seq must not even look at it.
    const firstFile = path.join(tmp, segmentName(1));
    const bytes = fs.readFileSync(firstFile);
    bytes[12] = (bytes[12] as number) ^ 0xff;
    fs.writeFileSync(firstFile, bytes);
    const fromSeq = (segs[3] as { firstSeq: number }).firstSeq + 1;
    const later = await readJournal(tmp, fromSeq);
    expect(later.corrupt).toEqual([]);
    expectRecords(
      later.records,
      expected.filter((r) => r.s >= fromSeq),
    );
    expect((await readJournal(tmp)).corrupt.length).toBeGreaterThan(0);

    const { writer: reopened } = await JournalWriter.open(tmp, opts);
    expect(reopened.seq).toBe(60);
    await reopened.close();
  });
});

describe("durability", () => {
  it('"always" fsyncs every group commit', async () => {
    const fsyncs = vi.spyOn(fs, "fsyncSync");
    syncBuiltinESMExports();
    const { writer } = await JournalWriter.open(tmp, { durability: "always", fsyncIntervalMs: 60_000 });
    for (let t = 1; t <= 3; t++) {
      const before = fsyncs.mock.calls.length;
      const s = writer.nextSeq();
      writer.append(metric(s, "m", t, TS, t).json, s);
      expect(writer.syncedSeq).toBe(s - 1);
      await turn();
      expect(writer.writtenSeq).toBe(s);
      expect(writer.syncedSeq).toBe(s);
      expect(fsyncs.mock.calls.length).toBeGreaterThan(before);
    }
    await writer.close();
  });

  it('"interval" fsyncs within the interval, not at each commit', async () => {
    // The fsync timer runs on a fake clock, so a slow machine cannot make it fire early.
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const { writer } = await JournalWriter.open(tmp, { durability: "interval", fsyncIntervalMs: 25 });
      for (let i = 0; i < 10; i++) {
        const s = writer.nextSeq();
        writer.append(metric(s, "m", i, TS, i).json, s);
      }
      await turn();
      expect(writer.writtenSeq).toBe(10);
      vi.advanceTimersByTime(24);
      expect(writer.syncedSeq).toBe(0); // written at the commit, not yet fsynced
      vi.advanceTimersByTime(1);
      await vi.waitFor(() => expect(writer.syncedSeq).toBe(10)); // the fsync itself runs off the main thread
      await writer.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("fsyncs the paths of alsoSync in the journal's next fsync round, once, and not again on close", async () => {
    const opened: string[] = [];
    const openSync = fs.openSync.bind(fs);
    vi.spyOn(fs, "openSync").mockImplementation((file, flags, mode) => {
      if (flags === "r") opened.push(String(file));
      return openSync(file, flags, mode);
    });
    const fsyncs = vi.spyOn(fs, "fsync");
    const fsyncSyncs = vi.spyOn(fs, "fsyncSync");
    syncBuiltinESMExports();
    const { writer } = await JournalWriter.open(tmp, INTERVAL);
    const other = path.join(tmp, "run.json");
    fs.writeFileSync(other, "{}");
    writer.alsoSync([tmp, other]);
    const s = writer.nextSeq();
    writer.append(metric(s, "m", 1, TS, 1).json, s);
    await writer.flush();
    expect(writer.syncedSeq).toBe(s);
    expect(opened).toEqual([tmp, other]);
    expect(fsyncs).toHaveBeenCalledTimes(3); // the journal and both paths, in parallel
    await writer.flush(); // nothing new: no fsync
    await writer.close();
    expect(fsyncs).toHaveBeenCalledTimes(3);
    expect(fsyncSyncs).not.toHaveBeenCalled(); // close() did not fsync a second time
  });
});

describe("appendMetric", () => {
  it("numbers its records in the writer's sequence and reads back as metricJson's", async () => {
    const { writer } = await JournalWriter.open(tmp, INTERVAL);
    const s1 = writer.nextSeq();
    writer.append(tag(s1, "team", "a", TS).json, s1);
    expect(writer.appendMetric(JSON.stringify("loss"), 0.25, TS, 3)).toBe(2);
    expect(writer.appendMetric(JSON.stringify("损失"), Number.NaN, TS + 1, -4)).toBe(3);
    await writer.close();
    expectRecords((await readJournal(tmp)).records, [
      tag(1, "team", "a", TS).expected,
      metric(2, "loss", 0.25, TS, 3).expected,
      metric(3, "损失", Number.NaN, TS + 1, -4).expected,
    ]);
  });

  it("writes metric records held until the commit in sequence order among text records of the same turn, past a full batch", async () => {
    const writes = vi.spyOn(fs, "writeSync");
    syncBuiltinESMExports();
    const { writer } = await JournalWriter.open(tmp, INTERVAL);
    const baseline = writes.mock.calls.length;
    const expected: JournalRecord[] = [];
    const total = 70_000; // more than one batch of held records (65,536)
    for (let i = 0; i < total; i++) {
      // Two tags, with 69,991 metrics in a row between them: a batch fills mid-turn.
      if (i === 5 || i === total - 3) {
        const s = writer.nextSeq();
        const t = tag(s, `t${i}`, String(i), TS);
        writer.append(t.json, s);
        expected.push(t.expected);
      } else {
        const v = i % 5 === 0 ? Number.NaN : i / 3;
        const s = writer.appendMetric(JSON.stringify(`m${i % 4}`), v, TS + (i >> 3), i >> 2);
        expected.push(metric(s, `m${i % 4}`, v, TS + (i >> 3), i >> 2).expected);
      }
    }
    expect(writer.pendingCount).toBe(total);
    expect(writer.writtenSeq).toBe(0);
    await turn();
    expect(writes.mock.calls.length - baseline).toBe(1);
    expect(writer.writtenSeq).toBe(total);
    expect(writer.pendingCount).toBe(0);
    await writer.close();
    const read = await readJournal(tmp);
    expect(read.corrupt).toEqual([]);
    expectRecords(read.records, expected);
  });
});

describe("group commit", () => {
  it("writes 1000 appends of one synchronous turn with a single write, at the end of the turn", async () => {
    const writes = vi.spyOn(fs, "writeSync");
    syncBuiltinESMExports();
    const { writer } = await JournalWriter.open(tmp, INTERVAL);
    const file = path.join(tmp, segmentName(1));
    const baseline = writes.mock.calls.length;
    for (let i = 0; i < 1000; i++) {
      const s = writer.nextSeq();
      writer.append(metric(s, "m", i, TS + i, i).json, s);
    }
    expect(writer.pendingCount).toBe(1000);
    expect(fs.statSync(file).size).toBe(0);
    expect(writes.mock.calls.length).toBe(baseline);
    await turn();
    expect(writes.mock.calls.length - baseline).toBe(1);
    expect(writer.writtenSeq).toBe(1000);
    const read = await readJournal(tmp);
    expect(read.records.map((r) => r.s)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    await writer.close();
  });
});

describe("commitIntervalMs", () => {
  it("gathers records across turns and writes them together after the interval; flush writes at once", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-commit-interval-"));
    try {
      const { writer } = await JournalWriter.open(dir, { durability: "interval", fsyncIntervalMs: 1000, commitIntervalMs: 80 });
      const put = (n: number): void => {
        const s = writer.nextSeq();
        writer.append(`{"s":${s},"t":"t","k":"k${n}","v":"x","ts":1}`, s);
      };
      // The interval runs on a fake clock: how long a loaded machine takes between turns does not matter.
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      put(1);
      await new Promise((r) => setImmediate(r));
      put(2);
      await new Promise((r) => setImmediate(r));
      vi.advanceTimersByTime(79);
      expect(writer.writtenSeq).toBe(0); // two turns and 79 ms passed, nothing written yet
      vi.advanceTimersByTime(1);
      expect(writer.writtenSeq).toBe(2);
      vi.useRealTimers();
      expect((await readJournal(dir)).records.map((r) => r.s)).toEqual([1, 2]);
      put(3);
      await writer.flush();
      expect(writer.writtenSeq).toBe(3);
      await writer.close();
    } finally {
      vi.useRealTimers();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

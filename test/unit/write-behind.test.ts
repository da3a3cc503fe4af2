/**
 * The writer thread (write-behind.ts): once it takes a journal's writes, the logging thread
 * makes no write system call; the files hold every record in order (rotation, several
 * journals at once, a ring that wraps, commits too big for it), `flush()` and reads wait for
 * it, and `writtenSeq` counts only what it wrote.
 */
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { JournalWriter, type JournalWriterOptions } from "../../src/log/journal.js";
import { keyValueJson } from "../../src/log/record.js";
import { listSegments, readJournal } from "../../src/log/segments.js";
import { until } from "../support/wait.js";

let tmp: string;
const writers: JournalWriter[] = [];

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-behind-"));
});

afterEach(async () => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
  for (const w of writers.splice(0)) await w.close().catch(() => undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const THREAD: JournalWriterOptions = { durability: "interval", fsyncIntervalMs: 60_000, writerThread: true, writerThreadAfter: 1 };
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function open(name: string, opts: Partial<JournalWriterOptions> = {}): Promise<JournalWriter> {
  const { writer } = await JournalWriter.open(path.join(tmp, name), { ...THREAD, ...opts });
  writers.push(writer);
  return writer;
}

/** Logs `turns` turns of `perTurn` metrics to each writer, record n (from 1) with the value n - 0.5. */
async function logTurns(ws: JournalWriter[], turns: number, perTurn: number, from = 0): Promise<void> {
  for (let t = from; t < from + turns; t++) {
    for (const w of ws) for (let i = 0; i < perTurn; i++) w.appendMetric(`"m${i}"`, t * perTurn + i + 0.5, 1_700_000_000_000 + t, t);
    await turn();
  }
}

async function expectAll(w: JournalWriter, count: number, perTurn: number): Promise<void> {
  const { records } = await readJournal(w.dir);
  expect(records.map((r) => r.s)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  expect(records.map((r) => (r.t === "m" ? r.v : Number.NaN))).toEqual(Array.from({ length: count }, (_, i) => i + 0.5));
  expect(records.every((r) => r.t === "m" && r.k === `m${(r.s - 1) % perTurn}`)).toBe(true);
}

describe("the writer thread", () => {
  it("takes the writes off the logging thread; writtenSeq follows what it wrote", async () => {
    const w = await open("a");
    await logTurns([w], 2, 10); // writerThreadAfter 1: the thread takes every commit
    await until("the thread wrote the first turns", () => w.writtenSeq === 20, 60_000, 5);
    const writes = vi.spyOn(fs, "writeSync");
    syncBuiltinESMExports();
    await logTurns([w], 200, 10, 2);
    expect(writes).not.toHaveBeenCalled();
    await until("the thread wrote every turn", () => w.writtenSeq === w.seq, 60_000, 5);
    await expectAll(w, 2020, 10);
  });

  it("flush() resolves once the thread wrote and the file was fsynced", async () => {
    const w = await open("a");
    await logTurns([w], 50, 10);
    for (let i = 0; i < 10; i++) w.appendMetric(`"m${i}"`, 500 + i + 0.5, 1, 50);
    await w.flush();
    expect(w.writtenSeq).toBe(510);
    expect(w.syncedSeq).toBe(510);
    await expectAll(w, 510, 10);
  });

  it("writeThroughSync() leaves every record in the file for a reader", async () => {
    const w = await open("a");
    await logTurns([w], 30, 10);
    for (let i = 0; i < 10; i++) w.appendMetric(`"m${i}"`, 300 + i + 0.5, 1, 30);
    w.writeThroughSync();
    expect(w.writtenSeq).toBe(310);
    await expectAll(w, 310, 10);
  });

  it("rotates segments without losing or reordering a record", async () => {
    const w = await open("a", { segmentBytes: 8 * 1024 });
    await logTurns([w], 300, 10);
    await w.close();
    expect((await listSegments(w.dir)).length).toBeGreaterThan(5);
    await expectAll(w, 3000, 10);
  });

  it("writes several journals at once, each in its own order", async () => {
    const ws = await Promise.all(["a", "b", "c"].map((n) => open(n)));
    await logTurns(ws, 200, 7);
    for (const w of ws) await w.close();
    for (const w of ws) await expectAll(w, 1400, 7);
  });

  it("wraps around its ring, and writes a commit too big for it after the ring's own", async () => {
    const w = await open("a");
    await logTurns([w], 120, 1000); // about 11 MB through a 4 MiB ring
    await logTurns([w], 1, 20_000); // about 1.8 MB in one commit: written on this thread, after the ring's
    await logTurns([w], 20, 1000);
    await w.close();
    const { records } = await readJournal(w.dir);
    expect(records.length).toBe(160_000);
    expect(records.every((r, i) => r.s === i + 1)).toBe(true);
  });

  it("encodes metric records into the very bytes the logging thread writes without it", async () => {
    const specials = [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0,
      0,
      1e21,
      1e-7,
      2 ** 53,
      -(2 ** 60),
      0.1,
      -0.3,
      5e-324,
      Number.MAX_VALUE,
      1 / 3,
    ];
    const keys = ['"loss"', '"val/acc"', '"größe"', '"指標"', '"emoji 🚀"', '"a\\"b"'];
    const threaded = await open("threaded");
    const inline = await open("inline", { writerThread: false });
    for (let t = 0; t < 200; t++) {
      for (const w of [threaded, inline]) {
        for (let i = 0; i < 7; i++)
          w.appendMetric(
            keys[(t + i) % keys.length] as string,
            i === 0 ? (specials[t % specials.length] as number) : t * 0.7 + i / 9,
            1_700_000_000_000 + (t >> 2),
            t % 3 === 0 ? t : t * 1000,
          );
        if (t % 50 === 7) {
          const seq = w.nextSeq();
          w.append(keyValueJson(seq, "p", `"p${t}"`, "x", 1_700_000_000_000), seq); // a text line: that turn's commit goes over as lines
        }
      }
      await turn();
    }
    await until("the thread wrote every turn", () => threaded.writtenSeq === threaded.seq, 60_000, 5);
    await threaded.close();
    await inline.close();
    const bytes = async (w: JournalWriter): Promise<Buffer> => {
      const segments = await listSegments(w.dir);
      return Buffer.concat(segments.map((s) => fs.readFileSync(path.join(w.dir, s.name))));
    };
    const expected = await bytes(inline);
    expect(expected.length).toBeGreaterThan(100_000);
    expect((await bytes(threaded)).equals(expected)).toBe(true);
    expect((await readJournal(threaded.dir)).records).toHaveLength(1404);
  });

  it("is not used without writerThread, with durability always, or for a replicator's feed", async () => {
    const cases: Partial<JournalWriterOptions>[] = [{ writerThread: false }, { durability: "always" }, { feed: true }];
    for (const [i, opts] of cases.entries()) {
      const w = await open(`n${i}`, opts);
      await logTurns([w], 3, 5);
      expect(w.writtenSeq).toBe(15); // written on this thread at each turn's end
      await w.close();
      await expectAll(w, 15, 5);
    }
  });
});

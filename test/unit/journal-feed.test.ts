/**
 * The replicator's tail takes what this process just wrote from memory (src/log/journal-feed.ts)
 * and must read exactly what reading the journal gives: same records, same order, same values
 * bit for bit, across commits, rotations, reads of any size at any moment, a reopened journal,
 * and more records than the feed holds.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import fc from "fast-check";
import { afterEach, expect, it, vi } from "vitest";
import { JournalWriter } from "../../src/log/journal.js";
import type { JournalRecord } from "../../src/log/record.js";
import { keyValueJson, metricJson } from "../../src/log/record.js";
import { JournalTail } from "../../src/log/tail.js";

/** While set, counts the journal files the code under test opens and the folders it lists. */
let counting: { open: number; readdir: number } | undefined;
vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  return {
    ...real,
    open: (...args: Parameters<typeof real.open>) => {
      if (counting !== undefined) counting.open++;
      return real.open(...args);
    },
    readdir: (...args: Parameters<typeof real.readdir>) => {
      if (counting !== undefined) counting.readdir++;
      return (real.readdir as (...a: unknown[]) => unknown)(...args);
    },
  };
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function journalDir(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-feed-"));
  dirs.push(root);
  return path.join(root, "journal");
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Everything a tail reads until it has read through `lastSeq`. */
async function readAll(tail: JournalTail, lastSeq: number, maxBytes?: number): Promise<JournalRecord[]> {
  const out: JournalRecord[] = [];
  while (tail.cursor < lastSeq) {
    const { records, corrupt } = await tail.read(maxBytes);
    expect(corrupt).toEqual([]);
    out.push(...records);
    if (records.length === 0) await turn();
  }
  return out;
}

type Op = { kind: "metric"; key: string; value: number } | { kind: "param"; key: string } | { kind: "turn" } | { kind: "read"; bytes: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("metric" as const),
      key: fc.constantFrom("loss", "acc", "lr", "a/b"),
      value: fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0.1, 5e-324)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("param" as const), key: fc.constantFrom("opt", "depth") }) },
  { weight: 2, arbitrary: fc.constant({ kind: "turn" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("read" as const), bytes: fc.integer({ min: 1, max: 4000 }) }) },
);

it("reads what the file holds, whatever the commits, rotations and reads in between", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 120 }), fc.boolean(), async (ops, keep) => {
      const dir = journalDir();
      const { writer } = await JournalWriter.open(dir, { durability: "interval", fsyncIntervalMs: 60_000, segmentBytes: 2048, feed: keep });
      const fromMemory = new JournalTail(dir, 0, true);
      const taken: JournalRecord[] = [];
      let step = 0;
      for (const o of ops) {
        if (o.kind === "metric") writer.appendMetric(JSON.stringify(o.key), o.value, 1_700_000_000_000 + step, step++);
        else if (o.kind === "param") {
          const s = writer.nextSeq();
          writer.append(keyValueJson(s, "p", JSON.stringify(o.key), `v${s}`, 1_700_000_000_000), s);
        } else if (o.kind === "turn") await turn();
        else taken.push(...(await fromMemory.read(o.bytes)).records);
      }
      await writer.close();
      taken.push(...(await readAll(fromMemory, writer.writtenSeq)));
      const fromFile = await readAll(new JournalTail(dir, 0), writer.writtenSeq);
      expect(taken).toEqual(fromFile);
      expect(taken.map((r) => r.s)).toEqual(Array.from({ length: writer.writtenSeq }, (_, i) => i + 1));
    }),
    { numRuns: 80 },
  );
});

it("takes the rest of a chunk whose start a file read already passed", async () => {
  const dir = journalDir();
  const { writer } = await JournalWriter.open(dir, { durability: "interval", fsyncIntervalMs: 60_000 });
  const tail = new JournalTail(dir, 0, true);
  const metrics = async (from: number): Promise<void> => {
    for (let i = from; i < from + 10; i++) writer.appendMetric('"loss"', i, 1_700_000_000_000 + i, i);
    await turn();
  };
  await metrics(0);
  expect((await tail.read(1)).records).toEqual([]); // the tail now reads the feed: the next commits are held
  await metrics(10);
  await metrics(20);
  const lineBytes = fs.statSync(path.join(dir, fs.readdirSync(dir)[0] as string)).size / 30;
  // A file read through the first 25 lines ends inside the held chunk; the rest of it comes from memory.
  const first = await tail.read(Math.floor(lineBytes * 25.5));
  const rest = await tail.read();
  const seqs = [...first.records, ...rest.records].map((r) => r.s);
  expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  await writer.close();
});

it("takes the records from memory, not from the file", async () => {
  const dir = journalDir();
  const { writer } = await JournalWriter.open(dir, { durability: "interval", fsyncIntervalMs: 60_000, feed: true });
  const tail = new JournalTail(dir, 0, true);
  for (let i = 0; i < 50; i++) writer.appendMetric('"loss"', i / 3, 1_700_000_000_000 + i, i);
  await turn();
  expect(writer.writtenSeq).toBe(50);
  // Damage every byte written: only a reader that does not read the file still sees the records.
  const [segment] = fs.readdirSync(dir);
  const file = path.join(dir, segment as string);
  fs.writeFileSync(file, Buffer.alloc(fs.statSync(file).size, 0x41));
  const { records, corrupt } = await tail.read();
  expect(corrupt).toEqual([]);
  expect(records.map((r) => (r.t === "m" ? r.v : Number.NaN))).toEqual(Array.from({ length: 50 }, (_, i) => i / 3));
  expect((await new JournalTail(dir, 0).read()).records).toEqual([]);
  await writer.close();
});

it("reads the file for what the feed no longer holds, and after the journal is reopened", async () => {
  const dir = journalDir();
  const first = await JournalWriter.open(dir, { durability: "interval", fsyncIntervalMs: 60_000, segmentBytes: 1024 * 1024, feed: true });
  const tail = new JournalTail(dir, 0, true);
  // More records than the feed holds (100,000), written before the tail reads any.
  const n = 130_000;
  for (let i = 0; i < n; i++) {
    first.writer.appendMetric('"loss"', i, 1_700_000_000_000 + i, i);
    if (i % 10_000 === 9_999) await turn();
  }
  await first.writer.close();
  const second = await JournalWriter.open(dir, { durability: "interval", fsyncIntervalMs: 60_000, feed: true });
  for (let i = 0; i < 10; i++) second.writer.appendMetric('"acc"', i, 1_700_000_000_000 + i, i);
  await second.writer.close();
  const records = await readAll(tail, n + 10, 1024 * 1024);
  expect(records.map((r) => r.s)).toEqual(Array.from({ length: n + 10 }, (_, i) => i + 1));
  expect(records).toEqual(await readAll(new JournalTail(dir, 0), n + 10, 4 * 1024 * 1024));
});

it("at a closed journal's end, reads again only once the file grew, and follows a writer that opens it again", async () => {
  const dir = journalDir();
  const first = await JournalWriter.open(dir, { durability: "interval", fsyncIntervalMs: 60_000, feed: true });
  const tail = new JournalTail(dir, 0, true);
  for (let i = 0; i < 20; i++) first.writer.appendMetric('"loss"', i, 1_700_000_000_000 + i, i);
  await first.writer.close();
  expect((await readAll(tail, 20)).map((r) => r.s)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect((await tail.read()).records).toEqual([]); // at the end: the feed goes
  const reads = { open: 0, readdir: 0 };
  counting = reads;
  for (let i = 0; i < 5; i++) expect((await tail.read()).records).toEqual([]);
  expect(reads).toEqual({ open: 0, readdir: 0 }); // a stat each, no listing and no read
  // A record appended by anyone is read once the file grew.
  const file = path.join(dir, fs.readdirSync(dir)[0] as string);
  const json = metricJson(21, '"loss"', 99, 1_700_000_000_100, 99);
  fs.appendFileSync(file, `${zlib.crc32(json).toString(16).padStart(8, "0")} ${json}\n`);
  expect((await tail.read()).records.map((r) => r.s)).toEqual([21]);
  counting = undefined;
  // A writer of this process that opens the journal again has a new feed, which the tail follows.
  const second = await JournalWriter.open(dir, { durability: "interval", fsyncIntervalMs: 60_000, feed: true });
  for (let i = 0; i < 5; i++) second.writer.appendMetric('"acc"', i, 1_700_000_000_000 + i, i);
  await second.writer.close();
  expect((await readAll(tail, 26)).map((r) => r.s)).toEqual([22, 23, 24, 25, 26]);
  expect((await readAll(new JournalTail(dir, 0), 26)).map((r) => r.s)).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
});

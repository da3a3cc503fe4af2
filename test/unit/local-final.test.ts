/**
 * The end-of-run check's view of the local log: folded by the replicator from the records it
 * reads (plus whatever was written after its last read) it is exactly what reading the whole
 * journal gives; and it is not used when the fold did not see the run from its first record
 * or when the server rejected records. The artifact manifest folded the same way is what reading
 * the journal gives.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterEach, expect, it } from "vitest";
import { JournalWriter } from "../../src/log/journal.js";
import { endJson, keyValueJson, resumeJson } from "../../src/log/record.js";
import { JournalTail } from "../../src/log/tail.js";
import { manifestOf } from "../../src/remote/artifact-sync.js";
import { readLocalFinal, ReplicatedFinal } from "../../src/remote/local-final.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

type Entry = { t: "m" | "p" | "t" | "a"; k: string; v: number } | { t: "end" | "resume" };
type KeyValue = Extract<Entry, { k: string }>;

const entry: fc.Arbitrary<Entry> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constantFrom("m" as const, "p" as const, "t" as const, "a" as const),
      k: fc.constantFrom("a", "b", "c", "lr"),
      v: fc.integer({ min: 0, max: 9 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom("end" as const, "resume" as const) }) },
);

async function writeJournal(journalDir: string, entries: readonly Entry[]): Promise<void> {
  const { writer } = await JournalWriter.open(journalDir, { durability: "interval", fsyncIntervalMs: 60_000 });
  entries.forEach((e, i) => {
    const ts = 1_700_000_000_000 + i;
    if (e.t === "end" || e.t === "resume") {
      const s = writer.nextSeq();
      writer.append(e.t === "end" ? endJson(s, "FINISHED", ts) : resumeJson(s, ts), s);
      return;
    }
    const { t, k, v } = e as KeyValue;
    if (t === "m") writer.appendMetric(JSON.stringify(k), v, ts, i);
    else if (t === "a") {
      const s = writer.nextSeq();
      writer.append(JSON.stringify({ s, t: "a", p: `files/${k}.bin`, sha256: String(v).repeat(64), size: v, ts }), s);
    } else {
      const s = writer.nextSeq();
      writer.append(keyValueJson(s, t, JSON.stringify(k), String(v), ts), s);
    }
  });
  await writer.close();
}

function plain(f: Awaited<ReturnType<typeof readLocalFinal>>): unknown {
  return { params: [...f.params], tags: [...f.tags], metricKeys: [...f.metricKeys].sort(), end: f.end };
}

it("equals the whole journal's final state, records written after the replicator's last read included", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 60 }), fc.nat(), async (entries, cut) => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-local-final-"));
      dirs.push(root);
      const journalDir = path.join(root, "journal");
      fs.mkdirSync(journalDir);
      // The replicator has read the first `read` records when the check runs; the rest are written after.
      const read = cut % (entries.length + 1);
      await writeJournal(journalDir, entries.slice(0, read));
      const tail = new JournalTail(journalDir, 0);
      const fold = new ReplicatedFinal(true);
      fold.add((await tail.read()).records);
      // The artifact manifest as of the replicator's read is what reading those records gives.
      expect(fold.manifest()).toEqual(await manifestOf(journalDir));
      await writeJournal(journalDir, entries.slice(read));
      const folded = await fold.final(tail, 0);
      expect(folded).toBeDefined();
      expect(plain(folded as NonNullable<typeof folded>)).toEqual(plain(await readLocalFinal(journalDir, root)));
    }),
    { numRuns: 60 },
  );
});

it("gives nothing (the whole journal is read) when it did not see the first record, or the server rejected records", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-local-final-"));
  dirs.push(root);
  const journalDir = path.join(root, "journal");
  fs.mkdirSync(journalDir);
  await writeJournal(journalDir, [{ t: "t", k: "a", v: 1 }, { t: "end" }]);
  const tail = new JournalTail(journalDir, 0);
  const records = (await tail.read()).records;

  const resumedMidway = new ReplicatedFinal(false);
  resumedMidway.add(records);
  expect(resumedMidway.manifest()).toBeUndefined();
  expect(await resumedMidway.final(tail, 0)).toBeUndefined();

  const withRejections = new ReplicatedFinal(true);
  withRejections.add(records);
  expect(await withRejections.final(tail, 1)).toBeUndefined();

  const whole = new ReplicatedFinal(true);
  whole.add(records);
  expect(plain((await whole.final(tail, 0)) as NonNullable<Awaited<ReturnType<ReplicatedFinal["final"]>>>)).toEqual(
    plain(await readLocalFinal(journalDir, root)),
  );
  // Given once: a second call reads the journal again rather than a fold that moved on.
  expect(await whole.final(tail, 0)).toBeUndefined();
});

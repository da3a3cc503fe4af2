/**
 * The writer thread touches every page of its ring when it starts (writer-thread.ts), so
 * that the logging thread's first pass over the ring takes no page faults. Its own file: the
 * ring is process-wide, and another test's pass over it would touch the pages first.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { JournalWriter } from "../../src/log/journal.js";
import { until } from "../support/wait.js";

let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-pages-"));
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Minor page faults of the calling thread so far (Linux), or null. */
function minorFaults(): number | null {
  try {
    const stat = fs.readFileSync("/proc/thread-self/stat", "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
  } catch {
    return null;
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

it("the logging thread's first pass over the ring takes no page faults", async () => {
  const { writer: w } = await JournalWriter.open(path.join(tmp, "a"), {
    durability: "interval",
    fsyncIntervalMs: 60_000,
    writerThread: true,
    writerThreadAfter: 1,
  });
  try {
    const keys = Array.from({ length: 1000 }, (_, i) => `"metric_${i}"`);
    const log = async (turns: number, from: number): Promise<void> => {
      for (let t = from; t < from + turns; t++) {
        for (let i = 0; i < 1000; i++) w.appendMetric(keys[i] as string, i, 1_700_000_000_000, t);
        await turn();
      }
    };
    await log(2, 0); // the thread takes over, and its buffers and code are warm
    // The thread touches the ring before it writes anything.
    await until("the thread wrote the first turns", () => w.writtenSeq === w.seq, 60_000, 5);
    const before = minorFaults();
    await log(60, 2); // ~75 KB a turn: 4.5 MB, past the whole ring of 4 MiB
    const after = minorFaults();
    // Untouched, the ring's 1,024 pages alone would fault here; the rest (the heap) takes a few hundred.
    if (before !== null && after !== null) expect(after - before).toBeLessThan(1024);
    await until("the thread wrote every turn", () => w.writtenSeq === w.seq, 60_000, 5);
  } finally {
    await w.close();
  }
});

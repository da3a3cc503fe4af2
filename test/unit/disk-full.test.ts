/**
 * A full disk: typed errors, no debris, queued records kept in memory (bounded) and written
 * once space returns, never dropped silently. Each scenario runs twice: on a real 8 MiB tmpfs
 * filled to the last byte (when this machine lets the test mount one, as root on Linux) and
 * with ENOSPC injected at the writers' fs boundary (everywhere).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type MltrailError, StorageFullError } from "../../src/errors.js";
import { JournalWriter } from "../../src/log/journal.js";
import { metricJson } from "../../src/log/record.js";
import { readJournal } from "../../src/log/segments.js";
import { RunPaths, StoreLayout } from "../../src/store/layout.js";
import { Tracker } from "../../src/tracker.js";
import { until } from "../support/wait.js";

/** A disk that can be filled and freed. */
interface Disk {
  readonly root: string;
  fill(): void;
  free(): void;
  cleanup(): void;
}

const enospc = (): NodeJS.ErrnoException => Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", errno: -28 });

/** ENOSPC injected where mltrail writes: journal appends, new files, atomic documents. */
function injectedDisk(): Disk {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-full-"));
  return {
    root,
    fill() {
      vi.spyOn(fs, "writeSync").mockImplementation(() => {
        throw enospc();
      });
      const open = fsp.open.bind(fsp);
      vi.spyOn(fsp, "open").mockImplementation(async (file, flags, mode) => {
        if (flags !== undefined && flags !== "r") throw enospc();
        return open(file, flags, mode);
      });
      vi.spyOn(fsp, "writeFile").mockRejectedValue(enospc());
      syncBuiltinESMExports();
    },
    free() {
      vi.restoreAllMocks();
      syncBuiltinESMExports();
    },
    cleanup() {
      this.free();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A real tmpfs of 8 MiB, filled to the last byte by a filler file; undefined when it cannot be mounted. */
function tmpfsDisk(): Disk | undefined {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return undefined;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-tmpfs-"));
  if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", root]).status !== 0) {
    fs.rmSync(root, { recursive: true, force: true });
    return undefined;
  }
  const filler = path.join(root, "filler");
  return {
    root,
    fill() {
      const fd = fs.openSync(filler, "a");
      const chunk = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
      } finally {
        fs.closeSync(fd);
      }
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
    cleanup() {
      spawnSync("umount", ["-l", root]);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

const real = tmpfsDisk();
real?.cleanup();
const disks: [string, () => Disk][] = [["ENOSPC injected at the fs boundary", injectedDisk]];
if (real !== undefined) disks.push(["a real full tmpfs", () => tmpfsDisk() as Disk]);

let current: Disk | undefined;
const trackers: Tracker[] = [];

afterEach(async () => {
  current?.free();
  for (const t of trackers.splice(0)) await t.close().catch(() => undefined);
  current?.cleanup();
  current = undefined;
});

function newTracker(root: string, experiment = "e"): Tracker {
  const t = new Tracker({ trackingUri: root, captureContext: false, handleExit: false, experiment });
  trackers.push(t);
  return t;
}

/** Every file and folder under `root` but the filler, relative. */
function files(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.name !== "filler" && e.name !== "lost+found")
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

describe.each(disks)("a full disk (%s)", (_label, makeDisk) => {
  it("40,200 records queued when end() fails are kept, reported, and written once space returns", async () => {
    const disk = (current = makeDisk());
    const t = newTracker(disk.root);
    const errors: MltrailError[] = [];
    t.on("error", (e) => errors.push(e));
    const run = await t.startRun();
    run.logMetric("loss", -1, { step: 0 });
    await run.flush();
    const lock = new RunPaths(new StoreLayout(disk.root).runDir(run.experimentId, run.id)).lock;

    disk.fill();
    for (let i = 1; i <= 40_200; i++) run.logMetric("loss", i, { step: i });
    const ended = await run.end().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(ended).toBeInstanceOf(StorageFullError);
    expect((ended as StorageFullError).code).toBe("ENOSPC");
    // Kept and reported: the lock is held, stats count the records as pending.
    expect(fs.existsSync(lock)).toBe(true);
    const stats = t.stats();
    expect(stats.logged - stats.written).toBeGreaterThanOrEqual(40_200);
    expect(stats.pending).toBeGreaterThanOrEqual(40_200);
    expect(errors.some((e) => e instanceof StorageFullError)).toBe(true);
    expect(stats.lastError).toMatch(/disk is full/);
    expect(files(disk.root).filter((f) => /\.(tmp|new|take)$/.test(f))).toEqual([]);

    disk.free();
    await until("the late close to release the lock", () => !fs.existsSync(lock), 60_000, 20);
    expect(t.stats().pending).toBe(0);
    const reader = newTracker(disk.root);
    const got = await reader.getRun(run.id);
    expect(got.info.status).toBe("FINISHED");
    const history = await reader.getMetricHistory(run.id, "loss");
    expect(history.length).toBe(40_201);
    expect(history.every((m, i) => m.value === (i === 0 ? -1 : i) && m.step === i)).toBe(true);
  }, 120_000);

  it("startRun on a full disk is a StorageFullError and leaves nothing behind; it works once space returns", async () => {
    const disk = (current = makeDisk());
    const t = newTracker(disk.root);
    await (await t.startRun()).end();
    const before = files(disk.root);
    disk.fill();
    for (const experiment of ["e", "brand-new"]) {
      const err = await t.startRun({ experiment }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, experiment).toBeInstanceOf(StorageFullError);
      expect(files(disk.root), experiment).toEqual(before);
    }
    disk.free();
    const run = await t.startRun({ experiment: "brand-new" });
    run.logMetric("m", 1);
    await run.end();
    expect((await t.getRun(run.id)).data.metrics).toEqual({ m: 1 });
  }, 60_000);
});

if (real !== undefined)
  describe("a full disk under the writer thread (a real full tmpfs)", () => {
    it("the thread's failed write is cut back, its unwritten commits return to the journal, are reported, and written once space returns", async () => {
      const disk = (current = tmpfsDisk() as Disk);
      const dir = path.join(disk.root, "journal");
      const errors: MltrailError[] = [];
      const opts = { durability: "interval", fsyncIntervalMs: 60_000, writerThread: true, writerThreadAfter: 1 } as const;
      const { writer } = await JournalWriter.open(dir, { ...opts, onError: (e) => errors.push(e) });
      let v = 0;
      const logTurn = async (): Promise<void> => {
        for (let i = 0; i < 50; i++, v++) writer.appendMetric('"m"', v, 1_764_170_000_000, v);
        await new Promise((resolve) => setImmediate(resolve));
      };
      for (let t = 0; t < 20; t++) await logTurn();
      await until("the thread wrote the first turns", () => writer.writtenSeq === 1000, 60_000, 5);
      disk.fill();
      await until(
        "the thread's write to fail and the outage to be reported",
        async () => {
          await logTurn();
          return errors.length > 0;
        },
        60_000,
        1,
      );
      expect(errors[0]).toBeInstanceOf(StorageFullError);
      expect(writer.writtenSeq).toBeLessThan(writer.seq);
      const logged = writer.seq;
      disk.free();
      await until("every record written", () => writer.writtenSeq === logged, 60_000, 20);
      await writer.close();
      const { records } = await readJournal(dir);
      expect(records.map((r) => r.s)).toEqual(Array.from({ length: logged }, (_, i) => i + 1));
      expect(records.every((r, i) => r.t === "m" && r.v === i && r.st === i)).toBe(true);
    }, 120_000);

    it("a commit that finds the thread's write failed throws StorageFullError, and keeps every record", async () => {
      const disk = (current = tmpfsDisk() as Disk);
      const dir = path.join(disk.root, "journal");
      const opts = { durability: "interval", fsyncIntervalMs: 60_000, writerThread: true, writerThreadAfter: 1 } as const;
      const { writer } = await JournalWriter.open(dir, { ...opts, onError: () => undefined });
      let v = 0;
      const log = (n: number): void => {
        for (let i = 0; i < n; i++, v++) writer.appendMetric('"m"', v, 1_764_170_000_000, v);
      };
      log(50);
      writer.commitSync();
      log(50);
      writer.commitSync(); // the thread's
      await writer.flush();
      disk.fill();
      log(500);
      writer.commitSync(); // handed to the thread, whose write fails
      await until(
        "a commit to find the failure",
        () => {
          log(1);
          try {
            writer.commitSync();
            return false;
          } catch (err) {
            if (err instanceof StorageFullError) return true;
            throw err;
          }
        },
        60_000,
        1,
      );
      disk.free();
      await writer.close();
      const { records } = await readJournal(dir);
      expect(records.map((r) => r.s)).toEqual(Array.from({ length: v }, (_, i) => i + 1));
    }, 120_000);

    it("flush() and close() while the thread holds unwritten commits: they reject with StorageFullError, nothing is lost, the late close writes all", async () => {
      const disk = (current = tmpfsDisk() as Disk);
      const dir = path.join(disk.root, "journal");
      let lateClosed = false;
      const opts = { durability: "interval", fsyncIntervalMs: 60_000, writerThread: true, writerThreadAfter: 1 } as const;
      const { writer } = await JournalWriter.open(dir, { ...opts, onLateClose: () => (lateClosed = true) });
      let v = 0;
      for (let t = 0; t < 20; t++) {
        for (let i = 0; i < 50; i++, v++) writer.appendMetric('"m"', v, 1_764_170_000_000, v);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await writer.flush();
      disk.fill();
      // Enough bytes that the file's last page cannot hold them: the thread's write fails.
      for (let i = 0; i < 500; i++, v++) writer.appendMetric('"m"', v, 1_764_170_000_000, v);
      await expect(writer.flush()).rejects.toBeInstanceOf(StorageFullError);
      await expect(writer.close()).rejects.toBeInstanceOf(StorageFullError);
      expect(writer.writtenSeq).toBeLessThan(v);
      disk.free();
      await until("the late close", () => lateClosed, 60_000, 20);
      const { records } = await readJournal(dir);
      expect(records.map((r) => r.s)).toEqual(Array.from({ length: v }, (_, i) => i + 1));
      expect(records.every((r, i) => r.t === "m" && r.v === i)).toBe(true);
    }, 120_000);
  });

describe("the in-memory backlog is bounded", () => {
  it("past maxPendingBytes a record is refused with StorageFullError, its sequence number is not used, and the rest is written later", async () => {
    const disk = (current = injectedDisk());
    const dir = path.join(disk.root, "journal");
    const { writer } = await JournalWriter.open(dir, { durability: "interval", fsyncIntervalMs: 60_000, maxPendingBytes: 64 * 1024 });
    const append = (v: number): void => {
      const s = writer.nextSeq();
      writer.append(metricJson(s, '"m"', v, 1_764_170_000_000, v), s);
    };
    disk.fill();
    append(0);
    expect(() => writer.commitSync()).toThrow(StorageFullError);
    let refused: unknown;
    let taken = 1;
    for (let v = 1; v < 100_000 && refused === undefined; v++) {
      try {
        append(v);
        taken++;
      } catch (err) {
        refused = err;
      }
    }
    expect(refused).toBeInstanceOf(StorageFullError);
    expect((refused as Error).message).toMatch(/not logged/);
    expect(writer.seq).toBe(taken);
    expect(writer.pendingBytes).toBeLessThanOrEqual(64 * 1024);
    disk.free();
    await writer.drained();
    await writer.close();
    const read = await readJournal(dir);
    expect(read.records.map((r) => r.s)).toEqual(Array.from({ length: taken }, (_, i) => i + 1));
    expect(read.corrupt).toEqual([]);
  });
});

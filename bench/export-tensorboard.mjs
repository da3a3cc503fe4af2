// Benchmark: exporting a 1M-point run to TensorBoard event files vs a bare write of the same bytes.
//   (a) export: `exportToTensorBoard(tracker, { outDir, runIds: [id] })` on a local store: read the
//       run's histories, encode every point as an `Event`, frame it as a TFRecord (two masked
//       CRC-32C), write, fsync, rename
//   (b) baseline: the exact bytes (a) produced, already in memory, written to a new file in 1 MiB
//       `fs.writeSync` calls and fsynced
//   (c) for reference: `tracker.getMetricHistories(id)` alone (the read part of (a))
// (a), (b), (c) run 3 times interleaved after one warm-up; medians and the ratio (a)/(b) printed.
//
// Usage: node bench/export-tensorboard.mjs [--quick] [--points N]
import * as fs from "node:fs";
import * as path from "node:path";
import { MB, fmt, fmtInt, loadMltrail, median, parseArgs, printTable, tempDir, trackerOptions, turn, writeResult } from "./common.mjs";

const args = parseArgs();
const POINTS = Number(args.points ?? (args.quick ? 200_000 : 1_000_000));
const KEYS = ["loss", "accuracy", "val_loss", "val_accuracy", "lr"];
const ROUNDS = 3;

const { Tracker, exportToTensorBoard } = await loadMltrail();
const tmp = tempDir("tensorboard");
try {
  const tracker = new Tracker(trackerOptions(path.join(tmp.dir, "store")));
  const run = await tracker.startRun({ name: "big" });
  for (let i = 0; i < POINTS; i++) {
    run.logMetric(KEYS[i % KEYS.length], 1 / (i + 1), { step: Math.floor(i / KEYS.length) });
    if (i % 10_000 === 9_999) await turn();
  }
  await run.end();
  await tracker.flush();

  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const time = async (fn) => {
    const c0 = cpu();
    const t0 = performance.now();
    const r = await fn();
    return { ms: performance.now() - t0, cpuMs: cpu() - c0, r };
  };

  let n = 0;
  const exportOnce = () => time(() => exportToTensorBoard(tracker, { outDir: path.join(tmp.dir, `tb-${n++}`), runIds: [run.id] }));
  const bareOnce = (bytes) =>
    time(() => {
      const fd = fs.openSync(path.join(tmp.dir, `bare-${n++}`), "w");
      for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, Math.min(MB, bytes.length - off));
      fs.fsyncSync(fd);
      fs.closeSync(fd);
    });
  const readOnce = () => time(() => tracker.getMetricHistories(run.id));

  const warm = await exportOnce();
  const bytes = fs.readFileSync(warm.r.runs[0].file);
  await bareOnce(bytes);
  await readOnce();
  const results = { export: [], bare: [], read: [] };
  for (let i = 0; i < ROUNDS; i++) {
    results.export.push(await exportOnce());
    results.bare.push(await bareOnce(bytes));
    results.read.push(await readOnce());
  }
  const m = (k, f) => median(results[k].map((x) => x[f]));
  const rows = [
    ["(a) exportToTensorBoard", fmt(m("export", "ms"), 0), fmt(m("export", "cpuMs"), 0), fmtInt(POINTS / (m("export", "ms") / 1000))],
    ["(b) bare write, same bytes", fmt(m("bare", "ms"), 0), fmt(m("bare", "cpuMs"), 0), fmtInt(POINTS / (m("bare", "ms") / 1000))],
    ["(c) getMetricHistories only", fmt(m("read", "ms"), 0), fmt(m("read", "cpuMs"), 0), fmtInt(POINTS / (m("read", "ms") / 1000))],
  ];
  printTable(
    `export of ${fmtInt(POINTS)} points (${KEYS.length} keys) to TensorBoard: event file ${fmt(bytes.length / MB, 1)} MiB`,
    ["", "wall ms", "cpu ms", "points/s"],
    rows,
  );
  const ratio = m("export", "ms") / m("bare", "ms");
  const ratioMinusRead = (m("export", "ms") - m("read", "ms")) / m("bare", "ms");
  console.log(`\nratio export / bare write: ${fmt(ratio, 1)}× (wall); without the read of the histories: ${fmt(ratioMinusRead, 1)}×`);
  writeResult("export-tensorboard", {
    points: POINTS,
    bytes: bytes.length,
    medians: { exportMs: m("export", "ms"), bareMs: m("bare", "ms"), readMs: m("read", "ms") },
    ratio,
    ratioMinusRead,
  });
  await tracker.close();
} finally {
  tmp.cleanup();
}

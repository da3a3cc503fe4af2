// Benchmark: exporting a 1M-point run to each file target vs a bare write of the same bytes.
// For each target (TensorBoard, DVC):
//   (a) export: `exportToTensorBoard` / `exportToDvc` (tracker, { outDir, runIds: [id] }) on a
//       local store: read the run's histories, encode every point, write. TensorBoard: an `Event`
//       per point framed as a TFRecord (two masked CRC-32C), one file, fsync, rename. DVC: a TSV
//       row per point (DVCLive's layout), one file per key, plus metrics.json, params.yaml, dvc.yaml
//   (b) baseline: the exact files (a) produced, already in memory, written anew in 1 MiB
//       `fs.writeSync` calls (fsynced when the export fsyncs)
// and once (c): `tracker.getMetricHistories(id)` alone (the read part of every (a)).
// Each step runs 3 times interleaved after one warm-up; medians and the ratios (a)/(b) printed.
//
// Usage: node bench/export-targets.mjs [--quick] [--points N] [--target tensorboard|dvc]
import * as fs from "node:fs";
import * as path from "node:path";
import { MB, fmt, fmtInt, loadMltrail, median, parseArgs, printTable, tempDir, trackerOptions, turn, writeResult } from "./common.mjs";

const args = parseArgs();
const POINTS = Number(args.points ?? (args.quick ? 200_000 : 1_000_000));
const KEYS = ["loss", "accuracy", "val_loss", "val_accuracy", "lr"];
const ROUNDS = 3;

const { Tracker, exportToTensorBoard, exportToDvc } = await loadMltrail();
const TARGETS = {
  tensorboard: { name: "exportToTensorBoard", fsync: true, run: exportToTensorBoard, files: (r) => [r.runs[0].file] },
  dvc: {
    name: "exportToDvc",
    fsync: false,
    run: exportToDvc,
    files: (r) =>
      fs
        .readdirSync(r.runs[0].dir, { recursive: true })
        .map((f) => path.join(r.runs[0].dir, f))
        .filter((f) => fs.statSync(f).isFile()),
  },
};
const chosen = args.target === undefined ? Object.keys(TARGETS) : [args.target];
const tmp = tempDir("export-targets");
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
  const readOnce = () => time(() => tracker.getMetricHistories(run.id));
  const bareOnce = (files, fsync) =>
    time(() => {
      const dir = path.join(tmp.dir, `bare-${n++}`);
      fs.mkdirSync(dir);
      for (const [i, bytes] of files.entries()) {
        const fd = fs.openSync(path.join(dir, String(i)), "w");
        for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, Math.min(MB, bytes.length - off));
        if (fsync) fs.fsyncSync(fd);
        fs.closeSync(fd);
      }
    });

  await readOnce();
  const reads = [];
  const result = { points: POINTS };
  const rows = [];
  for (const key of chosen) {
    const target = TARGETS[key];
    const exportOnce = () => time(() => target.run(tracker, { outDir: path.join(tmp.dir, `${key}-${n++}`), runIds: [run.id] }));
    const warm = await exportOnce();
    const files = target.files(warm.r).map((f) => fs.readFileSync(f));
    const bytes = files.reduce((s, b) => s + b.length, 0);
    await bareOnce(files, target.fsync);
    const results = { export: [], bare: [] };
    for (let i = 0; i < ROUNDS; i++) {
      results.export.push(await exportOnce());
      results.bare.push(await bareOnce(files, target.fsync));
      reads.push(await readOnce());
    }
    const m = (k, f) => median(results[k].map((x) => x[f]));
    rows.push([
      `(a) ${target.name}, ${files.length} file(s), ${fmt(bytes / MB, 1)} MiB`,
      fmt(m("export", "ms"), 0),
      fmt(m("export", "cpuMs"), 0),
      fmtInt(POINTS / (m("export", "ms") / 1000)),
    ]);
    rows.push([
      `(b) bare write, same bytes${target.fsync ? ", fsync" : ""}`,
      fmt(m("bare", "ms"), 0),
      fmt(m("bare", "cpuMs"), 0),
      fmtInt(POINTS / (m("bare", "ms") / 1000)),
    ]);
    result[key] = { bytes, files: files.length, medians: { exportMs: m("export", "ms"), exportCpuMs: m("export", "cpuMs"), bareMs: m("bare", "ms") } };
  }
  const readMs = median(reads.map((x) => x.ms));
  rows.push(["(c) getMetricHistories only", fmt(readMs, 0), fmt(median(reads.map((x) => x.cpuMs)), 0), fmtInt(POINTS / (readMs / 1000))]);
  printTable(`export of ${fmtInt(POINTS)} points (${KEYS.length} keys)`, ["", "wall ms", "cpu ms", "points/s"], rows);
  for (const key of chosen) {
    const { exportMs, bareMs } = result[key].medians;
    result[key].ratio = exportMs / bareMs;
    result[key].ratioMinusRead = (exportMs - readMs) / bareMs;
    console.log(
      `${key}: ratio export / bare write ${fmt(result[key].ratio, 1)}× (wall); without the read of the histories ${fmt(result[key].ratioMinusRead, 1)}×`,
    );
  }
  result.readMs = readMs;
  writeResult("export-targets", result);
  await tracker.close();
} finally {
  tmp.cleanup();
}

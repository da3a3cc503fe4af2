/**
 * DVC as a live target: the replicator hands it each run's records as they are logged, and it
 * keeps a DVCLive folder per run (`<outDir>/<experiment>/<run name>/`) up to date: TSV rows
 * appended, `metrics.json`, `params.yaml` and `dvc.yaml` rewritten after each batch.
 *
 * @packageDocumentation
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ReplicationSink } from "../../backends/types.js";
import type { BackendLimits } from "../../model/limits.js";
import type { Metric } from "../../model/types.js";
import { FileSink, type LiveRun } from "../live-folders.js";
import { DVC_MARKER, DvcRunDir } from "./run-dir.js";

/** The latest point of a metric: step, timestamp, value (the value as text, so NaN survives JSON). */
type Latest = [step: number, timestamp: number, value: string];

/** What the marker of a live DVCLive folder holds. */
interface LiveState {
  readonly runId: string;
  latest: Record<string, Latest>;
  params: Record<string, string>;
  maxStep?: number;
}

const toText = (v: number): string => (Object.is(v, -0) ? "-0" : String(v));

/**
 * A replication sink that keeps DVCLive folders. Every point is appended to its metric's TSV in
 * logged order; the summary holds each metric's latest point (highest step, then latest
 * timestamp), as MLflow's latest value. Tags, artifacts and datasets are not written.
 * @example `const sink = new DvcSink("./dvclive", MLFLOW_LIMITS);`
 */
export class DvcSink extends FileSink implements ReplicationSink {
  private readonly runs = new Map<string, { dir: DvcRunDir; state: LiveState }>();

  constructor(outDir: string, limits: BackendLimits) {
    super(outDir, limits, DVC_MARKER);
  }

  /** A DVCLive folder for the run. */
  async createRun(_experimentId: string, run: LiveRun): Promise<string> {
    this.folders.create(run, { latest: {}, params: {} });
    return run.runId;
  }

  private open(runId: string): { dir: DvcRunDir; state: LiveState } {
    const known = this.runs.get(runId);
    if (known !== undefined) return known;
    const dir = this.folders.dirOf(runId);
    let state: LiveState = { runId, latest: {}, params: {} };
    try {
      const m = JSON.parse(fs.readFileSync(path.join(dir, DVC_MARKER), "utf8")) as Partial<LiveState>;
      state = { runId, latest: m.latest ?? {}, params: m.params ?? {}, ...(typeof m.maxStep === "number" ? { maxStep: m.maxStep } : {}) };
    } catch {
      // A damaged marker: the summary starts over from what this process sends.
    }
    const open = { dir: DvcRunDir.resume(dir, runId, state.maxStep), state };
    this.runs.set(runId, open);
    return open;
  }

  /** Appends a batch's points to the TSV plots and rewrites the summary, params and `dvc.yaml`. */
  async logBatch(runId: string, batch: { readonly metrics: readonly Metric[]; readonly params: readonly { key: string; value: string }[] }): Promise<void> {
    const { dir, state } = this.open(runId);
    const byKey = new Map<string, Metric[]>();
    for (const m of batch.metrics) {
      const list = byKey.get(m.key);
      if (list === undefined) byKey.set(m.key, [m]);
      else list.push(m);
      const last = state.latest[m.key];
      if (last === undefined || m.step > last[0] || (m.step === last[0] && m.timestamp >= last[1]))
        state.latest[m.key] = [m.step, m.timestamp, toText(m.value)];
    }
    for (const [key, points] of byKey) dir.appendPoints(key, points);
    for (const p of batch.params) state.params[p.key] = p.value;
    if (dir.maxStep !== undefined) state.maxStep = dir.maxStep;
    const latest: Record<string, number> = {};
    for (const [k, [, , v]] of Object.entries(state.latest)) latest[k] = Number(v);
    dir.writeSummary(latest, state.params);
    this.folders.writeMarker(dir.dir, { ...state });
  }

  /** DVCLive keeps no status: the run's files are complete once its last batch is written. */
  async endRun(runId: string): Promise<void> {
    this.runs.delete(runId);
  }
  /** Nothing stays open between batches. */
  close(): void {
    this.runs.clear();
  }
}

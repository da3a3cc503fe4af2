/**
 * TensorBoard as a live target: the replicator hands it each run's records as they are logged,
 * and it appends them to an event file in the run's folder (`<outDir>/<experiment>/<run name>/`),
 * which a running TensorBoard picks up. Each process appends to a new event file of its own;
 * TensorBoard reads a run folder's files in order.
 *
 * @packageDocumentation
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ReplicationSink } from "../../backends/types.js";
import type { BackendLimits } from "../../model/limits.js";
import type { EndStatus, Metric } from "../../model/types.js";
import { FileSink, type LiveRun } from "../live-folders.js";
import { EventFileWriter } from "./event-file.js";
import { hparamValue, sessionStatus } from "./export.js";
import { MARKER } from "./layout.js";
import { encodeTag, type HParamValue, sessionEndEvent, sessionStartEvent, textEvent } from "./proto.js";

/** What the marker of a live run folder holds besides the run id. */
interface LiveMarker {
  readonly runId: string;
  /** Start time, ms. */
  readonly start: number;
  /** Params seen so far. */
  readonly params: Record<string, string>;
  /** The HParams session start is written (TensorBoard keeps the first one of a run). */
  readonly hparams: boolean;
}

interface OpenRun {
  writer: EventFileWriter;
  marker: LiveMarker;
  dir: string;
}

/**
 * A replication sink that writes TensorBoard event files. Metric points become scalars
 * (float32, in logged order); params go to the HParams tab with the first metrics (TensorBoard
 * keeps a run's first session summary, so params logged after the first metric are not in it);
 * tags become text summaries; the end writes the session's status.
 * @example `const sink = new TensorBoardSink("./tb", MLFLOW_LIMITS);`
 */
export class TensorBoardSink extends FileSink implements ReplicationSink {
  private readonly runs = new Map<string, OpenRun>();
  private readonly tags = new Map<string, Uint8Array>();

  constructor(outDir: string, limits: BackendLimits) {
    super(outDir, limits, MARKER);
  }

  /** A folder for the run. */
  async createRun(_experimentId: string, run: LiveRun & { readonly startTime: number }): Promise<string> {
    this.folders.create(run, { start: run.startTime, params: {}, hparams: false });
    return run.runId;
  }

  private open(runId: string): OpenRun {
    const known = this.runs.get(runId);
    if (known !== undefined) return known;
    const dir = this.folders.dirOf(runId);
    const marker = readLiveMarker(dir, runId);
    const run = { writer: EventFileWriter.live(dir, Date.now()), marker, dir };
    this.runs.set(runId, run);
    return run;
  }

  private tag(key: string): Uint8Array {
    let tag = this.tags.get(key);
    if (tag === undefined) {
      tag = encodeTag(key);
      if (this.tags.size < 10_000) this.tags.set(key, tag);
    }
    return tag;
  }

  private writeSessionStart(run: OpenRun, runId: string): void {
    if (run.marker.hparams) return;
    const hparams: Record<string, HParamValue> = {};
    for (const [k, v] of Object.entries(run.marker.params)) hparams[k] = hparamValue(v);
    const start = run.marker.start / 1000;
    run.writer.record(sessionStartEvent(start, hparams, runId, start));
    run.marker = { ...run.marker, hparams: true };
  }

  /** Appends a batch: scalars, text summaries for tags; params are kept for the HParams tab. */
  async logBatch(
    runId: string,
    batch: {
      readonly metrics: readonly Metric[];
      readonly params: readonly { key: string; value: string }[];
      readonly tags: readonly { key: string; value: string }[];
    },
  ): Promise<void> {
    const run = this.open(runId);
    const before = run.marker;
    if (batch.params.length > 0) {
      const params = { ...run.marker.params };
      for (const p of batch.params) params[p.key] = p.value;
      run.marker = { ...run.marker, params };
    }
    if (batch.metrics.length > 0) this.writeSessionStart(run, runId);
    const now = Date.now() / 1000;
    for (const t of batch.tags) run.writer.record(textEvent(now, 0, `tags/${t.key}`, t.value));
    for (const m of batch.metrics) run.writer.scalar(this.tag(m.key), m.timestamp / 1000, m.step, m.value);
    run.writer.flush();
    if (run.marker !== before) this.folders.writeMarker(run.dir, { ...run.marker });
  }

  /** Writes the HParams session's end (its status) and closes the run's event file. */
  async endRun(runId: string, status: EndStatus, endTime: number): Promise<void> {
    const run = this.open(runId);
    this.writeSessionStart(run, runId);
    run.writer.record(sessionEndEvent(endTime / 1000, sessionStatus(status), endTime / 1000));
    run.writer.close();
    this.runs.delete(runId);
    this.folders.writeMarker(run.dir, { ...run.marker });
  }

  /** Closes every open event file (what was handed over is in them). */
  close(): void {
    for (const run of this.runs.values()) run.writer.close();
    this.runs.clear();
  }
}

function readLiveMarker(dir: string, runId: string): LiveMarker {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MARKER), "utf8")) as Partial<LiveMarker>;
    return { runId, start: typeof m.start === "number" ? m.start : Date.now(), params: m.params ?? {}, hparams: m.hparams === true };
  } catch {
    return { runId, start: Date.now(), params: {}, hparams: false };
  }
}

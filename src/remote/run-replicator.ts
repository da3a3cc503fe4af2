/**
 * Replicates one run's journal to a tracking server: creates the run there idempotently,
 * sends log-batch requests from the ack cursor (one in flight, or two metric-only batches at once
 * when the replicator has a request to spare), isolates rejected records by
 * bisection, sends status and end time after every other record, and then checks the
 * server's copy against the local log (see ./final-check.ts) once late requests have settled.
 * `mlflow.runName` never travels in a batch: MLflow's log-batch rewrites the whole run row
 * (status included) when a batch carries it, so a late batch could put `RUNNING` back.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { type ApiError, AuthenticationError, BadRequestError, MltrailError, PayloadTooLargeError, PermissionDeniedError } from "../errors.js";
import { JournalTail } from "../log/tail.js";
import type { JournalRecord } from "../log/record.js";
import type { ReplicationSink, SinkRun } from "../backends/types.js";
import { nextWork, type Batch } from "./batcher.js";
import { connectionErrorKind, isRetryable, retryAfterOf } from "./errors.js";
import { FinalCheck, lastValue, RUN_NAME_TAG } from "./final-check.js";
import { REJECTED_FILE, type ReplicationState } from "./replication-state.js";
import { MLFLOW_TAGS } from "../model/system-tags.js";

export { RUN_KEY_TAG } from "../model/system-tags.js";

/** What a run replicator needs to know about its run. */
export interface RunSource extends SinkRun {
  /** Highest sequence number written to the journal so far. */
  writtenSeq(): number;
  /** The run's progress towards this target (its ack cursor). */
  readonly state: ReplicationState;
  /** Called when the replicator no longer needs the run (done, or the tracker closes). */
  release?(): void;
}

/** What a run replicator uses: the target's sink, and the replicator's shared bookkeeping. @internal */
export interface ReplicatorServices {
  /** Where the records go. */
  readonly sink: ReplicationSink;
  /** The sink's id of an experiment (cached by the replicator). */
  experimentId(name: string): Promise<string>;
  /** Maps a local run id (e.g. a parent's) to its server id when known. */
  remoteIdOf(localRunId: string): Promise<string | undefined>;
  /** True while a run is queued in this replicator and not yet created on the server. */
  awaitingCreation(localRunId: string): boolean;
  /**
   * Takes one more request slot for a second metric-only batch in flight, when the overall limit
   * allows (false: send one batch). Omitted: never.
   */
  acquireExtraRequest?(): boolean;
  /** Gives back a slot taken by {@link acquireExtraRequest}. */
  releaseExtraRequest?(): void;
  /** Records a run's server id once it is known. */
  onRemoteId(localRunId: string, remoteRunId: string): void;
  onAcked(source: RunSource, count: number): void;
  onRejected(source: RunSource, record: JournalRecord, error: ApiError): void;
  onCorrupt(source: RunSource, count: number): void;
  /** The end-of-run check found differences it could not repair. */
  onNotKept(source: RunSource, what: string): void;
}

/** Outcome of one step, for the replicator's retry loop. */
export type StepResult =
  | { readonly kind: "progress" }
  | { readonly kind: "idle" }
  /** Waiting for another run (a parent) to be created first. */
  | { readonly kind: "wait" }
  /** Nothing to do before `delayMs` (late requests settling); not a failure. */
  | { readonly kind: "later"; readonly delayMs: number }
  | { readonly kind: "done" }
  | { readonly kind: "retry"; readonly error: MltrailError; readonly retryAfterMs: number | undefined }
  | { readonly kind: "auth"; readonly error: ApiError }
  | { readonly kind: "blocked"; readonly error: MltrailError };

/**
 * A second metric-only batch goes out only while this run's last log-batch was answered within
 * this many ms: a busy server answers slowly, and then one request per run is what it gets
 * (twice the requests would only lengthen its queue into timeouts and resends).
 */
const PIPELINE_MAX_LATENCY_MS = 1000;

/** Smallest batch a timeout shrinks to. */
const MIN_AFTER_TIMEOUT = 50;

const INACTIVE_RUN = /must be in the 'active' (lifecycle_)?state|run .* (is )?deleted|is not active/i;

/** True when a batch carries metrics only (their order on the server does not matter). */
function metricsOnly(batch: Batch): boolean {
  return batch.params.length === 0 && batch.tags.length === 0;
}

/** Replication of one run. */
export class RunReplicator {
  private readonly tail: JournalTail;
  private buffer: JournalRecord[] = [];
  private pos = 0;
  private maxRecords = Number.POSITIVE_INFINITY;
  private lastSave = 0;
  /** Failures in a row, for backoff. */
  failures = 0;
  /** Not retried until something changes (reported as an error). */
  blocked: MltrailError | undefined;
  /** The name the server holds (set at creation; changed only by a rename). */
  private serverName: string;
  private readonly check: FinalCheck;
  /** How long this run's last log-batch (or pair) took to be answered, ms. */
  private lastBatchMs = Number.POSITIVE_INFINITY;

  constructor(
    readonly source: RunSource,
    private readonly services: ReplicatorServices,
  ) {
    this.tail = new JournalTail(source.journalDir, source.state.state.ackedSeq);
    this.serverName = source.name;
    this.check = new FinalCheck(source, services);
  }

  /** Sequence number acknowledged by the server. */
  get ackedSeq(): number {
    return this.source.state.state.ackedSeq;
  }

  /** True once the run's end was acknowledged. */
  get done(): boolean {
    return this.source.state.state.done;
  }

  /** True while the end is acknowledged but the server's copy is not yet checked. */
  get checking(): boolean {
    return this.source.state.state.ended === true && !this.done;
  }

  /** Records written but not yet acknowledged; the end record counts until the end-of-run check passed. */
  get pending(): number {
    if (this.done) return 0;
    return Math.max(0, this.source.writtenSeq() - this.ackedSeq) + (this.checking ? 1 : 0);
  }

  /** Performs one request's worth of work. Never throws. */
  async step(): Promise<StepResult> {
    if (this.done) return { kind: "done" };
    try {
      const remoteRunId = await this.ensureRemoteRun();
      if (this.source.state.state.ended === true) {
        const result = await this.check.step(remoteRunId);
        this.failures = 0;
        return result;
      }
      if (this.pos >= this.buffer.length) await this.refill();
      let work = nextWork(this.buffer, this.pos, this.services.sink.limits, this.maxRecords);
      if (work.kind === "end" && this.pos + 1 >= this.buffer.length) {
        // A resume record may follow the end (a resumed run): read on before ending the run.
        await this.refill();
        work = nextWork(this.buffer, this.pos, this.services.sink.limits, this.maxRecords);
      }
      if (work.kind === "idle") {
        await this.saveIfDue(true);
        return { kind: "idle" };
      }
      if (work.kind === "artifact" || work.kind === "dataset") {
        if (work.kind === "artifact") await this.services.sink.uploadArtifact(remoteRunId, this.source, work.artifact);
        else await this.services.sink.logDataset(remoteRunId, this.source, work.dataset);
        const seq = work.kind === "artifact" ? work.artifact.s : work.dataset.s;
        this.failures = 0;
        this.advance(1, seq);
        this.services.onAcked(this.source, 1);
        await this.source.state.save(); // an upload is costly to repeat: keep the cursor exact
        return { kind: "progress" };
      }
      if (work.kind === "reopen") {
        await this.services.sink.reopenRun?.(remoteRunId);
        this.failures = 0;
        this.advance(1, work.resume.s);
        this.services.onAcked(this.source, 1);
        await this.source.state.save();
        return { kind: "progress" };
      }
      if (work.kind === "end") {
        await this.services.sink.finishArtifacts(remoteRunId, this.source);
        await this.services.sink.endRun(remoteRunId, work.end.status, work.end.ts);
        this.advance(1, work.end.s); // counted as acknowledged once the end-of-run check passes
        this.source.state.state.ended = true;
        await this.source.state.save();
        return { kind: "progress" }; // the end-of-run check comes next
      }
      const batch = await this.rewrite(work.batch);
      if (batch === undefined) return { kind: "wait" };
      const name = lastValue(batch.tags, RUN_NAME_TAG);
      if (name !== undefined && name !== this.serverName) {
        await this.services.sink.renameRun(remoteRunId, name);
        this.serverName = name;
      }
      const sent = { ...batch, tags: batch.tags.filter((t) => t.key !== RUN_NAME_TAG) };
      const second = metricsOnly(sent) && sent.metrics.length > 0 ? this.secondMetricBatch(work.batch) : undefined;
      if (second !== undefined) return await this.sendTwo(remoteRunId, sent, work.batch, second);
      if (sent.metrics.length + sent.params.length + sent.tags.length > 0) {
        const sentAt = performance.now();
        await this.services.sink.logBatch(remoteRunId, sent);
        this.lastBatchMs = performance.now() - sentAt;
      }
      this.failures = 0;
      // Grow back after a shrink (timeouts, bisection); a bisection still converges.
      if (Number.isFinite(this.maxRecords))
        this.maxRecords = this.maxRecords * 2 > this.services.sink.limits.entitiesPerBatch ? Number.POSITIVE_INFINITY : this.maxRecords * 2;
      this.acked(work.batch);
      await this.saveIfDue(false);
      return { kind: "progress" };
    } catch (err) {
      return this.classify(err);
    }
  }

  /**
   * The metric-only batch right after `first`, when one is buffered, no batch is being shrunk
   * (timeouts, bisection), the server answered this run's last batch quickly and a second
   * request slot is free (then taken).
   */
  private secondMetricBatch(first: Batch): Batch | undefined {
    if (Number.isFinite(this.maxRecords) || this.lastBatchMs > PIPELINE_MAX_LATENCY_MS) return undefined;
    const next = nextWork(this.buffer, this.pos + first.count, this.services.sink.limits);
    if (next.kind !== "batch" || !metricsOnly(next.batch) || next.batch.metrics.length === 0) return undefined;
    return this.services.acquireExtraRequest?.() === true ? next.batch : undefined;
  }

  /**
   * Sends two metric-only batches at once. MLflow keys metric history by step and timestamp, so
   * their order on the server does not matter, and a resend of one that landed adds no row; the
   * cursor still moves in journal order: past the second only once the first is acknowledged.
   */
  private async sendTwo(remoteRunId: string, first: Batch, firstWork: Batch, second: Batch): Promise<StepResult> {
    let results: PromiseSettledResult<void>[];
    const sentAt = performance.now();
    try {
      results = await Promise.allSettled([this.services.sink.logBatch(remoteRunId, first), this.services.sink.logBatch(remoteRunId, second)]);
    } finally {
      this.services.releaseExtraRequest?.();
    }
    this.lastBatchMs = performance.now() - sentAt;
    const [a, b] = results;
    if (a?.status === "rejected") throw a.reason;
    this.failures = 0;
    this.acked(firstWork);
    if (b?.status === "rejected") throw b.reason;
    this.acked(second);
    await this.saveIfDue(false);
    return { kind: "progress" };
  }

  private acked(batch: Batch): void {
    this.advance(batch.count, batch.lastSeq);
    this.services.onAcked(this.source, batch.count);
  }

  private async refill(): Promise<void> {
    const read = await this.tail.read();
    if (read.corrupt.length > 0) this.services.onCorrupt(this.source, read.corrupt.length);
    this.buffer = this.buffer.slice(this.pos).concat(read.records);
    this.pos = 0;
  }

  private advance(count: number, lastSeq: number): void {
    this.pos += count;
    this.source.state.state.ackedSeq = lastSeq;
  }

  private async saveIfDue(force: boolean): Promise<void> {
    const now = Date.now();
    if (force ? this.lastSave !== this.ackedSeq : now - this.lastSave > 1000) {
      this.lastSave = force ? this.ackedSeq : now;
      await this.source.state.save();
    }
  }

  /** Points `mlflow.parentRunId` at the parent's server id when the parent was created offline. */
  /**
   * Points `mlflow.parentRunId` at the parent's server id. Undefined (wait) while the parent
   * is queued here and not yet created on the server, so a local id is never sent for it.
   */
  private async rewrite(batch: Batch): Promise<Batch | undefined> {
    if (!batch.tags.some((t) => t.key === MLFLOW_TAGS.parentRunId)) return batch;
    const tags: { key: string; value: string }[] = [];
    for (const t of batch.tags) {
      if (t.key !== MLFLOW_TAGS.parentRunId) {
        tags.push(t);
        continue;
      }
      const remote = await this.services.remoteIdOf(t.value);
      if (remote === undefined && this.services.awaitingCreation(t.value)) return undefined;
      tags.push({ key: t.key, value: remote ?? t.value });
    }
    return { ...batch, tags };
  }

  private async ensureRemoteRun(): Promise<string> {
    const st = this.source.state.state;
    if (st.remoteRunId !== undefined) return st.remoteRunId;
    const experimentId = st.remoteExperimentId ?? (await this.services.experimentId(this.source.experimentName));
    st.remoteExperimentId = experimentId;
    // Unknown on this server: look it up by its key first, so a run already sent under another
    // spelling of the server, from a copy of the log, or by a lost create is never created twice.
    let remote = await this.services.sink.findRun(experimentId, this.source);
    const landsUntil = st.createAttempted === true ? (st.createAttemptedAt ?? 0) + this.services.sink.settleMs : 0;
    if (remote === undefined && landsUntil > Date.now()) {
      // An earlier create (a timed-out startRun, or a process that died mid-request) may still
      // land on the server: look again once it no longer can, so the run is not created twice.
      await new Promise((resolve) => setTimeout(resolve, landsUntil - Date.now()).unref());
      remote = await this.services.sink.findRun(experimentId, this.source);
    }
    if (remote === undefined) {
      st.createAttempted = true;
      st.createAttemptedAt = Date.now();
      await this.source.state.save();
      remote = await this.services.sink.createRun(experimentId, this.source);
    }
    st.remoteRunId = remote;
    st.createAttempted = false;
    delete st.createAttemptedAt;
    await this.source.state.save();
    this.services.onRemoteId(this.source.runId, remote);
    return remote;
  }

  private async classify(err: unknown): Promise<StepResult> {
    const error = err instanceof MltrailError ? err : new MltrailError(`replication failed: ${String(err)}`, { cause: err });
    if (this.services.sink.mayLandLate?.(error) === true) this.source.state.state.uncertainAt = Date.now();
    if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) return { kind: "auth", error };
    if (isRetryable(error) || error.code === "INVALID_RESPONSE") {
      this.failures++;
      if (connectionErrorKind(error) === "timeout") {
        // A server slower than the timeout would time out the same full batch forever: send less.
        const work = nextWork(this.buffer, this.pos, this.services.sink.limits, this.maxRecords);
        if (work.kind === "batch") this.maxRecords = Math.max(MIN_AFTER_TIMEOUT, Math.ceil(work.batch.count / 2));
      }
      return { kind: "retry", error, retryAfterMs: retryAfterOf(error) };
    }
    if ((error instanceof BadRequestError && !INACTIVE_RUN.test(error.message)) || error instanceof PayloadTooLargeError) {
      const work = nextWork(this.buffer, this.pos, this.services.sink.limits, this.maxRecords);
      if (work.kind === "batch" && work.batch.count > 1) {
        this.maxRecords = Math.ceil(work.batch.count / 2); // bisect towards the bad record
        return { kind: "progress" };
      }
      if (work.kind === "batch" || work.kind === "artifact" || work.kind === "dataset") {
        const record = this.buffer[this.pos] as JournalRecord;
        await this.reject(record, error as ApiError);
        this.advance(1, record.s);
        this.maxRecords = Number.POSITIVE_INFINITY;
        await this.source.state.save();
        return { kind: "progress" };
      }
    }
    this.blocked = error;
    return { kind: "blocked", error };
  }

  private async reject(record: JournalRecord, error: ApiError): Promise<void> {
    this.source.state.state.rejected++;
    const line = JSON.stringify({ seq: record.s, record, status: error.status, errorCode: error.errorCode, error: error.message, at: Date.now() });
    await fsp.appendFile(path.join(this.source.runDir, REJECTED_FILE), `${line}\n`);
    this.services.onRejected(this.source, record, error);
  }
}

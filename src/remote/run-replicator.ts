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
import { nextWork, type Batch } from "./batcher.js";
import { PipelineGate } from "./pipeline-gate.js";
import { BatchWindow, MAX_WINDOW, type InFlight } from "./batch-window.js";
import { isRetryable, retryAfterOf } from "./errors.js";
import { FinalCheck, lastValue, RUN_NAME_TAG } from "./final-check.js";
import { ReplicatedFinal } from "./local-final.js";
import { findOrCreateRun, forgetCreateAttempt } from "./find-or-create.js";
import { REJECTED_FILE } from "./replication-state.js";
import { MLFLOW_TAGS } from "../model/system-tags.js";

export { RUN_KEY_TAG } from "../model/system-tags.js";

export type { ReplicatorServices, RunSource, StepResult } from "./run-replicator-types.js";
import type { ReplicatorServices, RunSource, StepResult } from "./run-replicator-types.js";

/** Journal bytes read at a time (about ten full batches): a read does not hold the event loop for long. */
const READ_BYTES = 1024 * 1024;

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
  /** The run's final state, folded from what is read, for the end-of-run check. */
  private readonly final: ReplicatedFinal;
  /** True once startRun's create request (if any) has been answered or has failed. */
  private createAnswered = false;
  private readonly window: BatchWindow;

  constructor(
    readonly source: RunSource,
    private readonly services: ReplicatorServices,
  ) {
    this.tail = new JournalTail(source.journalDir, source.state.state.ackedSeq, true);
    this.serverName = source.name;
    this.final = new ReplicatedFinal(source.state.state.ackedSeq === 0);
    this.check = new FinalCheck(source, services, () => this.final.final(this.tail, source.state.state.rejected));
    this.window = new BatchWindow({
      gate: services.pipelineGate ?? new PipelineGate(),
      acquireExtra: () => services.acquireExtraRequest?.() === true,
      releaseExtra: () => services.releaseExtraRequest?.(),
      extraFree: () => services.extraRequestFree?.() ?? true,
    });
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
      // Read on while the window could still reach the end of what is read: batches sent ahead never wait for a read.
      if (this.buffer.length - this.pos < (MAX_WINDOW + 1) * this.services.sink.limits.entitiesPerBatch) await this.refill();
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
      if (work.kind !== "batch") await this.window.drain(); // artifacts, datasets and the end go alone, in order
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
        await this.services.sink.finishArtifacts(remoteRunId, this.source, this.final.manifest());
        await this.services.sink.endRun(remoteRunId, work.end.status, work.end.ts);
        this.advance(1, work.end.s); // counted as acknowledged once the end-of-run check passes
        this.source.state.state.ended = true;
        await this.source.state.save();
        return { kind: "progress" }; // the end-of-run check comes next
      }
      // The batch at the cursor may already be in flight: sent ahead during an earlier step.
      const current = this.window.take((this.buffer[this.pos] as JournalRecord).s) ?? (await this.launchAt(remoteRunId, work.batch));
      if (current === undefined) return { kind: "wait" };
      if (metricsOnly(current.batch) && !Number.isFinite(this.maxRecords)) {
        // Fill even when the cursor's batch is answered already (it was sent ahead, and answered
        // while this step read the journal): the next batch then leaves before the count.
        for (;;) {
          this.window.fill(
            (offset) => this.metricBatchAt(offset),
            (batch) => this.services.sink.logBatch(remoteRunId, batch),
          );
          if (this.window.oldestSettled()) break;
          await this.window.next();
        }
      }
      const outcome = await current.done;
      if (!outcome.ok) {
        this.window.forget(); // sent again from the cursor
        throw outcome.error;
      }
      this.window.shift();
      this.failures = 0;
      // Grow back after a bisection's shrink; a bisection still converges.
      if (Number.isFinite(this.maxRecords))
        this.maxRecords = this.maxRecords * 2 > this.services.sink.limits.entitiesPerBatch ? Number.POSITIVE_INFINITY : this.maxRecords * 2;
      this.acked(current.batch);
      await this.saveIfDue(false);
      return { kind: "progress" };
    } catch (err) {
      return this.classify(err);
    }
  }

  /**
   * Sends the batch at the cursor. Undefined (wait) while its parent run is not yet on the server.
   * A batch with params or tags goes alone: after every batch sent ahead has been answered.
   */
  private async launchAt(remoteRunId: string, work: Batch): Promise<InFlight | undefined> {
    const batch = await this.rewrite(work);
    if (batch === undefined) return undefined;
    if (!metricsOnly(batch)) await this.window.drain();
    const name = lastValue(batch.tags, RUN_NAME_TAG);
    if (name !== undefined && name !== this.serverName) {
      await this.services.sink.renameRun(remoteRunId, name);
      this.serverName = name;
    }
    const sent = { ...batch, tags: batch.tags.filter((t) => t.key !== RUN_NAME_TAG) };
    const empty = sent.metrics.length + sent.params.length + sent.tags.length === 0;
    return this.window.start((this.buffer[this.pos] as JournalRecord).s, work, () =>
      empty ? Promise.resolve() : this.services.sink.logBatch(remoteRunId, sent),
    );
  }

  /**
   * The metric-only batch `offset` records past the cursor, when one is buffered in full: one cut
   * short by the end of what was read waits for the cursor (the journal may hold the rest).
   */
  private metricBatchAt(offset: number): { firstSeq: number; batch: Batch } | undefined {
    const from = this.pos + offset;
    const next = nextWork(this.buffer, from, this.services.sink.limits);
    if (next.kind !== "batch" || !metricsOnly(next.batch) || next.batch.metrics.length === 0) return undefined;
    if (from + next.batch.count >= this.buffer.length && next.batch.count < this.services.sink.limits.entitiesPerBatch) return undefined;
    return { firstSeq: (this.buffer[from] as JournalRecord).s, batch: next.batch };
  }

  private acked(batch: Batch): void {
    this.advance(batch.count, batch.lastSeq);
    this.services.onAcked(this.source, batch.count);
  }

  private async refill(): Promise<void> {
    const read = await this.tail.read(READ_BYTES);
    if (read.corrupt.length > 0) this.services.onCorrupt(this.source, read.corrupt.length);
    this.final.add(read.records);
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
    // startRun's create is still on its way: its answer says which run is ours.
    const answer = this.createAnswered ? undefined : await this.source.pendingCreate;
    this.createAnswered = true;
    if (answer === "refused") forgetCreateAttempt(st); // refused outright: nothing to wait for before creating the run here
    const remote = (answer === "refused" ? undefined : answer) ?? (await findOrCreateRun(this.source, this.services));
    st.remoteRunId = remote.runId;
    st.remoteExperimentId = remote.experimentId;
    forgetCreateAttempt(st);
    await this.source.state.save();
    this.services.onRemoteId(this.source.runId, remote.runId);
    return remote.runId;
  }

  private async classify(err: unknown): Promise<StepResult> {
    const error = err instanceof MltrailError ? err : new MltrailError(`replication failed: ${String(err)}`, { cause: err });
    if (this.services.sink.mayLandLate?.(error) === true) this.source.state.state.uncertainAt = Date.now();
    if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) return { kind: "auth", error };
    if (isRetryable(error) || error.code === "INVALID_RESPONSE") {
      // A timeout is no reason to send less: a slow server answers a full batch later (the
      // sink's timeout grows with its answer times), and smaller batches only add requests to
      // its queue. Only an answer that says the batch is too big (below) makes batches smaller.
      this.failures++;
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

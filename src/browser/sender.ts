/**
 * Replicates one run from IndexedDB to an MLflow server, by the Node replicator's rules: the
 * run is created idempotently (looked up by its `mltrail.runKey` tag whenever its server id is
 * unknown, and looked up again once an unanswered create can no longer land), batches are cut
 * by `nextWork` within the server's limits from the ack cursor, `mlflow.runName` never travels
 * in a batch (a rename goes alone), the end goes after everything else, a 400 halves the batch
 * down to the one bad record, which is kept in the `rejected` store. One request per run is in
 * flight, or two metric-only batches while the server answers fast.
 *
 * @packageDocumentation
 */
import { type ApiError, AuthenticationError, BadRequestError, MltrailError, PayloadTooLargeError, PermissionDeniedError, SpoolError } from "../errors.js";
import type { JournalRecord } from "../log/record.js";
import type { BackendLimits } from "../model/limits.js";
import { MLFLOW_TAGS, RUN_KEY_TAG } from "../model/system-tags.js";
import { type Batch, nextWork } from "../remote/batcher.js";
import { appliedNothing, connectionErrorKind, isRetryable, retryAfterOf } from "../remote/errors.js";
import type { RequestOptions } from "../remote/http-types.js";
import type { MlflowClient } from "../remote/mlflow/client.js";
import type { BrowserStore, RunDoc } from "./store.js";

/** Records read from IndexedDB at once. */
const CHUNK = 4000;
/** A second metric batch goes out only while the last one was answered within this many ms. */
const PIPELINE_MAX_LATENCY_MS = 1000;
/** Body budget of the keepalive batch sent when the page goes away (fetch allows 64 KiB in flight). */
const KEEPALIVE_BYTES = 48_000;
/** Smallest batch a timeout shrinks to. */
const MIN_AFTER_TIMEOUT = 50;
const INACTIVE_RUN = /must be in the 'active' (lifecycle_)?state|run .* (is )?deleted|is not active/i;

/** Outcome of one step. @internal */
export type SendResult =
  | { readonly kind: "progress" }
  | { readonly kind: "idle" }
  | { readonly kind: "done" }
  | { readonly kind: "wait" }
  | { readonly kind: "retry"; readonly error: MltrailError; readonly retryAfterMs: number | undefined }
  | { readonly kind: "auth"; readonly error: ApiError }
  | { readonly kind: "blocked"; readonly error: MltrailError };

/** What a sender uses. @internal */
export interface SenderServices {
  readonly client: MlflowClient;
  readonly store: BrowserStore;
  readonly limits: BackendLimits;
  /** How long an unanswered request may still land on the server, ms. */
  readonly settleMs: number;
  experimentId(name: string): Promise<string>;
  /** The server id of a run of this store (a parent), undefined while it has none. */
  remoteIdOf(rk: string): Promise<string | undefined>;
  /** Takes a second request slot when one is free. */
  acquireExtra(): boolean;
  releaseExtra(): void;
  onAcked(doc: RunDoc, count: number): void;
  onRejected(doc: RunDoc, record: JournalRecord, error: ApiError): void;
}

function metricsOnly(batch: Batch): boolean {
  return batch.params.length === 0 && batch.tags.length === 0 && batch.metrics.length > 0;
}

function lastValue(entries: readonly { key: string; value: string }[], key: string): string | undefined {
  let value: string | undefined;
  for (const e of entries) if (e.key === key) value = e.value;
  return value;
}

/** Replication of one run. @internal */
export class RunSender {
  private buffer: JournalRecord[] = [];
  private pos = 0;
  private maxRecords = Number.POSITIVE_INFINITY;
  private lastBatchMs = Number.POSITIVE_INFINITY;
  private serverName: string;
  private creating: Promise<string> | undefined;
  /** Failures in a row, for backoff. */
  failures = 0;

  constructor(
    readonly doc: RunDoc,
    private readonly services: SenderServices,
  ) {
    this.serverName = doc.name;
  }

  /** Records committed and not yet acknowledged. */
  get pending(): number {
    return this.doc.done === true ? 0 : Math.max(0, this.doc.seq - this.doc.ackedSeq);
  }

  /** One request's worth of work. Never throws. */
  async step(): Promise<SendResult> {
    if (this.doc.done === true) return { kind: "done" };
    try {
      const remote = await this.ensureRemoteRun();
      if (this.pos >= this.buffer.length || (this.buffer[this.pos]?.t === "end" && this.pos + 1 >= this.buffer.length)) await this.refill();
      const work = nextWork(this.buffer, this.pos, this.services.limits, this.maxRecords);
      if (work.kind === "idle") return { kind: "idle" };
      if (work.kind === "end") {
        await this.services.client.updateRun({ runId: remote, status: work.end.status, endTime: work.end.ts });
        if (work.end.s >= this.doc.seq) this.doc.done = true;
        return await this.ack(1, work.end.s);
      }
      if (work.kind === "reopen") {
        await this.services.client.updateRun({ runId: remote, status: "RUNNING" });
        return await this.ack(1, work.resume.s);
      }
      if (work.kind === "artifact" || work.kind === "dataset") return await this.ack(1, work.kind === "artifact" ? work.artifact.s : work.dataset.s);
      const batch = await this.rewrite(work.batch);
      if (batch === undefined) return { kind: "wait" };
      const name = lastValue(batch.tags, MLFLOW_TAGS.runName);
      if (name !== undefined && name !== this.serverName) {
        await this.services.client.updateRun({ runId: remote, runName: name });
        this.serverName = name;
      }
      const sent = { ...batch, tags: batch.tags.filter((t) => t.key !== MLFLOW_TAGS.runName) };
      const second = metricsOnly(sent) ? this.secondMetricBatch(work.batch) : undefined;
      const started = performance.now();
      if (second !== undefined) {
        let results: PromiseSettledResult<void>[];
        try {
          results = await Promise.allSettled([this.services.client.logBatch(remote, sent), this.services.client.logBatch(remote, second)]);
        } finally {
          this.services.releaseExtra();
        }
        this.lastBatchMs = performance.now() - started;
        if (results[0]?.status === "rejected") throw results[0].reason;
        if (results[1]?.status === "rejected") {
          await this.ack(work.batch.count, work.batch.lastSeq);
          throw results[1].reason;
        }
        return await this.ack(work.batch.count + second.count, second.lastSeq);
      }
      if (sent.metrics.length + sent.params.length + sent.tags.length > 0) {
        await this.services.client.logBatch(remote, sent);
        this.lastBatchMs = performance.now() - started;
      }
      if (Number.isFinite(this.maxRecords))
        this.maxRecords = this.maxRecords * 2 > this.services.limits.entitiesPerBatch ? Number.POSITIVE_INFINITY : this.maxRecords * 2;
      return await this.ack(work.batch.count, work.batch.lastSeq);
    } catch (err) {
      return this.classify(err);
    }
  }

  /**
   * The page is going away: sends what this run has read from IndexedDB but not had
   * acknowledged as one log-batch with `keepalive`, so it may outlive the page, and its end
   * after it when everything else fitted. Nothing is acknowledged: the next page load sends the
   * same records again, which replays without effect. Records still queued (not yet committed)
   * are never sent here: the commit may not finish before the page dies, and a resumed page
   * logs again from what IndexedDB holds (`run.lastStep`), so a point the server got but
   * IndexedDB lost would arrive twice, with two timestamps.
   */
  sendWithKeepalive(): void {
    const remote = this.doc.remoteRunId;
    if (remote === undefined) return;
    const records = this.buffer.slice(this.pos);
    // fetch caps the bodies of keepalive requests in flight at 64 KiB in all.
    const work = nextWork(records, 0, { ...this.services.limits, batchBytes: KEEPALIVE_BYTES });
    const options: RequestOptions = { keepalive: true };
    const client = this.services.client;
    if (work.kind === "batch") {
      const tags = work.batch.tags.filter((t) => t.key !== MLFLOW_TAGS.runName && t.key !== MLFLOW_TAGS.parentRunId);
      void client.logBatch(remote, { ...work.batch, tags }, options).catch(() => undefined);
      const then = nextWork(records, work.batch.count, this.services.limits);
      if (then.kind === "end") void client.updateRun({ runId: remote, status: then.end.status, endTime: then.end.ts }, options).catch(() => undefined);
    } else if (work.kind === "end") {
      void client.updateRun({ runId: remote, status: work.end.status, endTime: work.end.ts }, options).catch(() => undefined);
    }
  }

  private secondMetricBatch(first: Batch): Batch | undefined {
    if (Number.isFinite(this.maxRecords) || this.lastBatchMs > PIPELINE_MAX_LATENCY_MS) return undefined;
    const next = nextWork(this.buffer, this.pos + first.count, this.services.limits);
    if (next.kind !== "batch" || !metricsOnly(next.batch)) return undefined;
    return this.services.acquireExtra() ? next.batch : undefined;
  }

  private async ack(count: number, lastSeq: number): Promise<SendResult> {
    this.failures = 0;
    this.pos += count;
    this.doc.ackedSeq = lastSeq;
    await this.services.store.ack(this.doc);
    this.services.onAcked(this.doc, count);
    return { kind: "progress" };
  }

  private async refill(): Promise<void> {
    const rest = this.buffer.slice(this.pos);
    const after = rest.at(-1)?.s ?? this.doc.ackedSeq;
    this.buffer = rest.concat(await this.services.store.pending(this.doc.rk, after, CHUNK));
    this.pos = 0;
  }

  /** Points `mlflow.parentRunId` at the parent's server id; undefined (wait) until it has one. */
  private async rewrite(batch: Batch): Promise<Batch | undefined> {
    if (!batch.tags.some((t) => t.key === MLFLOW_TAGS.parentRunId)) return batch;
    const tags: { key: string; value: string }[] = [];
    for (const t of batch.tags) {
      if (t.key !== MLFLOW_TAGS.parentRunId) tags.push(t);
      else {
        const remote = await this.services.remoteIdOf(t.value);
        if (remote === undefined) return undefined;
        tags.push({ key: t.key, value: remote });
      }
    }
    return { ...batch, tags };
  }

  /** The run's server id: known, found by its run key, or created (see the file comment). */
  ensureRemoteRun(): Promise<string> {
    if (this.doc.remoteRunId !== undefined) return Promise.resolve(this.doc.remoteRunId);
    // One attempt at a time: `startRun`'s bounded wait and the replication loop share it.
    this.creating ??= this.findOrCreate().finally(() => {
      this.creating = undefined;
    });
    return this.creating;
  }

  private async findOrCreate(): Promise<string> {
    const doc = this.doc;
    const { client, settleMs } = this.services;
    const experimentId = doc.remoteExperimentId ?? (await this.services.experimentId(doc.experiment));
    doc.remoteExperimentId = experimentId;
    const find = async (): Promise<string | undefined> =>
      (await client.searchRuns({ experimentIds: [experimentId], filter: `tags.\`${RUN_KEY_TAG}\` = '${doc.rk}'`, maxResults: 2, viewType: "ALL" })).items[0]
        ?.info.runId;
    let remote = await find();
    const landsUntil = doc.createAttemptedAt === undefined ? 0 : doc.createAttemptedAt + settleMs;
    if (remote === undefined && landsUntil > Date.now()) {
      // An earlier create (this page's, or a page that went away mid-request) may still land.
      await new Promise((resolve) => setTimeout(resolve, landsUntil - Date.now()));
      remote = await find();
    }
    if (remote === undefined) {
      doc.createAttemptedAt = Date.now();
      await this.services.store.saveReplication(doc);
      try {
        remote = (await client.createRun({ experimentId, runName: doc.name, startTime: doc.startTime, tags: { [RUN_KEY_TAG]: doc.rk } })).info.runId;
      } catch (error) {
        // Refused outright: no run can land from it, so the next attempt need not wait.
        if (appliedNothing(error)) {
          delete doc.createAttemptedAt;
          await this.services.store.saveReplication(doc);
        }
        throw error;
      }
    }
    doc.remoteRunId = remote;
    delete doc.createAttemptedAt;
    await this.services.store.saveReplication(doc);
    return remote;
  }

  private async classify(err: unknown): Promise<SendResult> {
    const error = err instanceof MltrailError ? err : new MltrailError(`replication failed: ${String(err)}`, { cause: err });
    if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) return { kind: "auth", error };
    // IndexedDB refused the ack (a full quota): the request landed, it replays without effect.
    if (error instanceof SpoolError) {
      this.failures++;
      return { kind: "retry", error, retryAfterMs: undefined };
    }
    if (isRetryable(error) || error.code === "INVALID_RESPONSE") {
      this.failures++;
      if (connectionErrorKind(error) === "timeout") {
        const work = nextWork(this.buffer, this.pos, this.services.limits, this.maxRecords);
        if (work.kind === "batch") this.maxRecords = Math.max(MIN_AFTER_TIMEOUT, Math.ceil(work.batch.count / 2));
      }
      return { kind: "retry", error, retryAfterMs: retryAfterOf(error) };
    }
    if ((error instanceof BadRequestError && !INACTIVE_RUN.test(error.message)) || error instanceof PayloadTooLargeError) {
      const work = nextWork(this.buffer, this.pos, this.services.limits, this.maxRecords);
      if (work.kind === "batch" && work.batch.count > 1) {
        this.maxRecords = Math.ceil(work.batch.count / 2); // bisect towards the bad record
        return { kind: "progress" };
      }
      const record = this.buffer[this.pos];
      if (work.kind === "batch" && record !== undefined) {
        this.doc.rejected++;
        const api = error as ApiError;
        await this.services.store.reject({ rk: this.doc.rk, s: record.s, record, status: api.status, error: api.message, at: Date.now() }, this.doc);
        this.services.onRejected(this.doc, record, api);
        this.maxRecords = Number.POSITIVE_INFINITY;
        return await this.ack(1, record.s);
      }
    }
    return { kind: "blocked", error };
  }
}

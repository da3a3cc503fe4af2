/**
 * The MLflow replication sink: each sink call is one MLflow REST request (experiments,
 * runs/create, log-batch, runs/update, log-inputs, the artifact proxy), made once without
 * retries: the replicator's loop retries, so its health sees every failure.
 */
import { ApiError, ConnectionError, type MltrailError } from "../../errors.js";
import { defined } from "../../internal/defined.js";
import type { BackendLimits } from "../../model/limits.js";
import { timedCall, type AdaptiveTimeout } from "../../remote/adaptive-timeout.js";
import type { ConcurrencyLimit } from "../../remote/concurrency-limit.js";
import { ArtifactSync } from "../../remote/artifact-sync.js";
import { connectionErrorKind } from "../../remote/errors.js";
import type { WorkerSpread } from "../../remote/worker-spread.js";
import type { StreamingHttpClient as HttpClient } from "../../remote/http.js";
import { MlflowClient } from "../../remote/mlflow/client.js";
import { RUN_KEY_TAG } from "../../model/system-tags.js";
import type { ReplicationSink, SinkBatch, SinkRun } from "../types.js";

/** Endpoints whose late arrival can overwrite a run's status, name or tag values. */
const LAST_WRITER_WINS = /\/runs\/(log-batch|update|set-tag)$/;

/**
 * True when the request may still be executing on the server and land after later ones: a
 * timeout, a reset or another lost connection, a 502/504 from a gateway, or a 2xx body that
 * could not be read, on an endpoint that writes last-writer-wins fields. A 500 or 503 was
 * answered by the server itself: the request is over, whatever it applied.
 */
export function mayLandLate(error: MltrailError): boolean {
  if (error instanceof ApiError) return (error.status === 502 || error.status === 504) && LAST_WRITER_WINS.test(error.endpoint);
  if (error instanceof ConnectionError) {
    const kind = connectionErrorKind(error);
    return kind !== "refused" && kind !== "dns" && kind !== "tls" && LAST_WRITER_WINS.test(error.endpoint);
  }
  return error.code === "INVALID_RESPONSE";
}

/**
 * Replication to an MLflow-compatible server. Every request but artifact transfers waits for
 * the shared {@link AdaptiveTimeout} and teaches it how long the server took to answer.
 * @internal
 */
export class MlflowSink implements ReplicationSink {
  private readonly abort = new AbortController();
  /** No retries inside calls: the replicator's loop retries, and its health sees each failure. */
  private readonly client: MlflowClient;
  private readonly artifacts: ArtifactSync;

  constructor(
    http: HttpClient,
    readonly limits: BackendLimits,
    private readonly timeout: AdaptiveTimeout,
    /** The requests in flight to this server allowed now, shared with `startRun`'s creates. */
    readonly requestLimit?: ConcurrencyLimit,
    /** Whether pipelined log-batches share one server worker, shared with the tracker's other sinks to this server. */
    private readonly spread?: WorkerSpread,
  ) {
    this.client = new MlflowClient({ http, retry: false });
    this.artifacts = new ArtifactSync(this.client, http, this.abort.signal);
  }

  /**
   * How long a write that may still be in flight is given to land: the current request timeout
   * (the tracker's `requestTimeoutMs`, longer while the server answers slowly).
   */
  get settleMs(): number {
    return this.timeout.currentMs();
  }

  /** Runs one request within the shared limit, with the adaptive timeout, and tells both how it went (`heavy`: a log-batch). */
  private timed<T>(call: (options: { signal: AbortSignal; timeoutMs: number }) => Promise<T>, heavy = false): Promise<T> {
    return timedCall(this.timeout, (timeoutMs) => call({ signal: this.abort.signal, timeoutMs }), { limit: this.requestLimit, heavy });
  }

  async experimentId(name: string): Promise<string> {
    return (await this.timed((o) => this.client.getOrCreateExperiment(name, undefined, o))).experimentId;
  }

  async findRun(experimentId: string, run: SinkRun): Promise<string | undefined> {
    const page = await this.timed((o) =>
      this.client.searchRuns({ experimentIds: [experimentId], filter: `tags.\`${RUN_KEY_TAG}\` = '${run.runKey}'`, maxResults: 2, viewType: "ALL" }, o),
    );
    return page.items[0]?.info.runId;
  }

  async createRun(experimentId: string, run: SinkRun): Promise<string> {
    const created = await this.timed((o) =>
      this.client.createRun(
        { experimentId, runName: run.name, startTime: run.startTime, tags: { [RUN_KEY_TAG]: run.runKey }, ...defined({ userId: run.user }) },
        o,
      ),
    );
    return created.info.runId;
  }

  /**
   * One log-batch. Its answer time goes to the pair check (`spread`), which may send it on a new
   * connection: two pipelined batches found taking turns in one server worker.
   */
  logBatch(runId: string, batch: SinkBatch): Promise<void> {
    const { spread, requestLimit: limit } = this;
    if (spread === undefined || limit === undefined || !spread.checking) return this.timed((o) => this.client.logBatch(runId, batch, o), true);
    const records = batch.metrics.length + batch.params.length + batch.tags.length;
    return this.timed(async (o) => {
      const generation = spread.generation;
      const atSend = limit.inFlight;
      const started = performance.now();
      await this.client.logBatch(runId, batch, spread.takeNewConnection() ? { ...o, newConnection: true } : o);
      spread.answered(generation, performance.now() - started, records, atSend, limit.inFlight);
    }, true);
  }

  async renameRun(runId: string, name: string): Promise<void> {
    await this.timed((o) => this.client.updateRun({ runId, runName: name }, o));
  }

  async endRun(runId: string, status: "FINISHED" | "FAILED" | "KILLED", endTime: number): Promise<void> {
    await this.timed((o) => this.client.updateRun({ runId, status, endTime }, o));
  }

  async reopenRun(runId: string): Promise<void> {
    // MLflow keeps end_time until the new end overwrites it; the status says RUNNING meanwhile.
    await this.timed((o) => this.client.updateRun({ runId, status: "RUNNING" }, o));
  }

  readRun(runId: string): ReturnType<MlflowClient["getRun"]> {
    return this.timed((o) => this.client.getRun(runId, o));
  }

  uploadArtifact: ReplicationSink["uploadArtifact"] = (runId, run, record) => this.artifacts.upload(runId, run, record);
  logDataset: ReplicationSink["logDataset"] = (runId, _run, record) => this.artifacts.dataset(runId, record);
  finishArtifacts: ReplicationSink["finishArtifacts"] = (runId, run, manifest) => this.artifacts.finish(runId, run, manifest);

  mayLandLate(error: MltrailError): boolean {
    return mayLandLate(error);
  }

  close(): void {
    this.abort.abort();
  }
}

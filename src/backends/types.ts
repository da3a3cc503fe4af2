/**
 * The backend seam: what every tracking backend implements (MLflow, the local store, a third
 * party's). The tracker, runs and the replicator speak only these interfaces; which
 * implementation answers is chosen from the tracking URI's scheme (./schemes.ts).
 *
 * The local run log is always there: every run is written to it first. A backend adds what
 * its capabilities declare: a replication sink that receives the run log's records (each
 * target with its own ack cursor in the run's `replication.json`), queries by its own ids
 * (the tracker puts read-your-writes on top), a model registry, artifact storage. What a
 * backend lacks is served by the local store.
 *
 * @packageDocumentation
 */
import type { DatasetInfo } from "../artifacts/run-artifacts.js";
import type { MltrailError } from "../errors.js";
import type { ArtifactRecord, DatasetRecord } from "../log/record.js";
import type { BackendLimits } from "../model/limits.js";
import type { EndStatus, Experiment, Metric, RunRecord, RunViewType } from "../model/types.js";
import type { RegistryStore } from "../registry/store.js";
import type { HistoryQuery } from "../store/series/history.js";
import type { ArtifactEntry, DownloadProgress } from "../store/artifact-queries.js";

/**
 * What a backend can do. The tracker never calls what a backend does not declare; what it
 * lacks is answered by the local store (queries, registry) or skipped (the end-of-run read-back).
 * @example `{ replication: true, queries: true, search: true, registry: true, artifacts: true, readBack: true, appendOnly: false }`
 */
export interface BackendCapabilities {
  /** It receives the run log's records through a {@link ReplicationSink} (false only for the local store itself). */
  readonly replication: boolean;
  /** Runs, histories and experiments can be read back ({@link TrackingBackend.queries}). */
  readonly queries: boolean;
  /** `searchRuns` understands MLflow's filter and order syntax (docs/search-syntax.md). */
  readonly search: boolean;
  /** It holds a model registry ({@link TrackingBackend.registry}). */
  readonly registry: boolean;
  /** It stores artifact files (`uploadArtifact` does more than skip). */
  readonly artifacts: boolean;
  /** The sink can read a run back for the end-of-run check ({@link ReplicationSink.readRun}). */
  readonly readBack: boolean;
  /** Writes only append (event files, TSV plots): a status or tag written once is not rewritten in place. */
  readonly appendOnly: boolean;
}

/**
 * A run as a sink sees it when creating it or sending its files.
 * @example `{ localId: "0193…", runKey: "0193…", experimentName: "churn", name: "baseline", startTime: 1764170000000, user: "ana", runDir: "/p/mltrail/…", journalDir: "/p/mltrail/…/journal" }`
 */
export interface SinkRun {
  /** The run's id in the local run log (its folder name). */
  readonly runId: string;
  /** Client-side key of the run (sent as the `mltrail.runKey` tag), for idempotent creation. */
  readonly runKey: string;
  /** Name of its experiment. */
  readonly experimentName: string;
  /** The name the run is created with. */
  readonly name: string;
  /** Start time, ms since the epoch. */
  readonly startTime: number;
  /** The user who ran it, when known. */
  readonly user: string | undefined;
  /** The run's folder in the local run log (`artifacts/` holds its files). */
  readonly runDir: string;
  /** The run's journal folder. */
  readonly journalDir: string;
}

/**
 * One batch of a run's records, within the sink's {@link BackendLimits}. Params and tags keep
 * the run log's order (the last tag of a key wins); `mlflow.runName` never appears (renames go
 * through {@link ReplicationSink.renameRun}).
 * @example `{ metrics: [{ key: "loss", value: 0.3, step: 1, timestamp: 1764170000000 }], params: [], tags: [] }`
 */
export interface SinkBatch {
  /** Metric points (values may be NaN or ±Infinity). */
  readonly metrics: readonly Metric[];
  /** Params as strings. */
  readonly params: readonly { readonly key: string; readonly value: string }[];
  /** Tags as strings. */
  readonly tags: readonly { readonly key: string; readonly value: string }[];
}

/**
 * Where the replicator sends a run log's records. One sink per target; the replicator keeps
 * each run's ack cursor for the target in the run's `replication.json`, sends at most one
 * request per run at a time, retries with backoff and tracks health, so a sink makes each call
 * once and throws on failure. How a failure is handled follows its class (src/errors.ts):
 * `ConnectionError`, `RateLimitError`, `ServerError` are retried; `BadRequestError` and
 * `PayloadTooLargeError` isolate the record by halving the batch and set it aside in
 * `rejected.jsonl`; `AuthenticationError`/`PermissionDeniedError` pause replication until a probe
 * succeeds; anything else stops the run's replication (reported, its records stay in the log).
 *
 * Every call must be idempotent under replay: after a crash the replicator resends from the
 * last saved cursor.
 * @example see `examples/backend-jsonl.ts` and docs/backends.md
 */
export interface ReplicationSink {
  /** Limits per batch (metrics, params, tags, bytes). */
  readonly limits: BackendLimits;
  /**
   * How long a write that failed without an answer may still land, ms: the end-of-run check
   * waits this long after such a write. 0 for sinks whose writes cannot land late (files).
   */
  readonly settleMs: number;
  /**
   * The requests the target takes in flight now (an adaptive limit the sink's calls wait for):
   * the replicator starts no more steps than this. Omitted: `maxConcurrentRequests`.
   */
  readonly requestLimit?: { current(): number } | undefined;
  /** The sink's id of the experiment with this name, created when missing. */
  experimentId(name: string): Promise<string>;
  /** The sink's id of a run created earlier with this `runKey`, if any (a lost answer, another process). */
  findRun(experimentId: string, run: SinkRun): Promise<string | undefined>;
  /** Creates the run, returning the sink's id for it. */
  createRun(experimentId: string, run: SinkRun): Promise<string>;
  /** Stores a batch of metrics, params and tags. */
  logBatch(runId: string, batch: SinkBatch): Promise<void>;
  /** Renames the run, touching nothing else (its status above all). */
  renameRun(runId: string, name: string): Promise<void>;
  /** Records the run's final status and end time; sent after every other record of the run. */
  endRun(runId: string, status: EndStatus, endTime: number): Promise<void>;
  /**
   * Marks a run RUNNING again: it was resumed (`startRun({ resume })`) after its end was sent.
   * Optional: a target without a run status (append-only files) leaves it out.
   * @example `await sink.reopenRun?.(serverRunId)`
   */
  reopenRun?(runId: string): Promise<void>;
  /** Stores one artifact file (`record.p` under the run's `artifacts/` folder); a sink without artifact storage resolves at once. */
  uploadArtifact(runId: string, run: SinkRun, record: ArtifactRecord): Promise<void>;
  /** Records one dataset input; a sink without datasets resolves at once. */
  logDataset(runId: string, run: SinkRun, record: DatasetRecord): Promise<void>;
  /**
   * Called once before the run's end, after its last artifact (MLflow uploads the artifact
   * manifest here). `manifest` is the run's artifacts, path → sha256 and size (last record
   * wins), when the replicator read every record of the run; otherwise the sink reads the journal.
   */
  finishArtifacts(runId: string, run: SinkRun, manifest?: Readonly<Record<string, { sha256: string; size: number }>>): Promise<void>;
  /**
   * Reads the run back for the end-of-run check (status, end time, name, tags, params, metric
   * keys compared with the log; what differs is re-sent). Absent: no check, the end's
   * acknowledgement is final.
   */
  readRun?(runId: string): Promise<RunRecord>;
  /**
   * True when a failed call may still be executing and land after later ones (a timeout on a
   * write of status, name or tags), which makes the end-of-run check wait `settleMs`.
   * @default never
   */
  mayLandLate?(error: MltrailError): boolean;
  /** Aborts what is in flight; the sink is not used again. */
  close(): void;
}

/**
 * Options of {@link BackendQueries.searchRuns}.
 * @example `{ filter: "metrics.acc > 0.9", orderBy: ["metrics.acc DESC"], maxResults: 10 }`
 */
export interface BackendSearch {
  /** MLflow filter syntax. @default none */
  readonly filter?: string | undefined;
  /** MLflow order-by clauses. @default start time, newest first */
  readonly orderBy?: readonly string[] | undefined;
  /** At most this many runs. @default 1000 */
  readonly maxResults?: number | undefined;
  /** Runs by lifecycle stage; deleted runs carry `info.deleted: true`. @default "ACTIVE_ONLY" */
  readonly view?: RunViewType | undefined;
}

/**
 * Reads against a backend, by the backend's own run and experiment ids. Every miss throws
 * `NotFoundError` (whatever the backend's own error was is kept as its `cause`). The tracker
 * adds read-your-writes on top: a run the local log holds answers from the log until the
 * backend has all of it.
 * @example `await backend.queries.getRun(serverRunId)`
 */
export interface BackendQueries {
  /** A run by id. Throws `NotFoundError`. */
  getRun(runId: string): Promise<RunRecord>;
  /**
   * A metric's history in logged order (empty for an unknown key). Throws `NotFoundError` for
   * an unknown run. `query` (absent: every point) asks for a step range and at most
   * `maxResults` points, or with `sampled` an even sample of them; a backend that cannot select
   * may return more (the tracker then applies the range and limit to its answer).
   */
  getMetricHistory(runId: string, key: string, query?: HistoryQuery): Promise<Metric[]>;
  /** Runs of these experiments (by id) matching the search. */
  searchRuns(experimentIds: readonly string[], search: BackendSearch): Promise<RunRecord[]>;
  /** Every experiment in the lifecycle stages asked (deleted ones carry `deleted: true`). @default view "ACTIVE_ONLY" */
  listExperiments(view?: RunViewType): Promise<Experiment[]>;
  /** An experiment by name, or undefined. */
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  /** Artifacts directly under `path` (the root when undefined). Throws `NotFoundError` for an unknown run. */
  listArtifacts(runId: string, path: string | undefined): Promise<ArtifactEntry[]>;
  /** Downloads a file or folder into `dest`; resolves with the local path. Throws `NotFoundError`. */
  downloadArtifacts(runId: string, path: string, dest: string, onProgress?: DownloadProgress): Promise<string>;
  /** The dataset inputs a run recorded. Throws `NotFoundError` for an unknown run. */
  runDatasets(runId: string): Promise<DatasetInfo[]>;
}

/**
 * Deleting and restoring by the backend's ids (MLflow's lifecycle stage). A deletion keeps the
 * run's data; deleting an experiment deletes its runs and restoring it restores them all.
 * Calls are idempotent. Deletions made in the local run log reach the backend through
 * {@link setRunDeleted} once the run is there.
 * @example `await backend.lifecycle?.setRunDeleted(serverRunId, true)`
 */
export interface BackendLifecycle {
  /** Deletes (`true`) or restores (`false`) a run. Throws `NotFoundError` for an unknown run. */
  setRunDeleted(runId: string, deleted: boolean): Promise<void>;
  /** Deletes or restores an experiment and its runs. Throws `NotFoundError` for an unknown experiment. */
  setExperimentDeleted(experimentId: string, deleted: boolean): Promise<void>;
}

/**
 * Creates a run on the backend at `startRun`, failing fast, so the run's id is the backend's
 * from the start. Resolves undefined (or throws) when the backend does not answer in time:
 * the run then starts locally and the replicator creates it later.
 */
export type CreateRunNow = (run: Omit<SinkRun, "runDir" | "journalDir" | "runId">, timeoutMs: number) => Promise<{ runId: string; experimentId: string }>;

/**
 * A tracking backend: one implementation per kind of store, chosen by the tracking URI's scheme.
 * @example
 * ```ts
 * const backend: TrackingBackend = { kind: "jsonl", target: "jsonl:/tmp/runs", capabilities, sink: () => new JsonlSink(dir), close() {} };
 * ```
 */
export interface TrackingBackend {
  /** Short name for messages, e.g. `"mlflow"`. */
  readonly kind: string;
  /**
   * The target's identity: the key of each run's replication cursor in `replication.json`.
   * Every spelling of one target must give the same string.
   */
  readonly target: string;
  /** What it can do. */
  readonly capabilities: BackendCapabilities;
  /**
   * A new replication sink (the tracker makes one per replicator). Absent for the local store,
   * which is the run log itself.
   */
  sink?(): ReplicationSink;
  /** Reads by the backend's ids; required when `capabilities.queries`. */
  readonly queries?: BackendQueries;
  /** Delete and restore of runs and experiments; absent: the backend keeps every run active. */
  readonly lifecycle?: BackendLifecycle;
  /** The model registry; required when `capabilities.registry`. */
  readonly registry?: RegistryStore;
  /** Eager creation at `startRun`; absent: runs are created by the replicator. */
  readonly createRunNow?: CreateRunNow;
  /** A link to the run in the backend's UI, when it has one. */
  runUrl?(experimentId: string, runId: string): string | undefined;
  /** Releases connections; called once by `tracker.close()`. */
  close(): void;
}

/**
 * What a backend factory gets: the URI it was chosen for and the tracker's settings it may need.
 * @example `registerBackend("jsonl", (ctx) => jsonlBackend(ctx.uri, ctx.cwd))`
 */
export interface BackendContext {
  /** The tracking URI as given (for a registered scheme, `scheme:rest`). Keep credentials out of it: use `auth`. */
  readonly uri: string;
  /** The folder relative paths resolve against. */
  readonly cwd: string;
  /** Batch limits from the `limits` option (MLflow's by default). */
  readonly limits: BackendLimits;
  /** Per-request timeout of the tracker, ms (a sink's `settleMs` is usually this). */
  readonly requestTimeoutMs: number;
  /** Reports a problem that did not throw (the tracker's `"error"` event). */
  readonly onError: (error: MltrailError) => void;
}

/**
 * Builds a backend for a tracking URI. Called once per tracker (and per `syncRuns`), with no
 * I/O expected before the first call on the backend.
 * @example `const factory: BackendFactory = (ctx) => jsonlBackend(ctx.uri)`
 */
export type BackendFactory = (context: BackendContext) => TrackingBackend;

/**
 * The types a run replicator works with: what it knows of its run (`RunSource`), the services
 * its replicator gives it (`ReplicatorServices`), and the outcome of one step (`StepResult`).
 */
import type { ApiError, MltrailError } from "../errors.js";
import type { JournalRecord } from "../log/record.js";
import type { ReplicationSink, SinkRun } from "../backends/types.js";
import type { AnswerGate } from "./pipeline-gate.js";
import type { ReplicationState } from "./replication-state.js";

/** What a run replicator needs to know about its run. */
export interface RunSource extends SinkRun {
  /** Highest sequence number written to the journal so far. */
  writtenSeq(): number;
  /** The run's progress towards this target (its ack cursor). */
  readonly state: ReplicationState;
  /** Called when the replicator no longer needs the run (done, or the tracker closes). */
  release?(): void;
  /**
   * The answer of a create request `startRun` sent and stopped waiting for (the server was
   * slow): the server's run, `"refused"` when the server answered that it created nothing, or
   * undefined when the request failed otherwise (it may still have landed).
   */
  readonly pendingCreate?: Promise<{ readonly runId: string; readonly experimentId: string } | "refused" | undefined>;
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
  /** True when {@link acquireExtraRequest} would find a slot now (nothing taken). Omitted: it decides alone. */
  extraRequestFree?(): boolean;
  /** Whether the server answers fast enough for a second batch in flight (shared by the runs). Omitted: a private one. */
  readonly pipelineGate?: AnswerGate;
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

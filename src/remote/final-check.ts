/**
 * The end-of-run check: once a run's end is acknowledged and every write of the run that
 * may still be in flight has had time to land, the run is read back from the server and
 * compared with the final state of the local log: status, end time, name, the last value of
 * every tag, every param, and the presence of every metric key. What a late request regressed
 * (or a 2xx silently dropped) is re-applied; what cannot be fixed is reported.
 *
 * Only last-writer-wins fields can regress: metric points are rows keyed by their content and
 * params are immutable, so replays of those add nothing. Status, end time, name and tag
 * values are the fields a late request can overwrite.
 *
 * @packageDocumentation
 */
import { BadRequestError } from "../errors.js";
import { isRetryable } from "./errors.js";
import type { Batch } from "./batcher.js";
import type { EndStatus, RunRecord } from "../model/types.js";
import type { ReplicationSink } from "../backends/types.js";
import type { ReplicationState } from "./replication-state.js";
import { type LocalFinal, readLocalFinal } from "./local-final.js";
import { MLFLOW_TAGS } from "../model/system-tags.js";

/** Tag MLflow keeps as the run's name; sent only at creation (or as a rename), never in a batch. */
export const RUN_NAME_TAG = MLFLOW_TAGS.runName;
/** Tag that points at the parent run; holds a local id in the log and the server id on the server. */
export const PARENT_TAG = MLFLOW_TAGS.parentRunId;

/** Repair rounds of the end-of-run check before what still differs is reported. */
const MAX_REPAIRS = 3;

/** The value of the last entry with `key`, if any. @internal */
export function lastValue(entries: readonly { key: string; value: string }[], key: string): string | undefined {
  let value: string | undefined;
  for (const e of entries) if (e.key === key) value = e.value;
  return value;
}

/** How the server's copy of a run differs from the local log. @internal */
export interface Drift {
  /** Status and end time to send again. */
  readonly end: { readonly status: EndStatus; readonly endTime: number } | undefined;
  /** Name to send again (as a rename). */
  readonly name: string | undefined;
  /** Tags whose server value is not the last value logged. */
  readonly tags: { key: string; value: string }[];
  /** Params the server does not have. */
  readonly params: { key: string; value: string }[];
  /** Params the server holds with another value (params are immutable: cannot be fixed). */
  readonly conflictingParams: string[];
  /** Metric keys the server has no point for. */
  readonly missingMetrics: string[];
}

/** True when nothing differs that could be re-applied. @internal */
export function isRepairable(d: Drift): boolean {
  return d.end !== undefined || d.name !== undefined || d.tags.length > 0 || d.params.length > 0;
}

/** True when the server holds exactly the final state. @internal */
export function isClean(d: Drift): boolean {
  return !isRepairable(d) && d.conflictingParams.length === 0 && d.missingMetrics.length === 0;
}

/**
 * Compares the server's run with the local final state. `parentId` maps the local value of
 * `mlflow.parentRunId` to what the server should hold; `createdName` is the name the run was
 * created with (used when the log has no `mlflow.runName` tag).
 * @internal
 */
export function driftOf(local: LocalFinal, server: RunRecord, parentId: string | undefined, createdName: string): Drift {
  const tags: { key: string; value: string }[] = [];
  for (const [key, value] of local.tags) {
    if (key === RUN_NAME_TAG) continue;
    const expected = key === PARENT_TAG ? (parentId ?? value) : value;
    if (server.data.tags[key] !== expected) tags.push({ key, value: expected });
  }
  const params: { key: string; value: string }[] = [];
  const conflictingParams: string[] = [];
  for (const [key, value] of local.params) {
    const held = server.data.params[key];
    if (held === undefined) params.push({ key, value });
    else if (held !== value) conflictingParams.push(key);
  }
  const missingMetrics = [...local.metricKeys].filter((k) => !(k in server.data.metrics));
  const name = local.tags.get(RUN_NAME_TAG) ?? createdName;
  const end = local.end;
  const endDiffers = end !== undefined && (server.info.status !== end.status || server.info.endTime !== end.ts);
  return {
    end: endDiffers ? { status: end.status, endTime: end.ts } : undefined,
    name: server.info.name === name ? undefined : name,
    tags,
    params,
    conflictingParams,
    missingMetrics,
  };
}

/** One line naming what a server did not keep. @internal */
export function describeDrift(d: Drift): string {
  const parts: string[] = [];
  const list = (xs: readonly string[]): string => xs.slice(0, 5).join(", ") + (xs.length > 5 ? ` and ${xs.length - 5} more` : "");
  if (d.end !== undefined) parts.push(`status/end time (want ${d.end.status} at ${d.end.endTime})`);
  if (d.name !== undefined) parts.push("name");
  if (d.tags.length > 0) parts.push(`tags ${list(d.tags.map((t) => t.key))}`);
  if (d.params.length > 0) parts.push(`missing params ${list(d.params.map((p) => p.key))}`);
  if (d.conflictingParams.length > 0) parts.push(`params with another value ${list(d.conflictingParams)}`);
  if (d.missingMetrics.length > 0) parts.push(`metrics without any point ${list(d.missingMetrics)}`);
  return parts.join("; ");
}

/** What the check needs to know about its run (a `RunSource` has it). @internal */
export interface CheckSource {
  readonly runDir: string;
  readonly journalDir: string;
  /** The name the run was created with. */
  readonly name: string;
  readonly state: ReplicationState;
}

/** The requests and reports the check uses (the replicator's services have them). @internal */
export interface CheckServices {
  /** The target: its limits, settle time, read-back and the calls a repair makes. */
  readonly sink: Pick<ReplicationSink, "limits" | "settleMs" | "readRun" | "logBatch" | "renameRun" | "endRun">;
  remoteIdOf(localRunId: string): Promise<string | undefined>;
  onAcked(source: CheckSource, count: number): void;
  onNotKept(source: CheckSource, what: string): void;
}

/** Outcome of one round of the check. @internal */
export type CheckResult = { readonly kind: "later"; readonly delayMs: number } | { readonly kind: "progress" } | { readonly kind: "done" };

/**
 * The end-of-run check of one run: after the last write that may still be in flight has had
 * `settleMs` to land, reads the run back and re-applies what differs from the log's final
 * state (params and tags, then the name, then status and end time last), up to
 * {@link MAX_REPAIRS} rounds; then reports what still differs and marks the run done.
 * Transport errors are thrown, for the replicator's retry loop.
 * @internal
 */
export class FinalCheck {
  /** The log's final state, read once. */
  private final: LocalFinal | undefined;
  private repairs = 0;

  /**
   * @param known - the final state as the replicator folded it while reading the journal, when
   *   it has it (undefined: the whole journal is read here).
   */
  constructor(
    private readonly source: CheckSource,
    private readonly services: CheckServices,
    private readonly known?: () => Promise<LocalFinal | undefined>,
  ) {}

  /** One round: wait, check, repair or finish. */
  async step(remoteRunId: string): Promise<CheckResult> {
    const st = this.source.state.state;
    const sink = this.services.sink;
    // A sink that cannot read back (append-only files) has nothing to compare: the end is final.
    if (sink.readRun === undefined) return this.finish();
    const wait = (st.uncertainAt ?? 0) + sink.settleMs - Date.now();
    if (wait > 0) return { kind: "later", delayMs: wait };
    this.final ??= (await this.known?.()) ?? (await readLocalFinal(this.source.journalDir, this.source.runDir));
    const parent = this.final.tags.get(PARENT_TAG);
    const parentId = parent === undefined ? undefined : await this.services.remoteIdOf(parent);
    const drift = driftOf(this.final, await sink.readRun(remoteRunId), parentId, this.source.name);
    if (isRepairable(drift) && this.repairs < MAX_REPAIRS) {
      this.repairs++;
      try {
        await this.repair(remoteRunId, drift);
      } catch (err) {
        if (!(err instanceof BadRequestError) || isRetryable(err)) throw err;
        this.services.onNotKept(this.source, `${describeDrift(drift)} (the repair was refused: ${err.message})`);
        return this.finish();
      }
      return { kind: "progress" };
    }
    if (!isClean(drift)) this.services.onNotKept(this.source, describeDrift(drift));
    return this.finish();
  }

  private async repair(remoteRunId: string, drift: Drift): Promise<void> {
    const n = Math.min(this.services.sink.limits.tagsPerBatch, this.services.sink.limits.paramsPerBatch);
    for (let i = 0; i < Math.max(drift.tags.length, drift.params.length); i += n) {
      const batch: Batch = { metrics: [], params: drift.params.slice(i, i + n), tags: drift.tags.slice(i, i + n), count: 0, lastSeq: 0 };
      await this.services.sink.logBatch(remoteRunId, batch);
    }
    if (drift.name !== undefined) await this.services.sink.renameRun(remoteRunId, drift.name);
    if (drift.end !== undefined) await this.services.sink.endRun(remoteRunId, drift.end.status, drift.end.endTime);
  }

  private async finish(): Promise<CheckResult> {
    this.source.state.state.done = true;
    await this.source.state.save();
    this.services.onAcked(this.source, 1); // the end record
    return { kind: "done" };
  }
}

/**
 * Sending a local run log to a server on demand (`mltrail sync`): claims every run that is
 * not fully replicated to the target and no live process is writing, and replicates them.
 * Running it again sends nothing twice: each run's cursor and server id are persisted.
 */
import { createLogger } from "../internal/logger.js";
import { resolveOptions, type TrackerOptions } from "../options.js";
import { LocalStore } from "../store/local-store.js";
import { NotFoundError, ValidationError, type MltrailError } from "../errors.js";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { STORE_MARKER } from "../store/layout.js";
import { createBackend } from "../backends/index.js";
import { connectRemote } from "./connect.js";
import { claimPendingRuns } from "./drain.js";
import { replicateLifecycle } from "./lifecycle-sync.js";
import { defined } from "../internal/defined.js";

/**
 * Options of {@link syncRuns}.
 * @example `{ spoolDir: "./mltrail", trackingUri: "http://127.0.0.1:5000" }`
 */
export interface SyncOptions
  extends Pick<TrackerOptions, "auth" | "limits" | "requestTimeoutMs" | "maxConcurrentRequests" | "retryBaseMs" | "retryMaxMs" | "logLevel" | "logger"> {
  /** The local run log to send. @default `MLTRAIL_SPOOL_DIR`, else "./mltrail" */
  readonly spoolDir?: string;
  /** The server. @default `MLFLOW_TRACKING_URI` */
  readonly trackingUri?: string;
  /** Only this run (local or server id). @default every pending run */
  readonly runId?: string;
  /** Give up on what is still unsent after this long, in ms (it stays in the log). @default 600000 */
  readonly timeoutMs?: number;
  /** Called about every 200 ms with progress. @default none */
  readonly onProgress?: (progress: SyncProgress) => void;
  /** Called once per distinct error as it happens (e.g. the server is unreachable). @default none */
  readonly onError?: (message: string) => void;
}

/**
 * Progress of a sync.
 * @example `({ sent, total }) => bar.update(sent, { total })`
 */
export interface SyncProgress {
  /** Runs being sent. */
  readonly runs: number;
  /** Records acknowledged so far. */
  readonly sent: number;
  /** Records that were pending at the start. */
  readonly total: number;
}

/**
 * What a sync did.
 * @example `console.log(`${summary.acked} records sent, ${summary.pending} left`)`
 */
export interface SyncSummary {
  /** Runs that had something to send. */
  readonly runs: number;
  /** Records acknowledged by the server. */
  readonly acked: number;
  /** Records the server rejected (kept in each run's rejected.jsonl). */
  readonly rejected: number;
  /** Records still unsent (network down, timeout, paused by 401/403). */
  readonly pending: number;
  /** Errors met on the way (transport, auth, blocked runs). */
  readonly errors: readonly string[];
}

/**
 * Replicates every pending run of a local run log to a server.
 * @example
 * ```ts
 * const summary = await syncRuns({ spoolDir: "./mltrail", trackingUri: "http://127.0.0.1:5000" });
 * ```
 */
export async function syncRuns(options: SyncOptions = {}): Promise<SyncSummary> {
  const { spoolDir, trackingUri, runId, timeoutMs = 600_000, onProgress, onError, ...rest } = options;
  const resolved = resolveOptions({
    ...rest,
    ...defined({ spoolDir }),
    ...defined({ trackingUri }),
    handleExit: false,
    captureContext: false,
  });
  if (resolved.backend.kind === "local") {
    throw new ValidationError(
      "trackingUri",
      resolved.trackingUri,
      "sync needs an http(s) URL of a tracking server or the URI of a registered backend (option --to or MLFLOW_TRACKING_URI)",
    );
  }
  // A mistyped folder is an error, not "synced 0 run(s)" (and opening it would create a store).
  if (!existsSync(path.join(resolved.spoolDir, STORE_MARKER))) {
    const why = existsSync(resolved.spoolDir) ? "is not an mltrail run log (it has no mltrail-store.json)" : "does not exist";
    throw new NotFoundError(`no local run log to sync: ${resolved.spoolDir} ${why}; give the folder runs were logged to with --dir (or MLTRAIL_SPOOL_DIR)`);
  }
  const errors: string[] = [];
  const log = createLogger(resolved.logLevel, resolved.logger);
  if (resolved.backend.kind === "mlflow" && resolved.backend.notice !== undefined) log.warn(resolved.backend.notice);
  const spool = LocalStore.open(resolved.spoolDir);
  spool.catch(() => undefined);
  const report = (e: MltrailError): void => {
    if (errors.includes(e.message)) return;
    errors.push(e.message);
    onError?.(e.message);
  };
  const backend = createBackend(resolved, report);
  const remote =
    backend === undefined
      ? undefined
      : connectRemote(backend, resolved, log, { spool: () => spool, onState: () => undefined, onError: report, onRejected: () => undefined });
  if (remote === undefined) {
    backend?.close();
    throw new ValidationError(
      "trackingUri",
      resolved.trackingUri,
      `the ${backend?.kind ?? "local"} backend receives no replicated runs, so there is nothing to sync to`,
    );
  }
  try {
    const store = await spool;
    const { sources } = await claimPendingRuns(store, remote.target, { earlier: true, ...defined({ runId }) });
    // A run whose end was sent but not yet checked on the server still counts its end record.
    const total = sources.reduce((n, s) => n + Math.max(0, s.writtenSeq() - s.state.state.ackedSeq) + (s.state.state.ended === true ? 1 : 0), 0);
    for (const s of sources) remote.replicator.add(s);
    const report = setInterval(() => onProgress?.({ runs: sources.length, sent: remote.replicator.stats().acked, total }), 200);
    try {
      await remote.replicator.flush(timeoutMs);
    } finally {
      clearInterval(report);
    }
    const stats = remote.replicator.stats();
    onProgress?.({ runs: sources.length, sent: stats.acked, total });
    // Then deletions and restores, now that the runs they concern are on the server.
    const lifecycle = remote.backend.lifecycle;
    const stages =
      lifecycle === undefined
        ? { pending: 0, errors: [] }
        : await replicateLifecycle(store, remote.target, (id, deleted) => lifecycle.setRunDeleted(id, deleted));
    for (const e of stages.errors) if (!errors.includes(e)) errors.push(e);
    return { runs: sources.length, acked: stats.acked, rejected: stats.rejected, pending: stats.pending + stages.pending, errors };
  } finally {
    remote.replicator.close();
    backend?.close();
  }
}

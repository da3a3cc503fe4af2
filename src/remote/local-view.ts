/**
 * Read-your-writes with a server: which runs the local run log answers for, and how a run of
 * the log reads as the server will show it.
 *
 * A run the log holds answers from the log until the server has acknowledged all of it, its
 * end included (`done` in replication.json); from then on the server answers. The log is
 * always complete for what was logged through it, so a read right after `withRun` sees every
 * record, whether or not it has been sent yet, and needs no network while the server is down.
 */
import * as fsp from "node:fs/promises";
import type { RunRecord } from "../model/types.js";
import type { LocalStore } from "../store/local-store.js";
import { RunPaths } from "../store/layout.js";
import { ReplicationState } from "./replication-state.js";
import { RUN_KEY_TAG } from "./run-replicator.js";
import { MLFLOW_TAGS } from "../model/system-tags.js";
import { defined } from "../internal/defined.js";

/** A run the local log answers for. @internal */
export interface LocalRun {
  /** Its id in the log (its folder name). */
  readonly localId: string;
  readonly paths: RunPaths;
  /** Name of its experiment. */
  readonly experimentName: string;
  /** Its progress towards the server. */
  readonly state: ReplicationState;
}

/** Where to read a run. @internal */
export type Located = { readonly local: LocalRun } | { readonly remote: string };

/** The local run log as seen by the queries of a tracker with a server. @internal */
export class LocalView {
  /** Run folders whose every record the server acknowledged (final: never re-read). */
  private readonly done = new Set<string>();

  constructor(
    private readonly spool: LocalStore,
    private readonly target: string,
  ) {}

  /** The state of a run folder, or undefined once the server has all of it. */
  private async unfinished(dir: string): Promise<ReplicationState | undefined> {
    if (this.done.has(dir)) return undefined;
    const state = await ReplicationState.load(dir, this.target);
    if (state.state.done) {
      this.done.add(dir);
      return undefined;
    }
    return state;
  }

  /**
   * Every run bound for this server that it has not fully acknowledged, across the log's
   * experiments (or only those named).
   */
  async pending(experimentNames?: readonly string[]): Promise<LocalRun[]> {
    const out: LocalRun[] = [];
    for (const exp of await this.spool.listExperiments()) {
      if (experimentNames !== undefined && !experimentNames.includes(exp.name)) continue;
      const ids = await fsp.readdir(this.spool.layout.runsDir(exp.experimentId)).catch(() => [] as string[]);
      for (const localId of ids) {
        const paths = new RunPaths(this.spool.layout.runDir(exp.experimentId, localId));
        const state = await this.unfinished(paths.dir);
        if (state === undefined || !state.bound) continue;
        if ((await fsp.stat(paths.meta).catch(() => undefined)) === undefined) continue; // being created
        out.push({ localId, paths, experimentName: exp.name, state });
      }
    }
    return out;
  }

  /**
   * Where to read `runId` (a local or a server id): the log while the server lacks part of
   * the run (or has never seen it), the server otherwise.
   */
  async locate(runId: string): Promise<Located> {
    const found = await this.spool.findRun(runId);
    if (found !== undefined) {
      const state = await ReplicationState.load(found.paths.dir, this.target);
      if (state.state.done) return { remote: state.state.remoteRunId ?? runId };
      // Only searches use the name; a damaged experiment.json must not hide the run.
      const experimentName = (await this.spool.getExperiment(found.experimentId).catch(() => undefined))?.name ?? "";
      return { local: { localId: runId, paths: found.paths, experimentName, state } };
    }
    // A server id of a run that started offline: its folder carries the local id.
    const byRemote = (await this.pending()).find((r) => r.state.state.remoteRunId === runId);
    return byRemote === undefined ? { remote: runId } : { local: byRemote };
  }

  /** The server id of a run of the log, when the server has created it; else its local id. */
  async serverId(localId: string): Promise<string> {
    const found = await this.spool.findRun(localId);
    if (found === undefined) return localId;
    return (await ReplicationState.load(found.paths.dir, this.target)).state.remoteRunId ?? localId;
  }

  /**
   * A run of the log as the server shows it: server ids where the server has them (run,
   * experiment, parent) and the `mltrail.runKey` tag the replicator sets.
   */
  async record(run: LocalRun, serverExperimentId?: string): Promise<RunRecord> {
    const record = await this.spool.getRun(run.localId);
    const meta = await this.spool.readRunMeta(run.paths);
    const tags: Record<string, string> = { ...record.data.tags, [RUN_KEY_TAG]: meta.runKey ?? meta.runId };
    const parent = record.info.parentRunId ?? tags[MLFLOW_TAGS.parentRunId];
    const parentId = parent === undefined ? undefined : await this.serverId(parent);
    if (parentId !== undefined && tags[MLFLOW_TAGS.parentRunId] !== undefined) tags[MLFLOW_TAGS.parentRunId] = parentId;
    const st = run.state.state;
    return {
      info: {
        ...record.info,
        runId: st.remoteRunId ?? record.info.runId,
        experimentId: st.remoteExperimentId ?? serverExperimentId ?? record.info.experimentId,
        ...defined({ parentRunId: parentId }),
      },
      data: { ...record.data, tags },
    };
  }
}

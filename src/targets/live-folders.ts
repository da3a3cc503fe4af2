/**
 * The run folders of a live file target (TensorBoard, DVC): `<outDir>/<experiment>/<run name>/`
 * like an export, found again after a restart through the marker file naming the run.
 *
 * @packageDocumentation
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { NotFoundError } from "../errors.js";
import type { BackendLimits } from "../model/limits.js";
import { folderName, markerRunId, runFolder } from "./runs.js";

/**
 * A run as a live target sees it (the fields of the replication sink's run it uses).
 * @example `{ runId: "0193…", name: "baseline", experimentName: "churn" }`
 */
export interface LiveRun {
  /** The run's id in the local run log; the target uses it as its own id. */
  readonly runId: string;
  /** The run's name when it was created (its folder keeps it). */
  readonly name: string;
  /** Its experiment's name (the parent folder). */
  readonly experimentName: string;
}

/** Batches a file target takes at once: larger than a server's, nothing travels on a network. */
export function fileLimits(limits: BackendLimits): BackendLimits {
  return { ...limits, metricsPerBatch: 10_000, entitiesPerBatch: 10_000, batchBytes: 8 * 1024 * 1024 };
}

/** Run folders of one live target, by run id. */
export class LiveFolders {
  private readonly dirs = new Map<string, string>();
  private readonly taken = new Map<string, Set<string>>();

  constructor(
    /** The target's folder. */
    readonly outDir: string,
    private readonly markerName: string,
  ) {}

  private experimentDir(run: LiveRun): string {
    return path.join(this.outDir, folderName(run.experimentName));
  }

  /** The folder an earlier process created for this run, if any. */
  find(run: LiveRun): string | undefined {
    const base = folderName(run.name === "" ? run.runId : run.name);
    for (const name of [base, folderName(`${base}-${run.runId}`)]) {
      const dir = path.join(this.experimentDir(run), name);
      if (markerRunId(dir, this.markerName) === run.runId) {
        this.dirs.set(run.runId, dir);
        return dir;
      }
    }
    return undefined;
  }

  /** A new folder for the run, its marker written (`marker` is the marker's content). */
  create(run: LiveRun, marker: Record<string, unknown>): string {
    const experimentDir = this.experimentDir(run);
    const names = this.taken.get(experimentDir) ?? new Set<string>();
    this.taken.set(experimentDir, names);
    let dir = runFolder(experimentDir, run.name, run.runId, names, this.markerName);
    // A folder of that name that holds files of someone else's: the run gets its own.
    if (markerRunId(dir, this.markerName) === undefined && fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
      dir = path.join(experimentDir, folderName(`${path.basename(dir)}-${run.runId}`));
    }
    fs.mkdirSync(dir, { recursive: true });
    this.writeMarker(dir, { ...marker, runId: run.runId });
    this.dirs.set(run.runId, dir);
    return dir;
  }

  /** Replaces the marker of a run's folder (temp file + rename). */
  writeMarker(dir: string, marker: Record<string, unknown>): void {
    const file = path.join(dir, this.markerName);
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(marker)}\n`);
    fs.renameSync(`${file}.tmp`, file);
  }

  /**
   * The folder of a run: created or found in this process, else the one whose marker names it
   * (a process resuming a run's replication knows only its id).
   */
  dirOf(runId: string): string {
    const known = this.dirs.get(runId);
    if (known !== undefined) return known;
    const list = (dir: string): string[] => {
      try {
        return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [path.join(dir, e.name)] : []));
      } catch {
        return [];
      }
    };
    for (const dir of list(this.outDir).flatMap(list)) {
      if (markerRunId(dir, this.markerName) === runId) {
        this.dirs.set(runId, dir);
        return dir;
      }
    }
    throw new NotFoundError(`run ${runId} has no folder in ${this.outDir}`);
  }
}

/**
 * What the file targets' replication sinks share: experiments are folders, a run is found again
 * by its marker, and what a folder of files has no place for (renames, artifacts, datasets) is
 * accepted and skipped.
 */
export abstract class FileSink {
  /** Batches are as large as a file takes. */
  readonly limits: BackendLimits;
  /** A write to a file cannot land late. */
  readonly settleMs = 0;
  protected readonly folders: LiveFolders;

  constructor(
    /** The target's folder. */
    readonly outDir: string,
    limits: BackendLimits,
    markerName: string,
  ) {
    this.limits = fileLimits(limits);
    this.folders = new LiveFolders(outDir, markerName);
  }

  /** Experiments are folders named after them. */
  async experimentId(name: string): Promise<string> {
    return name;
  }

  /** The run's folder from an earlier process, found by its marker. */
  async findRun(_experimentId: string, run: LiveRun): Promise<string | undefined> {
    return this.folders.find(run) === undefined ? undefined : run.runId;
  }

  /** A folder keeps the name the run had when it was created. */
  async renameRun(): Promise<void> {}
  /** Artifacts are not copied. */
  async uploadArtifact(): Promise<void> {}
  /** Datasets are not written. */
  async logDataset(): Promise<void> {}
  /** Nothing to finish. */
  async finishArtifacts(): Promise<void> {}
}

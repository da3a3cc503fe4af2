/**
 * Where things live under a local store root. See docs/local-store.md.
 *
 * ```
 * <root>/mltrail-store.json                    store format marker
 * <root>/.store.lock                           held while allocating experiment ids
 * <root>/experiments/<expId>/experiment.json
 * <root>/experiments/<expId>/runs/<runId>/run.json      run meta (atomic writes)
 * <root>/experiments/<expId>/runs/<runId>/journal/      append-only journal segments
 * <root>/experiments/<expId>/runs/<runId>/writer.lock   held by the writing process
 * <root>/experiments/<expId>/runs/<runId>/artifacts/    artifact files
 * ```
 */
import * as path from "node:path";

/** Store format marker file name. */
export const STORE_MARKER = "mltrail-store.json";
/**
 * Version of the store layout. 2 added the run index (`experiments/<id>/index/`); 3 its
 * snapshot (`index/runs.snap`) and the reopen marks a resumed run appends to the index, which
 * an older release would not write; 4 writes a metric value without a short decimal as its
 * bits (`"x3fd5555555555555"`, journal lines), which an older release cannot read. Older
 * stores are upgraded when opened (their index is built as it is read; their journals are
 * read as they are).
 */
export const STORE_FORMAT_VERSION = 4;
/** Older layout versions this release opens and upgrades. */
export const STORE_FORMAT_UPGRADABLE: readonly number[] = [1, 2, 3];

/** Paths of one store. */
export class StoreLayout {
  constructor(readonly root: string) {}

  get marker(): string {
    return path.join(this.root, STORE_MARKER);
  }
  get storeLock(): string {
    return path.join(this.root, ".store.lock");
  }
  get experimentsDir(): string {
    return path.join(this.root, "experiments");
  }
  experimentDir(experimentId: string): string {
    return path.join(this.experimentsDir, experimentId);
  }
  experimentFile(experimentId: string): string {
    return path.join(this.experimentDir(experimentId), "experiment.json");
  }
  runsDir(experimentId: string): string {
    return path.join(this.experimentDir(experimentId), "runs");
  }
  runDir(experimentId: string, runId: string): string {
    return path.join(this.runsDir(experimentId), runId);
  }
}

/** Files of one run folder. */
export class RunPaths {
  constructor(readonly dir: string) {}
  get meta(): string {
    return path.join(this.dir, "run.json");
  }
  get journal(): string {
    return path.join(this.dir, "journal");
  }
  get lock(): string {
    return path.join(this.dir, "writer.lock");
  }
  /** The run's artifact files (final on the local store; staged for upload with a server). */
  get artifacts(): string {
    return path.join(this.dir, "artifacts");
  }
}

/**
 * The artifact side of replication: uploading a run's artifact files through the server's
 * artifact proxy, recording dataset inputs, and the per-run manifest (sha256 and size of
 * every file) uploaded before the run's end so downloads elsewhere can be verified.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import type { ArtifactRecord, DatasetRecord } from "../log/record.js";
import { readJournal } from "../log/segments.js";
import { uploadFile } from "./artifacts.js";
import type { StreamingHttpClient as HttpClient } from "./http.js";
import type { MlflowClient } from "./mlflow/client.js";
import type { SinkRun } from "../backends/types.js";
import { RunPaths } from "../store/layout.js";
import { MLFLOW_TAGS } from "../model/system-tags.js";
import { defined } from "../internal/defined.js";

/** The replicator's own loop retries (with backoff, Retry-After and health); no inner retries. */
const NO_RETRY = (signal: AbortSignal) => ({ signal, retry: { retries: 0 } });

/** Where a run's manifest goes among its artifacts. */
export const MANIFEST_PATH = ".mltrail/manifest.json";

/**
 * Reads a run's artifact manifest from its journal: path → { sha256, size } (last record wins).
 * Metric points, nearly all of a long run's journal, are passed over unread.
 */
export async function manifestOf(journalDir: string): Promise<Record<string, { sha256: string; size: number }>> {
  const { records } = await readJournal(journalDir, 0, { skipMetrics: true });
  const out: Record<string, { sha256: string; size: number }> = {};
  for (const r of records) if (r.t === "a") out[r.p] = { sha256: r.sha256, size: r.size };
  return out;
}

/** Artifact and dataset calls of a replicator. @internal */
export class ArtifactSync {
  private readonly artifactUris = new Map<string, Promise<string>>();

  constructor(
    private readonly client: MlflowClient,
    private readonly http: HttpClient,
    private readonly signal: AbortSignal,
  ) {}

  private artifactUri(remoteRunId: string): Promise<string> {
    let uri = this.artifactUris.get(remoteRunId);
    if (uri === undefined) {
      uri = this.client.getRun(remoteRunId, { signal: this.signal }).then((run) => {
        const found = (run.info as { artifactUri?: string }).artifactUri;
        if (found === undefined) throw new Error(`run ${remoteRunId} has no artifact URI on the server`);
        return found;
      });
      uri.catch(() => this.artifactUris.delete(remoteRunId));
      this.artifactUris.set(remoteRunId, uri);
    }
    return uri;
  }

  async upload(remoteRunId: string, source: SinkRun, record: ArtifactRecord): Promise<void> {
    const file = path.join(new RunPaths(source.runDir).artifacts, ...record.p.split("/"));
    await uploadFile(this.http, await this.artifactUri(remoteRunId), record.p, file, NO_RETRY(this.signal));
  }

  async dataset(remoteRunId: string, record: DatasetRecord): Promise<void> {
    await this.client.logInputs(
      remoteRunId,
      [
        {
          dataset: {
            name: record.name,
            digest: record.digest.slice(0, 36), // MLflow's SQL column holds 36 characters
            sourceType: record.sourceType ?? "local",
            source: record.source ?? "{}",
            ...defined({ schema: record.schema }),
            ...defined({ profile: record.profile }),
          },
          tags: { ...defined({ [MLFLOW_TAGS.dataContext]: record.context }), "mltrail.digest": record.digest },
        },
      ],
      { signal: this.signal },
    );
  }

  /** Uploads the run's manifest (`known`: as the replicator folded it; else read from the journal). */
  async finish(remoteRunId: string, source: SinkRun, known?: Readonly<Record<string, { sha256: string; size: number }>>): Promise<void> {
    const manifest = known ?? (await manifestOf(source.journalDir));
    if (Object.keys(manifest).length === 0) return;
    const file = path.join(source.runDir, "manifest.json");
    await fsp.writeFile(file, `${JSON.stringify({ format: "mltrail-manifest", version: 1, files: manifest }, null, 2)}\n`);
    await uploadFile(this.http, await this.artifactUri(remoteRunId), MANIFEST_PATH, file, NO_RETRY(this.signal));
  }
}

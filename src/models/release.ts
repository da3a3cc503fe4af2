/**
 * Creating a release: the run's facts (what `run.logModel` recorded, datasets, params,
 * explanations) planned against the existing versions under the semver rules, allocated in
 * the store (retried when a computed version was taken meanwhile), or the existing version
 * when the content is identical.
 */
import { MLFLOW_TAGS } from "../model/system-tags.js";
import type { RunRecord } from "../model/types.js";
import { defined } from "../internal/defined.js";
import { explanationsOfRun } from "../registry/explanations.js";
import { planRelease, releaseChanges } from "../registry/release.js";
import { releaseWithRetry } from "../registry/rules.js";
import { checkSignature, type ModelSignature } from "../registry/signature.js";
import type { DatasetRef, ReleaseChange, StoredVersion } from "../registry/store.js";
import type { RegisterModelOptions, RegistryHost } from "./types.js";

/** What `run.logModel` recorded for `artifactPath` (tag `mltrail.model/<path>`). */
function loggedModel(run: RunRecord, artifactPath: string): { contentDigest?: string; architectureDigest?: string; signature?: ModelSignature } {
  const raw = run.data.tags[`mltrail.model/${artifactPath}`];
  if (raw === undefined) return {};
  try {
    const parsed = JSON.parse(raw) as { contentDigest?: string; architectureDigest?: string; signature?: ModelSignature };
    return {
      ...(typeof parsed.contentDigest === "string" ? { contentDigest: parsed.contentDigest } : {}),
      ...(typeof parsed.architectureDigest === "string" ? { architectureDigest: parsed.architectureDigest } : {}),
      ...(parsed.signature === undefined ? {} : { signature: checkSignature(parsed.signature) }),
    };
  } catch {
    return {};
  }
}

/** Thrown inside a store's allocation to say: identical content, keep the existing version. */
class IdenticalRelease extends Error {
  constructor(readonly existing: StoredVersion) {
    super("identical release");
  }
}

/** A new release (`created`, with its changes), or the existing version of identical content. */
export interface Released {
  readonly stored: StoredVersion;
  readonly created: boolean;
  readonly details: readonly ReleaseChange[];
}

/** Creates the release `registerModel` asks for; its arguments are already checked. */
export async function createRelease(
  host: RegistryHost,
  name: string,
  options: RegisterModelOptions,
  rationale: string,
  signature: ModelSignature | undefined,
): Promise<Released> {
  const run = await host.getRun(options.runId);
  const artifactPath = options.artifactPath ?? "model";
  const source = options.source ?? `runs:/${run.info.runId}/${artifactPath}`;
  const logged = loggedModel(run, artifactPath);
  const datasets: DatasetRef[] = (await host.runDatasets(run.info.runId)).map((d) => ({
    name: d.name,
    digest: d.digest,
    ...defined({ source: d.source }),
    ...defined({ context: d.context }),
  }));
  const contentDigest = options.contentDigest ?? logged.contentDigest;
  const architectureDigest = options.architectureDigest ?? logged.architectureDigest;
  const signatureUsed = signature ?? logged.signature;
  const explanations = explanationsOfRun(run.data.tags);
  const next = {
    signature: signatureUsed,
    contentDigest,
    ...defined({ architectureDigest }),
    datasets,
    params: run.data.params,
  };
  const store = await host.store();
  let created = true;
  let details: ReleaseChange[] = [];
  const stored = await releaseWithRetry(
    () =>
      store.createVersion(name, (existing) => {
        const p = planRelease(existing, next, options);
        if ("identical" in p) throw new IdenticalRelease(p.identical);
        details = releaseChanges(p.changes);
        return {
          name,
          version: p.version,
          source,
          runId: run.info.runId,
          signature: signatureUsed,
          contentDigest,
          ...defined({ architectureDigest }),
          author: run.data.tags[MLFLOW_TAGS.user] ?? host.user(),
          createdAt: host.clock(),
          rationale,
          metrics: run.data.metrics,
          params: run.data.params,
          datasets,
          gitCommit: run.data.tags[MLFLOW_TAGS.gitCommit],
          bump: p.bump,
          changes: p.changes.map((c) => c.description),
          changeDetails: details,
          ...(explanations.length === 0 ? {} : { explanations }),
          deprecated: undefined,
          deletedAt: undefined,
          description: options.description,
          tags: { ...options.tags },
        };
      }),
    { computed: options.version === undefined },
  ).catch((err: unknown) => {
    if (!(err instanceof IdenticalRelease)) throw err;
    created = false; // identical content: no new version (rule 2)
    return err.existing;
  });
  return { stored, created, details };
}

/**
 * The kinds of change and the bump each requires, on the real MLflow server, with real tiny
 * TF.js models: the same table as the local store (test/support/bump-cases.ts). What the
 * server holds is read back through MLflow's own REST API: the `mltrail.release` tag lists
 * each change with its category, and carries the architecture digest.
 */
import { rmSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Tracker } from "../../src/index.js";
import { mlflowGet, uniqueName } from "../support/mlflow.js";
import { BUMP_CASES, checkBumpCase } from "../support/bump-cases.js";
import { newTracker, tempDir } from "../fixtures/replication/harness.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(async () => {
  await tf.setBackend("cpu");
});

function tracker(): Tracker {
  const spool = tempDir("bump-mlflow");
  const t = newTracker(spool.dir, uniqueName("bump-exp"));
  cleanups.push(
    () => rmSync(spool.dir, { recursive: true, force: true, maxRetries: 5 }),
    async () => void (await t.close()),
  );
  return t;
}

/** The `mltrail.release` tag of each MLflow model version, by integer version. */
async function releaseTags(name: string): Promise<Record<string, unknown>[]> {
  const res = await mlflowGet<{ model_versions?: { version: string; tags?: { key: string; value: string }[] }[] }>("model-versions/search", {
    filter: `name='${name}'`,
    max_results: 100,
  });
  return (res.model_versions ?? [])
    .sort((a, b) => Number(a.version) - Number(b.version))
    .map((mv) => JSON.parse(mv.tags?.find((t) => t.key === "mltrail.release")?.value ?? "{}") as Record<string, unknown>);
}

describe("MLflow: the bump each kind of change requires", () => {
  it.each(BUMP_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const t = tracker();
    const model = uniqueName("bump");
    const mv = await checkBumpCase(t, model, c);
    const tags = await releaseTags(model);
    expect(tags).toHaveLength(mv === undefined ? 1 : 2);
    if (mv === undefined) return;
    expect((tags[1]?.["changeDetails"] as { category: string }[] | undefined)?.map((d) => d.category)).toEqual(
      "refused" in c.expected ? [] : c.expected.categories,
    );
    const tfjs = c.change.opaque !== true;
    expect(typeof tags[1]?.["architectureDigest"]).toBe(tfjs || c.change.architectureDigest !== undefined ? "string" : "undefined");
  });
});

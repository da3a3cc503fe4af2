/**
 * MlflowClient against the real MLflow 3.18 server of the integration project. Every test
 * uses its own names, since the server is shared. Reads are cross-checked with the raw REST
 * helpers of test/support where the client's own decoding is under test.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestError, ConflictError, ResourceNotFoundError } from "../../src/errors.js";
import { createHttpClient } from "../../src/remote/http.js";
import { MlflowClient } from "../../src/remote/mlflow/index.js";
import type { RemoteModelVersion } from "../../src/remote/mlflow/index.js";
import { mlflowGet, mlflowPost, mlflowUri, uniqueName } from "../support/mlflow.js";

let client: MlflowClient;

beforeAll(() => {
  client = new MlflowClient({ http: createHttpClient({ trackingUri: mlflowUri(), timeoutMs: 60_000 }), retry: { retries: 6, baseMs: 100 } });
});
afterAll(() => client.close());

async function newExperimentId(prefix: string): Promise<string> {
  return (await client.getOrCreateExperiment(uniqueName(prefix))).experimentId;
}

describe("experiments", () => {
  it("get-or-create creates once, then finds; unknown names give undefined", async () => {
    const name = uniqueName("client-exp");
    expect(await client.getExperimentByName(name)).toBeUndefined();
    const created = await client.getOrCreateExperiment(name, { team: "growth" });
    expect(created).toMatchObject({ name, lifecycleStage: "active", tags: { team: "growth" } });
    expect(created.experimentId).toMatch(/^\d+$/);
    const again = await client.getOrCreateExperiment(name);
    expect(again.experimentId).toBe(created.experimentId);
    expect((await client.getExperiment(created.experimentId)).name).toBe(name);
    await expect(client.createExperiment(name)).rejects.toMatchObject({ status: 400, errorCode: "RESOURCE_ALREADY_EXISTS" });
    await expect(client.getExperiment("999999999")).rejects.toBeInstanceOf(ResourceNotFoundError);
  });

  it("a race of 5 concurrent get-or-create calls yields one experiment id", async () => {
    const name = uniqueName("client-race");
    const results = await Promise.all(Array.from({ length: 5 }, () => client.getOrCreateExperiment(name)));
    expect(new Set(results.map((e) => e.experimentId)).size).toBe(1);
    const page = await client.searchExperiments({ filter: `name = '${name}'`, maxResults: 10 });
    expect(page.items).toHaveLength(1);
  });

  it("refuses a deleted experiment with a clear error instead of restoring it", async () => {
    const name = uniqueName("client-deleted");
    const { experimentId } = await client.getOrCreateExperiment(name);
    await mlflowPost("experiments/delete", { experiment_id: experimentId });
    expect((await client.getExperimentByName(name))?.lifecycleStage).toBe("deleted");
    const err = await client.getOrCreateExperiment(name).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(/deleted/);
  });

  it("searchExperiments paginates with max_results", async () => {
    const prefix = uniqueName("client-expsearch");
    for (let i = 0; i < 3; i += 1) await client.createExperiment(`${prefix}-${i}`);
    const first = await client.searchExperiments({ filter: `name LIKE '${prefix}-%'`, maxResults: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextPageToken).toBeDefined();
    const all = [];
    for await (const e of client.iterateExperiments({ filter: `name LIKE '${prefix}-%'`, maxResults: 2 })) all.push(e.name);
    expect(all.sort()).toEqual([0, 1, 2].map((i) => `${prefix}-${i}`));
  });
});

describe("runs", () => {
  it("create, get, update, delete and restore", async () => {
    const experimentId = await newExperimentId("client-runs");
    const run = await client.createRun({ experimentId, runName: "baseline", startTime: 1_700_000_000_000, tags: { team: "growth" } });
    expect(run.info).toMatchObject({ experimentId, name: "baseline", status: "RUNNING", startTime: 1_700_000_000_000, lifecycleStage: "active" });
    expect(run.info.runId).toMatch(/^[0-9a-f]{32}$/);
    expect(run.data.tags).toMatchObject({ team: "growth", "mlflow.runName": "baseline" });

    const info = await client.updateRun({ runId: run.info.runId, status: "FINISHED", endTime: 1_700_000_100_000, runName: "renamed" });
    expect(info).toMatchObject({ status: "FINISHED", endTime: 1_700_000_100_000, name: "renamed" });
    const fetched = await client.getRun(run.info.runId);
    expect(fetched.info).toMatchObject({ status: "FINISHED", name: "renamed" });

    await client.setTag(run.info.runId, "stage", "tuning");
    await client.setTag(run.info.runId, "gone", "x");
    await client.deleteTag(run.info.runId, "gone");
    expect((await client.getRun(run.info.runId)).data.tags).toMatchObject({ stage: "tuning" });
    expect((await client.getRun(run.info.runId)).data.tags["gone"]).toBeUndefined();

    await client.deleteRun(run.info.runId);
    expect((await client.getRun(run.info.runId)).info.lifecycleStage).toBe("deleted");
    await client.restoreRun(run.info.runId);
    expect((await client.getRun(run.info.runId)).info.lifecycleStage).toBe("active");
    await expect(client.getRun("0".repeat(32))).rejects.toBeInstanceOf(ResourceNotFoundError);
  });

  it("searchRuns pages through 25 runs 10 at a time", async () => {
    const experimentId = await newExperimentId("client-search");
    const created = new Set<string>();
    for (let i = 0; i < 25; i += 1) {
      const run = await client.createRun({ experimentId, runName: `r${i}`, startTime: 1_700_000_000_000 + i });
      created.add(run.info.runId);
    }
    const first = await client.searchRuns({ experimentIds: [experimentId], maxResults: 10, orderBy: ["attributes.start_time ASC"] });
    expect(first.items.map((r) => r.info.name)).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    expect(first.nextPageToken).toBeDefined();
    const second = await client.searchRuns({
      experimentIds: [experimentId],
      maxResults: 10,
      orderBy: ["attributes.start_time ASC"],
      ...(first.nextPageToken === undefined ? {} : { pageToken: first.nextPageToken }),
    });
    expect(second.items[0]?.info.name).toBe("r10");

    const seen: string[] = [];
    for await (const run of client.iterateRuns({ experimentIds: [experimentId], maxResults: 10 })) seen.push(run.info.runId);
    expect(seen).toHaveLength(25);
    expect(new Set(seen)).toEqual(created);

    const filtered = await client.searchRuns({ experimentIds: [experimentId], filter: "attributes.run_name = 'r7'" });
    expect(filtered.items.map((r) => r.info.name)).toEqual(["r7"]);
  });
});

describe("logging", () => {
  it("logBatch with NaN and ±Infinity reads back through getMetricHistory and getRun", async () => {
    const experimentId = await newExperimentId("client-log");
    const { info } = await client.createRun({ experimentId, startTime: Date.now() });
    const values = [0.5, NaN, Infinity, -Infinity, -0.25, 1e-300];
    const metrics = values.map((value, step) => ({ key: "loss", value, step, timestamp: 1_700_000_000_000 + step }));
    await client.logBatch(info.runId, {
      metrics,
      params: { lr: "0.001" },
      tags: [
        { key: "t", value: "1" },
        { key: "t", value: "2" },
      ],
    });

    const history = await client.getMetricHistory(info.runId, "loss");
    expect(history.map(({ key, value, step, timestamp }) => ({ key, value, step, timestamp }))).toEqual(metrics);

    // What the server really holds: NaN as "NaN", ±Infinity as ±Number.MAX_VALUE (SQL store).
    const raw = await mlflowGet<{ metrics: { value: unknown; step: number }[] }>("metrics/get-history", {
      run_id: info.runId,
      metric_key: "loss",
      max_results: 100,
    });
    expect(raw.metrics.map((m) => m.value)).toEqual([0.5, "NaN", Number.MAX_VALUE, -Number.MAX_VALUE, -0.25, 1e-300]);

    const run = await client.getRun(info.runId);
    expect(run.data).toMatchObject({ params: { lr: "0.001" }, metrics: { loss: 1e-300 }, tags: { t: "2" } });
  });

  it("getMetricHistory returns an empty list for an unknown key and every point of a long history", async () => {
    const experimentId = await newExperimentId("client-hist");
    const { info } = await client.createRun({ experimentId, startTime: Date.now() });
    expect(await client.getMetricHistory(info.runId, "nothing")).toEqual([]);
    for (let batch = 0; batch < 3; batch += 1) {
      const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: "m", value: batch * 1000 + i, step: batch * 1000 + i, timestamp: 1 }));
      await client.logBatch(info.runId, { metrics });
    }
    const history = await client.getMetricHistory(info.runId, "m");
    expect(history).toHaveLength(3000);
    expect(new Set(history.map((m) => m.step)).size).toBe(3000);
  });

  it("stores a 6000-char param and an 8000-char tag intact; a changed param is a 400", async () => {
    const experimentId = await newExperimentId("client-limits");
    const { info } = await client.createRun({ experimentId, startTime: Date.now() });
    const param = `${"p".repeat(5999)}!`;
    const tag = `${"t".repeat(7999)}!`;
    await client.logBatch(info.runId, { params: { long: param }, tags: { long: tag } });
    const run = await client.getRun(info.runId);
    expect(run.data.params["long"]).toBe(param);
    expect(run.data.tags["long"]).toBe(tag);
    await client.logBatch(info.runId, { params: { long: param } }); // same value: idempotent
    const err = await client.logBatch(info.runId, { params: { long: "other" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).errorCode).toBe("INVALID_PARAMETER_VALUE");
  });

  it("logInputs records datasets and is idempotent", async () => {
    const experimentId = await newExperimentId("client-inputs");
    const { info } = await client.createRun({ experimentId, startTime: Date.now() });
    const input = {
      dataset: { name: "train", digest: uniqueName("d").slice(-8), sourceType: "local", source: '{"uri":"data.csv"}' },
      tags: { "mlflow.data.context": "training" },
    };
    await client.logInputs(info.runId, [input]);
    await client.logInputs(info.runId, [input]);
    const run = await client.getRun(info.runId);
    expect(run.datasetInputs).toHaveLength(1);
    expect(run.datasetInputs[0]).toMatchObject({ dataset: input.dataset, tags: input.tags });
  });
});

describe("registry", () => {
  it("models, versions, tags, descriptions and aliases round trip", async () => {
    const experimentId = await newExperimentId("client-reg");
    const { info } = await client.createRun({ experimentId, startTime: Date.now() });
    const name = uniqueName("client-model");

    expect(await client.getRegisteredModel(name)).toBeUndefined();
    const models = await Promise.all(Array.from({ length: 3 }, () => client.getOrCreateRegisteredModel(name, { description: "d" })));
    expect(new Set(models.map((m) => m.name))).toEqual(new Set([name]));
    await client.setRegisteredModelTag(name, "owner", "growth");

    const source = `runs:/${info.runId}/model`;
    const v1 = await client.createModelVersion({ name, source, runId: info.runId, tags: { semver: "1.0.0" }, description: "first" });
    expect(v1).toMatchObject({ name, version: "1", source, runId: info.runId, tags: { semver: "1.0.0" }, description: "first", status: "READY" });
    const v2 = await client.createModelVersion({ name, source, runId: info.runId });
    expect(v2.version).toBe("2");

    await client.setModelVersionTag(name, "2", "semver", "1.1.0");
    await client.setModelVersionTag(name, "2", "tmp", "x");
    await client.deleteModelVersionTag(name, "2", "tmp");
    expect((await client.updateModelVersion({ name, version: "2", description: "second" })).description).toBe("second");

    await client.setRegisteredModelAlias(name, "champion", "1");
    await client.setRegisteredModelAlias(name, "champion", "2"); // upsert moves it
    await client.setRegisteredModelAlias(name, "challenger", "1");
    const champion = await client.getModelVersionByAlias(name, "champion");
    expect(champion).toMatchObject({ version: "2", tags: { semver: "1.1.0" }, description: "second", aliases: ["champion"] });
    expect(await client.getModelVersionByAlias(name, "nosuch")).toBeUndefined();
    expect(await client.getModelVersionByAlias(uniqueName("no-model"), "champion")).toBeUndefined();
    await expect(client.getModelVersionByAlias(name, "bad alias")).rejects.toBeInstanceOf(BadRequestError);

    const model = await client.getRegisteredModel(name);
    expect(model).toMatchObject({ name, description: "d", tags: { owner: "growth" }, aliases: { champion: "2", challenger: "1" } });

    await client.deleteRegisteredModelAlias(name, "challenger");
    await client.deleteRegisteredModelAlias(name, "challenger"); // absent: no error
    expect(await client.getModelVersionByAlias(name, "challenger")).toBeUndefined();

    const all: RemoteModelVersion[] = [];
    for await (const v of client.iterateModelVersions({ filter: `name = '${name}'`, maxResults: 1 })) all.push(v);
    expect(all.map((v) => v.version).sort()).toEqual(["1", "2"]);
    const bySemver = await client.searchModelVersions({ filter: `name = '${name}' AND tags.semver = '1.1.0'` });
    expect(bySemver.items.map((v) => v.version)).toEqual(["2"]);

    await client.deleteModelVersion(name, "1");
    expect(await client.getModelVersion(name, "1")).toBeUndefined();
    expect((await client.getModelVersion(name, "2"))?.version).toBe("2");
    await client.deleteRegisteredModel(name);
    expect(await client.getRegisteredModel(name)).toBeUndefined();
  });
});

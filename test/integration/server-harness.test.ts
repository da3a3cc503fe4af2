/**
 * Proves the test harness (one shared MLflow 3.18.0 server, raw REST helpers) and pins down the
 * live server's behaviour the SDK relies on. Each finding is asserted, so a server upgrade that
 * changes it fails here first. Summary in docs/mlflow-server-notes.md.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { MlflowHttpError, createExperiment, mlflowGet, mlflowPost, mlflowRaw, mlflowUri, uniqueName } from "../support/mlflow.js";

interface KV {
  key: string;
  value: string;
}
interface RunJson {
  info: { run_id: string; run_name: string; experiment_id: string; status: string; start_time: number; artifact_uri: string };
  data: { params?: KV[]; tags?: KV[]; metrics?: { key: string; value: number | string; step: number; timestamp: number }[] };
}

async function createRun(experimentId: string, extra: Record<string, unknown> = {}): Promise<RunJson> {
  const res = await mlflowPost<{ run: RunJson }>("runs/create", {
    experiment_id: experimentId,
    start_time: Date.now(),
    ...extra,
  });
  return res.run;
}

async function getRun(runId: string): Promise<RunJson> {
  return (await mlflowGet<{ run: RunJson }>("runs/get", { run_id: runId })).run;
}

/** Status and parsed MLflow error body of a request that must fail. */
async function expectError(method: "GET" | "POST", path: string, payload: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await mlflowRaw(method, path, method === "GET" ? { query: payload as Record<string, string> } : { body: payload });
  expect(res.status).toBeGreaterThanOrEqual(400);
  return { status: res.status, body: (res.json ?? {}) as Record<string, unknown> };
}

describe("MLflow test server harness", () => {
  it("answers /health with OK and /version with 3.18.0", async () => {
    const health = await fetch(`${mlflowUri()}/health`);
    expect(health.status).toBe(200);
    expect((await health.text()).trim()).toBe("OK");
    const version = await fetch(`${mlflowUri()}/version`);
    expect((await version.text()).trim()).toBe("3.18.0");
  });

  it("creates an experiment and a run and reads them back over REST", async () => {
    const { experimentId, name } = await createExperiment("harness");
    expect(experimentId).toMatch(/^\d+$/); // sqlite store: sequential integer ids, as strings

    const byId = await mlflowGet("experiments/get", { experiment_id: experimentId });
    expect(byId.experiment.name).toBe(name);
    expect(byId.experiment.lifecycle_stage).toBe("active");
    const byName = await mlflowGet("experiments/get-by-name", { experiment_name: name });
    expect(byName.experiment.experiment_id).toBe(experimentId);

    const run = await createRun(experimentId, { run_name: "harness-run" });
    expect(run.info.run_id).toMatch(/^[0-9a-f]{32}$/);
    await mlflowPost("runs/log-batch", {
      run_id: run.info.run_id,
      params: [{ key: "lr", value: "0.001" }],
      metrics: [
        { key: "loss", value: 0.5, timestamp: 1000, step: 1 },
        { key: "loss", value: 0.25, timestamp: 2000, step: 2 },
      ],
      tags: [{ key: "team", value: "growth" }],
    });
    await mlflowPost("runs/update", { run_id: run.info.run_id, status: "FINISHED", end_time: Date.now() });

    const back = await getRun(run.info.run_id);
    expect(back.info.status).toBe("FINISHED");
    expect(back.info.run_name).toBe("harness-run");
    expect(back.data.params).toEqual([{ key: "lr", value: "0.001" }]);
    expect(back.data.tags).toEqual(expect.arrayContaining([{ key: "team", value: "growth" }]));
    // RunData.metrics holds only the latest value per key; int64 fields arrive as JSON numbers.
    expect(back.data.metrics).toEqual([{ key: "loss", value: 0.25, timestamp: 2000, step: 2 }]);
    const history = await mlflowGet("metrics/get-history", { run_id: run.info.run_id, metric_key: "loss" });
    expect(history.metrics.map((m: { value: number }) => m.value)).toEqual([0.5, 0.25]);

    const search = await mlflowPost("runs/search", { experiment_ids: [experimentId], max_results: 10 });
    expect(search.runs.map((r: RunJson) => r.info.run_id)).toEqual([run.info.run_id]);
  });

  it("mlflowGet/mlflowPost throw MlflowHttpError with status and body on non-2xx", async () => {
    const err = await mlflowGet("experiments/get", { experiment_id: "999999999" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowHttpError);
    expect((err as MlflowHttpError).status).toBe(404);
    expect((err as MlflowHttpError).errorCode).toBe("RESOURCE_DOES_NOT_EXIST");
  });
});

describe("MLflow 3.18 server behaviour (findings)", () => {
  let experimentId = "";
  beforeAll(async () => {
    experimentId = (await createExperiment("findings")).experimentId;
  });

  it("400 responses are JSON {error_code, message} plus extra keys sqlstate and error_class", async () => {
    const { status, body } = await expectError("POST", "runs/log-batch", {
      run_id: (await createRun(experimentId)).info.run_id,
      metrics: [{ key: "k".repeat(251), value: 1, timestamp: 1, step: 0 }],
    });
    // Metric key of 251 chars: rejected (not truncated).
    expect(status).toBe(400);
    expect(body).toEqual({
      error_code: "INVALID_PARAMETER_VALUE",
      message: "'Metric name' exceeds the maximum length of 250 characters",
      sqlstate: "KAM00",
      error_class: "INVALID_PARAMETER_VALUE",
    });
    // A 250-char key is fine.
    const ok = await mlflowRaw("POST", "runs/log-batch", {
      body: {
        run_id: (await createRun(experimentId)).info.run_id,
        metrics: [{ key: "k".repeat(250), value: 1, timestamp: 1, step: 0 }],
      },
    });
    expect(ok.status).toBe(200);
  });

  it("a POST without Content-Type, or with text/plain, is a 400 INVALID_PARAMETER_VALUE; unknown paths are 404 HTML", async () => {
    const url = `${mlflowUri()}/api/2.0/mlflow/experiments/create`;
    // A byte body makes fetch send no Content-Type at all.
    const none = await fetch(url, { method: "POST", body: new TextEncoder().encode("{}") });
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({
      error_code: "INVALID_PARAMETER_VALUE",
      message: "Bad Request. Content-Type header is missing.",
    });
    // A string body makes fetch send text/plain;charset=UTF-8.
    const text = await fetch(url, { method: "POST", body: "{}" });
    expect(text.status).toBe(400);
    expect(await text.json()).toMatchObject({
      error_code: "INVALID_PARAMETER_VALUE",
      message: "Bad Request. Content-Type must be one of ['application/json'].",
    });
    const unknown = await mlflowRaw("GET", "/api/2.0/mlflow/no-such-endpoint");
    expect(unknown.status).toBe(404);
    expect(unknown.contentType).toMatch(/text\/html/);
  });

  it("a malformed JSON body is read as an empty message (no parse error)", async () => {
    const res = await mlflowRaw("POST", "experiments/create", { body: "{not json" });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      error_code: "INVALID_PARAMETER_VALUE",
      message: "Missing value for required parameter 'name'. See the API docs for more information about request parameters.",
    });
  });

  it("proxies artifacts: PUT then GET under /api/2.0/mlflow-artifacts/artifacts/", async () => {
    const run = await createRun(experimentId);
    expect(run.info).toMatchObject({
      artifact_uri: `mlflow-artifacts:/${experimentId}/${run.info.run_id}/artifacts`,
    });
    const url = `${mlflowUri()}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${run.info.run_id}/artifacts/hello.txt`;
    const put = await fetch(url, { method: "PUT", body: new TextEncoder().encode("hello artifact") });
    expect(put.status).toBe(200);
    const got = await fetch(url);
    expect(await got.text()).toBe("hello artifact");
    const list = await mlflowGet("artifacts/list", { run_id: run.info.run_id });
    expect(list.files).toEqual([{ path: "hello.txt", is_dir: false, file_size: 14 }]);
  });

  it("a foreign Host header gets 403 text/plain from the security middleware", async () => {
    // fetch forbids overriding Host, so use node:http.
    const { request } = await import("node:http");
    const url = new URL(`${mlflowUri()}/api/2.0/mlflow/experiments/get?experiment_id=0`);
    const answer = await new Promise<{ status: number; type: string }>((resolve, reject) => {
      const req = request(url, { headers: { Host: "example.com" } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]) });
      });
      req.on("error", reject);
      req.end();
    });
    expect(answer).toEqual({ status: 403, type: expect.stringMatching(/text\/plain/) });
  });

  it("get-by-name on a missing experiment: 404 RESOURCE_DOES_NOT_EXIST (error_class RESOURCE_NOT_FOUND)", async () => {
    const missing = uniqueName("missing");
    const { status, body } = await expectError("GET", "experiments/get-by-name", { experiment_name: missing });
    expect(status).toBe(404);
    expect(body).toMatchObject({
      error_code: "RESOURCE_DOES_NOT_EXIST",
      error_class: "RESOURCE_NOT_FOUND",
      message: `Could not find experiment with name '${missing}'`,
    });
  });

  it("RESOURCE_ALREADY_EXISTS is HTTP 400, also for a deleted experiment's name; get-by-name returns deleted ones", async () => {
    const { experimentId: id, name } = await createExperiment("dup");
    const dup = await expectError("POST", "experiments/create", { name });
    expect(dup.status).toBe(400);
    expect(dup.body.error_code).toBe("RESOURCE_ALREADY_EXISTS");
    expect(String(dup.body.message)).toContain(`Experiment(name=${name}) already exists`);

    await mlflowPost("experiments/delete", { experiment_id: id });
    const again = await expectError("POST", "experiments/create", { name });
    expect(again.status).toBe(400);
    expect(again.body.error_code).toBe("RESOURCE_ALREADY_EXISTS");
    const deleted = await mlflowGet("experiments/get-by-name", { experiment_name: name });
    expect(deleted.experiment).toMatchObject({ experiment_id: id, lifecycle_stage: "deleted", workspace: "default" });
  });

  it("experiments/search without max_results is rejected (400)", async () => {
    const { status, body } = await expectError("POST", "experiments/search", {});
    expect(status).toBe(400);
    expect(body.error_code).toBe("INVALID_PARAMETER_VALUE");
    expect(String(body.message)).toContain("max_results");
  });

  it('NaN round-trips as the string "NaN"; ±Infinity come back as ±1.7976931348623157e308', async () => {
    const run = await createRun(experimentId);
    await mlflowPost("runs/log-batch", {
      run_id: run.info.run_id,
      metrics: [
        { key: "m_nan", value: "NaN", timestamp: 1000, step: 0 },
        { key: "m_inf", value: "Infinity", timestamp: 1000, step: 0 },
        { key: "m_ninf", value: "-Infinity", timestamp: 1000, step: 0 },
      ],
    });
    const values = async (key: string): Promise<unknown[]> =>
      (await mlflowGet("metrics/get-history", { run_id: run.info.run_id, metric_key: key })).metrics.map((m: { value: unknown }) => m.value);
    expect(await values("m_nan")).toEqual(["NaN"]); // a JSON string, not a number
    expect(await values("m_inf")).toEqual([Number.MAX_VALUE]); // Infinity is lost: stored as DBL_MAX
    expect(await values("m_ninf")).toEqual([-Number.MAX_VALUE]);
    const latest = (await getRun(run.info.run_id)).data.metrics ?? [];
    expect(latest.find((m) => m.key === "m_nan")?.value).toBe("NaN");
    // JSON null (what JSON.stringify(NaN) gives) is rejected as a missing value.
    const nul = await expectError("POST", "runs/log-batch", {
      run_id: run.info.run_id,
      metrics: [{ key: "m_null", value: null, timestamp: 1, step: 0 }],
    });
    expect(nul.status).toBe(400);
    expect(nul.body.message).toBe("Missing value for required parameter 'metrics[0].value'. See the API docs for more information about request parameters.");
  });

  it("run_name and the mlflow.runName tag: must agree at create; either one sets both; renames sync", async () => {
    const conflict = await expectError("POST", "runs/create", {
      experiment_id: experimentId,
      run_name: "from-field",
      tags: [{ key: "mlflow.runName", value: "from-tag" }],
    });
    expect(conflict.status).toBe(400);
    expect(conflict.body.error_code).toBe("INVALID_PARAMETER_VALUE");

    const same = await createRun(experimentId, { run_name: "same", tags: [{ key: "mlflow.runName", value: "same" }] });
    expect(same.info.run_name).toBe("same");

    const tagOnly = await createRun(experimentId, { tags: [{ key: "mlflow.runName", value: "tag-only" }] });
    expect(tagOnly.info.run_name).toBe("tag-only");

    const fieldOnly = await createRun(experimentId, { run_name: "field-only" });
    expect(fieldOnly.data.tags).toEqual([{ key: "mlflow.runName", value: "field-only" }]);

    const unnamed = await createRun(experimentId);
    expect(unnamed.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d+$/); // server-generated, e.g. "indecisive-hen-982"
    expect(unnamed.data.tags).toEqual([{ key: "mlflow.runName", value: unnamed.info.run_name }]);

    const id = fieldOnly.info.run_id;
    await mlflowPost("runs/set-tag", { run_id: id, key: "mlflow.runName", value: "renamed-by-tag" });
    expect((await getRun(id)).info.run_name).toBe("renamed-by-tag");
    await mlflowPost("runs/update", { run_id: id, run_name: "renamed-by-update" });
    const renamed = await getRun(id);
    expect(renamed.info.run_name).toBe("renamed-by-update");
    expect(renamed.data.tags).toEqual([{ key: "mlflow.runName", value: "renamed-by-update" }]);
  });

  it("params: duplicate key in one log-batch is rejected even with the same value; changes rejected; re-log same value OK", async () => {
    const run = await createRun(experimentId);
    const dup = await expectError("POST", "runs/log-batch", {
      run_id: run.info.run_id,
      params: [
        { key: "p", value: "1" },
        { key: "p", value: "1" },
      ],
    });
    expect(dup.status).toBe(400);
    expect(dup.body.error_code).toBe("INVALID_PARAMETER_VALUE");
    expect(String(dup.body.message)).toContain("Duplicate parameter keys have been submitted: ['p']");
    expect((await getRun(run.info.run_id)).data.params ?? []).toEqual([]); // nothing written

    await mlflowPost("runs/log-batch", { run_id: run.info.run_id, params: [{ key: "p1", value: "a" }] });
    await mlflowPost("runs/log-batch", { run_id: run.info.run_id, params: [{ key: "p1", value: "a" }] });
    const change = await expectError("POST", "runs/log-batch", { run_id: run.info.run_id, params: [{ key: "p1", value: "b" }] });
    expect(change.status).toBe(400);
    expect(String(change.body.message)).toContain("Changing param values is not allowed");
  });

  it("a param value > 6000 chars and a run tag value > 8000 chars are silently truncated (200)", async () => {
    const run = await createRun(experimentId);
    const long = "x".repeat(6001);
    await mlflowPost("runs/log-batch", {
      run_id: run.info.run_id,
      params: [{ key: "long", value: long }],
      tags: [{ key: "longtag", value: "t".repeat(8001) }],
    });
    await mlflowPost("runs/log-parameter", { run_id: run.info.run_id, key: "long2", value: "z".repeat(9000) });
    await mlflowPost("runs/set-tag", { run_id: run.info.run_id, key: "longtag2", value: "u".repeat(9000) });
    // Re-sending the same over-long value is still idempotent (compared after truncation).
    await mlflowPost("runs/log-batch", { run_id: run.info.run_id, params: [{ key: "long", value: long }] });

    const data = (await getRun(run.info.run_id)).data;
    const len = (list: KV[] | undefined, key: string): number | undefined => list?.find((kv) => kv.key === key)?.value.length;
    expect(len(data.params, "long")).toBe(6000);
    expect(len(data.params, "long2")).toBe(6000);
    expect(len(data.tags, "longtag")).toBe(8000);
    expect(len(data.tags, "longtag2")).toBe(8000);
  });

  it("runs/create on a missing experiment id is 404 RESOURCE_DOES_NOT_EXIST", async () => {
    const { status, body } = await expectError("POST", "runs/create", { experiment_id: "987654321", start_time: 1 });
    expect(status).toBe(404);
    expect(body.error_code).toBe("RESOURCE_DOES_NOT_EXIST");
  });
});

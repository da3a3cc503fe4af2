/**
 * The pure parts of an honest replication state and of the end-of-run check: when the health
 * turns DEGRADED and DOWN (failures, hanging requests, time without success), and what the
 * check finds different between the local log's final state and the server's copy.
 */
import { describe, expect, it } from "vitest";
import { driftOf, isClean, isRepairable } from "../../src/remote/final-check.js";
import type { LocalFinal } from "../../src/remote/local-final.js";
import { Health, healthThresholds, type ReplicationHealth } from "../../src/remote/health.js";
import type { RemoteRun } from "../../src/remote/mlflow/types.js";
import { apiErrorFromResponse, connectionErrorFrom } from "../../src/remote/errors.js";
import { mayLandLate } from "../../src/backends/mlflow/sink.js";
import { MltrailError } from "../../src/errors.js";

function health(): { h: Health; states: ReplicationHealth[] } {
  const states: ReplicationHealth[] = [];
  return { h: new Health(healthThresholds(4000), (s) => states.push(s)), states };
}

describe("Health", () => {
  it("derives its thresholds from the request timeout", () => {
    expect(healthThresholds(30_000)).toEqual({ downAfterFailures: 5, slowMs: 5000, downAfterMs: 60_000 });
    expect(healthThresholds(4000)).toEqual({ downAfterFailures: 5, slowMs: 2000, downAfterMs: 8000 });
  });

  it("a request hanging past slowMs is DEGRADED, and DOWN once no success came for downAfterMs", () => {
    const { h, states } = health();
    h.tick(1000, [0]);
    expect(h.state).toBe("UP");
    h.tick(2000, [0]);
    expect(h.state).toBe("DEGRADED");
    h.tick(7999, [0]);
    expect(h.state).toBe("DEGRADED");
    h.tick(8000, [0]);
    expect(h.state).toBe("DOWN");
    expect(h.capacity(4)).toBe(1);
    h.success(9000);
    expect(states).toEqual(["DEGRADED", "DOWN", "UP"]);
  });

  it("one slow request is not trouble while other requests succeed", () => {
    const { h } = health();
    h.success(2500); // another run's request, answered after the slow one was sent
    h.tick(9000, [0, 8000]);
    expect(h.state).toBe("UP");
    h.tick(10_000, [0, 8000]); // the one sent at 8000 has waited 2 s with no success since
    expect(h.state).toBe("DEGRADED");
  });

  it("failures: DEGRADED at once, DOWN after 5 in a row or after downAfterMs of trouble", () => {
    const a = health();
    for (let i = 0; i < 4; i++) a.h.failure(i);
    expect(a.h.state).toBe("DEGRADED");
    a.h.failure(5);
    expect(a.h.state).toBe("DOWN");

    const b = health();
    b.h.failure(0); // e.g. a 429 asking to wait 30 s: no second attempt for a long time
    b.h.tick(7000, []);
    expect(b.h.state).toBe("DEGRADED");
    b.h.tick(8000, []);
    expect(b.h.state).toBe("DOWN");
  });

  it("PAUSED stays PAUSED through failures and ticks until a success", () => {
    const { h } = health();
    h.pause();
    h.failure(0);
    h.tick(60_000, [0]);
    expect(h.state).toBe("PAUSED");
    h.success();
    expect(h.state).toBe("UP");
  });
});

const local: LocalFinal = {
  params: new Map([["lr", "0.1"]]),
  tags: new Map([
    ["mlflow.runName", "renamed"],
    ["progress", "2"],
    ["mlflow.parentRunId", "local-parent"],
  ]),
  metricKeys: new Set(["loss"]),
  end: { s: 9, t: "end", status: "FINISHED", ts: 5000 },
};

function server(over: {
  status?: "RUNNING" | "FINISHED";
  endTime?: number;
  name?: string;
  tags?: Record<string, string>;
  params?: Record<string, string>;
  metrics?: Record<string, number>;
}): RemoteRun {
  return {
    info: {
      runId: "r",
      experimentId: "1",
      name: over.name ?? "renamed",
      status: over.status ?? "FINISHED",
      startTime: 1,
      lifecycleStage: "active",
      ...(over.endTime === undefined ? { endTime: 5000 } : { endTime: over.endTime }),
    },
    data: {
      params: over.params ?? { lr: "0.1" },
      metrics: over.metrics ?? { loss: 0.5 },
      tags: over.tags ?? { "mlflow.runName": "renamed", progress: "2", "mlflow.parentRunId": "server-parent", "mlflow.user": "x" },
    },
    datasetInputs: [],
  };
}

describe("driftOf", () => {
  it("a server copy equal to the final state is clean (server-only tags do not matter)", () => {
    const d = driftOf(local, server({}), "server-parent", "created");
    expect(isClean(d)).toBe(true);
  });

  it("finds a regressed status, an old tag value, a lost param and a missing metric key", () => {
    const d = driftOf(
      local,
      server({ status: "RUNNING", tags: { progress: "0", "mlflow.parentRunId": "server-parent" }, params: {}, metrics: {}, name: "created" }),
      "server-parent",
      "created",
    );
    expect(d.end).toEqual({ status: "FINISHED", endTime: 5000 });
    expect(d.tags).toEqual([{ key: "progress", value: "2" }]);
    expect(d.params).toEqual([{ key: "lr", value: "0.1" }]);
    expect(d.missingMetrics).toEqual(["loss"]);
    expect(d.name).toBe("renamed");
    expect(isRepairable(d)).toBe(true);
  });

  it("a param held with another value cannot be repaired, only reported", () => {
    const d = driftOf(local, server({ params: { lr: "0.2" } }), "server-parent", "created");
    expect(d.conflictingParams).toEqual(["lr"]);
    expect(isRepairable(d)).toBe(false);
    expect(isClean(d)).toBe(false);
  });

  it("the parent tag is compared with the parent's server id", () => {
    const d = driftOf(local, server({ tags: { progress: "2", "mlflow.parentRunId": "local-parent" } }), "server-parent", "created");
    expect(d.tags).toEqual([{ key: "mlflow.parentRunId", value: "server-parent" }]);
  });
});

describe("mayLandLate", () => {
  const batch = "/api/2.0/mlflow/runs/log-batch";
  const net = (code: string, endpoint = batch): MltrailError => connectionErrorFrom(Object.assign(new Error(code), { code }), endpoint);
  const http = (status: number, endpoint = batch): MltrailError => apiErrorFromResponse({ status, data: "", endpoint });

  it("a write that got no answer, or a gateway's 502/504, may still land", () => {
    expect(mayLandLate(net("ECONNABORTED"))).toBe(true); // axios' timeout
    expect(mayLandLate(net("ECONNRESET"))).toBe(true);
    expect(mayLandLate(net("ECONNRESET", "/api/2.0/mlflow/runs/update"))).toBe(true);
    expect(mayLandLate(http(504))).toBe(true);
    expect(mayLandLate(new MltrailError(`${batch}: unexpected response from the server (x)`, { code: "INVALID_RESPONSE" }))).toBe(true);
  });

  it("a refused connection, a server's own 500/503/429, or a non-writing endpoint cannot", () => {
    expect(mayLandLate(net("ECONNREFUSED"))).toBe(false);
    expect(mayLandLate(http(503))).toBe(false);
    expect(mayLandLate(http(500))).toBe(false);
    expect(mayLandLate(http(429))).toBe(false);
    expect(mayLandLate(net("ECONNRESET", "/api/2.0/mlflow-artifacts/artifacts/1/x"))).toBe(false);
    expect(mayLandLate(net("ECONNRESET", "/api/2.0/mlflow/runs/get"))).toBe(false);
  });
});

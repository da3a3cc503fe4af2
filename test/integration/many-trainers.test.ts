/**
 * Many trainers, one team server: N processes (default 16, env MLTRAIL_TRAINERS) each log runs
 * through mltrail at the same time to MLflow with 4 workers on PostgreSQL. Read back with
 * MLflow's own Python client: every run exactly once, every metric row exactly once with the
 * value its process logged, every run FINISHED; and every process got all its data through
 * (none starved: each one's flush ended with nothing pending).
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDist, projectRoot, tempDir } from "../fixtures/replication/harness.js";
import { uniqueName } from "../support/mlflow.js";
import { runMlflowPython } from "../support/mlflow-python.js";
import { postgresMlflow, restAs } from "../support/servers.js";

const exec = promisify(execFile);
const TRAINERS = Number(process.env["MLTRAIL_TRAINERS"] ?? 16);
const RUNS = 2;
const STEPS = 300;
const KEYS = 2;
const spool = tempDir("many-trainers");

interface TrainerResult {
  proc: number;
  runIds: string[];
  pending: number;
  rejected: number;
  ms: number;
  statuses: Record<string, number>;
}

/** What MLflow's Python client reads, per run name. */
interface RunCheck {
  status: string;
  params: Record<string, string>;
  trainer: string | null;
  rows: number;
  distinct: number;
  wrong: number;
}

const CHECK = (experiment: string): string => `
import json
from mlflow import MlflowClient
from mlflow.entities import ViewType
c = MlflowClient()
exp = c.get_experiment_by_name(${JSON.stringify(experiment)})
runs = c.search_runs([exp.experiment_id], run_view_type=ViewType.ALL, max_results=5000)
out = {}
for r in runs:
    name = r.info.run_name
    p, rr = (int(x[1:]) for x in name.split("-"))
    rows = distinct = wrong = 0
    for k in range(${KEYS}):
        hist = c.get_metric_history(r.info.run_id, f"m{k}")
        rows += len(hist)
        distinct += len({(m.step, m.timestamp) for m in hist})  # per key
        wrong += sum(1 for m in hist if m.value != p * 1e6 + rr * 1e4 + m.step + k / 10 or m.timestamp != 1_700_000_000_000 + m.step or not 0 <= m.step < ${STEPS})
    if name in out:
        out[name + "#dup"] = {"status": "DUPLICATE"}
    out[name] = {"status": r.info.status, "params": r.data.params, "trainer": r.data.tags.get("trainer"), "rows": rows, "distinct": distinct, "wrong": wrong}
print(json.dumps(out))
`;

beforeAll(async () => {
  await ensureDist();
}, 180_000);
afterAll(() => spool.cleanup());

describe(`${TRAINERS} trainers on MLflow with 4 workers on PostgreSQL`, () => {
  it("every run and every metric row lands exactly once, read back by MLflow's Python client; no trainer starved", async () => {
    const server = await postgresMlflow();
    const experiment = uniqueName("many-trainers");
    const created = await restAs(server.url, undefined, "POST", "experiments/create", { name: experiment });
    expect(created.status).toBe(200);
    const trainer = path.join(projectRoot, "test", "fixtures", "trainers", "trainer.mjs");
    const results = await Promise.all(
      Array.from({ length: TRAINERS }, async (_, proc) => {
        const args = [trainer, "mltrail", server.url, path.join(spool.dir, `p${proc}`), experiment, String(proc), String(RUNS), String(STEPS), String(KEYS)];
        const { stdout } = await exec(process.execPath, args, { timeout: 400_000 });
        return JSON.parse(stdout.trim().split("\n").pop() ?? "") as TrainerResult;
      }),
    );
    for (const r of results) expect(r, `trainer ${r.proc}`).toMatchObject({ pending: 0, rejected: 0 });

    const seen = await runMlflowPython<Record<string, RunCheck>>(CHECK(experiment), 300_000, { uri: server.url });
    const names = Array.from({ length: TRAINERS }, (_, p) => Array.from({ length: RUNS }, (_, r) => `p${p}-r${r}`)).flat();
    expect(Object.keys(seen).sort()).toEqual([...names].sort());
    for (const name of names) {
      const [p, r] = name.split("-").map((x) => Number(x.slice(1)));
      expect(seen[name], name).toEqual({
        status: "FINISHED",
        params: { proc: String(p), run: String(r) },
        trainer: String(p),
        rows: STEPS * KEYS,
        distinct: STEPS * KEYS,
        wrong: 0,
      });
    }
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    const errors = results.reduce((n, r) => n + (r.statuses["5xx"] ?? 0) + (r.statuses["429"] ?? 0), 0);
    console.log(
      `[many-trainers] ${TRAINERS} processes × ${RUNS * STEPS * KEYS} metrics: fastest ${ms[0]?.toFixed(0)} ms, slowest ${ms.at(-1)?.toFixed(0)} ms; 429/5xx answers: ${errors}`,
    );
  }, 900_000);
});

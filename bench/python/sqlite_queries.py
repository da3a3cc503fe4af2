"""MLflow's SQLite store (MlflowClient with a sqlite:/// URI), for bench/local-queries.mjs.

Usage:
  python sqlite_queries.py build --db PATH --spec SPEC.json     create the runs of SPEC (log_batch per run)
  python sqlite_queries.py query --db PATH --queries Q.json --repeat N
      one JSON line: per query, the first call's ms (cold: a new process) and the median of N more (warm)
  python sqlite_queries.py create-end --db PATH --count N       median ms of create_run + set_terminated
Process start-up and `import mlflow` are not timed; creating the client is (it opens the database).
"""
import argparse
import json
import statistics
import time

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag


def client_for(db):
    return MlflowClient(tracking_uri=f"sqlite:///{db}")


def build(a):
    spec = json.load(open(a.spec))
    client = client_for(a.db)
    exp = client.get_experiment_by_name(spec["experiment"])
    exp_id = exp.experiment_id if exp else client.create_experiment(spec["experiment"])
    for i, r in enumerate(spec["runs"]):
        run = client.create_run(exp_id, start_time=r["startTime"], run_name=r["name"])
        rid = run.info.run_id
        metrics = [Metric(k, v, r["startTime"] + s, s) for k, vs in r["metrics"].items() for s, v in enumerate(vs)]
        params = [Param(k, v) for k, v in r["params"].items()]
        tags = [RunTag(k, v) for k, v in r["tags"].items()]
        client.log_batch(rid, metrics=metrics, params=params, tags=tags)
        client.set_terminated(rid, status=r["status"], end_time=r["startTime"] + 1000)
        if i % 1000 == 0:
            print(json.dumps({"built": i}), flush=True)
    print(json.dumps({"built": len(spec["runs"])}), flush=True)


def query(a):
    qs = json.load(open(a.queries))
    t0 = time.perf_counter()
    client = client_for(a.db)
    exp = client.get_experiment_by_name(qs["experiment"])
    open_ms = (time.perf_counter() - t0) * 1000
    out = {"open_ms": open_ms, "queries": {}}
    for q in qs["queries"]:
        def once():
            t = time.perf_counter()
            if q["name"] == "listExperiments":
                n = len(client.search_experiments())
            else:
                n = len(client.search_runs([exp.experiment_id], filter_string=q.get("filter", ""), order_by=q.get("orderBy"), max_results=q.get("maxResults", 1000)))
            return (time.perf_counter() - t) * 1000, n
        first, n = once()
        warm = [once()[0] for _ in range(a.repeat)]
        out["queries"][q["name"]] = {"cold_ms": first, "warm_ms": statistics.median(warm), "results": n}
    print(json.dumps(out), flush=True)


def create_end(a):
    client = client_for(a.db)
    exp = client.get_experiment_by_name("create-end") or None
    exp_id = exp.experiment_id if exp else client.create_experiment("create-end")
    times = []
    for i in range(a.count):
        t = time.perf_counter()
        run = client.create_run(exp_id)
        client.set_terminated(run.info.run_id)
        times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"median_ms": statistics.median(times)}), flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["build", "query", "create-end"])
    ap.add_argument("--db", required=True)
    ap.add_argument("--spec")
    ap.add_argument("--queries")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--count", type=int, default=100)
    a = ap.parse_args()
    {"build": build, "query": query, "create-end": create_end}[a.cmd](a)

"""MLflow Python client: hand-built `MlflowClient().log_batch` calls of `--batch` metrics each.

Usage: python log_batch.py --count N [--batch 1000] [--keys 20] [--experiment NAME]
Env: MLFLOW_TRACKING_URI. Prints one JSON line with the timings (run set-up is not timed).
The clock runs from building the first batch until the last log_batch call returned; the
Metric objects are built inside the timed loop, as an application would.
"""
import argparse
import json
import resource
import time

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--keys", type=int, default=20)
    ap.add_argument("--experiment", default="bench-replication")
    ap.add_argument("--run-name", default="python-log-batch")
    a = ap.parse_args()
    keys = [f"metric_{i:02d}" for i in range(a.keys)]
    client = MlflowClient()
    exp = mlflow.set_experiment(a.experiment)
    run = client.create_run(exp.experiment_id, run_name=a.run_name)
    run_id = run.info.run_id
    # One warm call (connection, imports), not counted.
    client.log_batch(run_id, metrics=[Metric("warmup", 0.0, int(time.time() * 1000), 0)])
    n = a.count
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    requests = 0
    i = 0
    while i < n:
        end = min(n, i + a.batch)
        ts = int(time.time() * 1000)
        metrics = [Metric(keys[j % a.keys], 1.0 / (j + 1), ts, j // a.keys) for j in range(i, end)]
        client.log_batch(run_id, metrics=metrics, synchronous=True)
        requests += 1
        i = end
    t1 = time.perf_counter()
    cpu = time.process_time() - cpu0
    client.set_terminated(run_id)
    print(json.dumps({
        "client": "MlflowClient().log_batch",
        "mlflow": mlflow.__version__,
        "runId": run_id,
        "metrics": n,
        "batch": a.batch,
        "requests": requests,
        "seconds": t1 - t0,
        "metricsPerSec": n / (t1 - t0),
        "cpuSeconds": cpu,
        "maxRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()

"""MLflow Python client: one `mlflow.log_metric(..., synchronous=False)` call per metric.

Usage: python log_metric_async.py --count N [--keys 20] [--experiment NAME]
Env: MLFLOW_TRACKING_URI. Prints one JSON line with the timings (run set-up is not timed).
The clock runs from the first log_metric call until `mlflow.flush_async_logging()` returned,
i.e. until MLflow's async queue has sent everything to the server.
"""
import argparse
import json
import os
import resource
import time

import mlflow


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200_000)
    ap.add_argument("--keys", type=int, default=20)
    ap.add_argument("--experiment", default="bench-replication")
    ap.add_argument("--run-name", default="python-log-metric-async")
    a = ap.parse_args()
    keys = [f"metric_{i:02d}" for i in range(a.keys)]
    mlflow.set_experiment(a.experiment)
    run = mlflow.start_run(run_name=a.run_name)
    # One warm call (imports, async logging thread start-up), flushed, not counted.
    mlflow.log_metric("warmup", 0.0, step=0, synchronous=False)
    mlflow.flush_async_logging()
    n = a.count
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for i in range(n):
        mlflow.log_metric(keys[i % a.keys], 1.0 / (i + 1), step=i // a.keys, synchronous=False)
    t_enqueued = time.perf_counter()
    mlflow.flush_async_logging()
    t1 = time.perf_counter()
    cpu = time.process_time() - cpu0
    mlflow.end_run()
    print(json.dumps({
        "client": "mlflow.log_metric(synchronous=False)",
        "mlflow": mlflow.__version__,
        "runId": run.info.run_id,
        "metrics": n,
        "seconds": t1 - t0,
        "enqueueSeconds": t_enqueued - t0,
        "metricsPerSec": n / (t1 - t0),
        "cpuSeconds": cpu,
        "maxRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()

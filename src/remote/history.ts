/**
 * Metric history reads on a tracking server with the local store's options: a sample through
 * `metrics/get-history-bulk-interval`, the first `maxResults` points through `get-history`'s
 * page size (pages stop once enough came back), and a step range by filtering the pages
 * (`get-history` has no step filter).
 */
import type { Metric } from "../model/types.js";
import { SAMPLED_MAX_RESULTS, selectPoints } from "../store/series/history-options.js";
import type { HistoryQuery } from "../store/series/history.js";
import type { MlflowClient } from "./mlflow/client.js";

const toPoint = ({ key, value, step, timestamp }: Metric): Metric => ({ key, value, step, timestamp });

/** One metric's history on the server, selected by `query`. */
export async function remoteHistory(client: MlflowClient, runId: string, key: string, query: HistoryQuery | undefined): Promise<Metric[]> {
  if (query === undefined) return (await client.getMetricHistory(runId, key)).map(toPoint);
  const { range, maxResults } = query;
  const ranged = range.lo !== Number.NEGATIVE_INFINITY || range.hi !== Number.POSITIVE_INFINITY;
  if (query.sampled) {
    // The server wants both ends or neither; an open end is the widest step it takes.
    const steps = ranged ? { startStep: Math.max(range.lo, Number.MIN_SAFE_INTEGER), endStep: Math.min(range.hi, Number.MAX_SAFE_INTEGER) } : undefined;
    return (await client.getMetricHistorySampled(runId, key, maxResults ?? SAMPLED_MAX_RESULTS, steps)).map(toPoint);
  }
  const points = await client.getMetricHistory(runId, key, {}, ranged ? undefined : maxResults);
  return selectPoints(points.map(toPoint), range, maxResults);
}

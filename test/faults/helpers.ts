/**
 * Shared bits of the fault suites: temp spool folders, tracker options for fast retries, and
 * reading back what the server holds through raw REST (independent of the SDK).
 */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "vitest";
import type { TrackerOptions } from "../../src/options.js";
import type { FlushResult, Tracker } from "../../src/tracker.js";
import { mlflowGet, mlflowPost } from "../support/mlflow.js";

/** A fresh temp folder; removed by the returned cleanup. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), `mltrail-${prefix}-`));
  return { dir, cleanup: () => fsp.rm(dir, { recursive: true, force: true }) };
}

/** Tracker options for tests: no context capture, no exit hooks, quiet, fast retries. */
export function testOptions(trackingUri: string, experiment: string, spoolDir: string, extra: TrackerOptions = {}): TrackerOptions {
  return {
    trackingUri,
    experiment,
    spoolDir,
    captureContext: false,
    handleExit: false,
    drainOnStart: false,
    logLevel: "silent",
    requestTimeoutMs: 2000,
    retryBaseMs: 20,
    retryMaxMs: 500,
    replicationIntervalMs: 50,
    ...extra,
  };
}

export interface ServerRun {
  readonly info: { run_id: string; run_name: string; status: string; lifecycle_stage: string; end_time?: number | string };
  readonly data: { params?: { key: string; value: string }[]; tags?: { key: string; value: string }[] };
}

/** Every run of an experiment (all lifecycle stages), following page tokens. */
export async function searchAllRuns(experimentId: string): Promise<ServerRun[]> {
  const out: ServerRun[] = [];
  let pageToken: string | undefined;
  do {
    const page = await mlflowPost<{ runs?: ServerRun[]; next_page_token?: string }>("runs/search", {
      experiment_ids: [experimentId],
      run_view_type: "ALL",
      max_results: 1000,
      ...(pageToken === undefined ? {} : { page_token: pageToken }),
    });
    out.push(...(page.runs ?? []));
    pageToken = page.next_page_token || undefined;
  } while (pageToken !== undefined);
  return out;
}

/** The experiment id of `name` on the server. */
export async function experimentIdOf(name: string): Promise<string> {
  const res = await mlflowGet<{ experiment: { experiment_id: string } }>("experiments/get-by-name", { experiment_name: name });
  return res.experiment.experiment_id;
}

export interface ServerMetric {
  readonly key: string;
  readonly value: number | string;
  readonly step?: number | string;
  readonly timestamp: number | string;
}

/** Every row of a metric's history, paginated with max_results 25000. */
export async function metricHistory(runId: string, key: string): Promise<ServerMetric[]> {
  const out: ServerMetric[] = [];
  let pageToken: string | undefined;
  do {
    const page = await mlflowGet<{ metrics?: ServerMetric[]; next_page_token?: string }>("metrics/get-history", {
      run_id: runId,
      metric_key: key,
      max_results: 25_000,
      page_token: pageToken,
    });
    out.push(...(page.metrics ?? []));
    pageToken = page.next_page_token || undefined;
  } while (pageToken !== undefined);
  return out;
}

/** A metric row as a comparable string: key|value|step|timestamp. */
export function metricRow(m: ServerMetric | { key: string; value: number; step: number; timestamp: number }): string {
  return `${m.key}|${Number(m.value)}|${Number(m.step ?? 0)}|${Number(m.timestamp)}`;
}

/** `[{key, value}]` → record. */
export function toRecord(list: readonly { key: string; value: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, kv.value]));
}

/** Polls `check` every 20 ms until it is true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Flushes until nothing is pending. It waits for a condition, not for a duration: as long as
 * the server keeps acknowledging records (however slowly a loaded machine goes), it keeps
 * waiting, and it fails only when `stallMs` pass with no record acknowledged at all.
 */
export async function flushUntilDone(tracker: Tracker, stallMs = 120_000): Promise<FlushResult> {
  let lastAcked = -1;
  let lastProgress = Date.now();
  for (;;) {
    const result = await tracker.flush({ timeoutMs: 5000 });
    if (result.pending === 0) return result;
    if (result.acked > lastAcked) {
      lastAcked = result.acked;
      lastProgress = Date.now();
    } else if (Date.now() - lastProgress > stallMs) {
      throw new Error(`replication made no progress for ${stallMs} ms: ${JSON.stringify(tracker.stats())}`);
    }
  }
}

/** The one run of an experiment on the server (fails when there is none, or several). */
export async function onlyRun(experiment: string): Promise<ServerRun> {
  const runs = await searchAllRuns(await experimentIdOf(experiment));
  expect(runs).toHaveLength(1);
  const run = runs[0];
  if (run === undefined) throw new Error("no run");
  return run;
}

/** The server's history of `key` holds exactly the `expected` rows: none missing, none twice. */
export async function expectExactHistory(runId: string, key: string, expected: ReadonlySet<string>): Promise<void> {
  const rows = (await metricHistory(runId, key)).map(metricRow);
  expect(rows).toHaveLength(expected.size);
  expect(new Set(rows)).toEqual(expected);
}

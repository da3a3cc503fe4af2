/**
 * Live updates as server-sent events. A page subscribes to some runs (and how many points of
 * each metric it already holds); the server polls the tracker (every {@link LIVE_POLL_MS} on a
 * local store, where a poll reads the journal's index; every {@link REMOTE_POLL_MS} on a
 * tracking server, where a poll is one `runs/get` request per followed run) and sends each
 * run's status when it changes and the metric points logged since. Polling is cheap: a history
 * is read only when the run's latest value of that metric changed, or once a second for a
 * running run.
 *
 * @packageDocumentation
 */
import type { ServerResponse } from "node:http";
import { ValidationError } from "../errors.js";
import type { RunReader } from "../tracker-api.js";
import type { RunRecord } from "../model/types.js";
import { jsonNumber, metricsOf } from "./api.js";

/** Interval between two polls of a subscription on a local store. */
export const LIVE_POLL_MS = 200;

/** Interval between two polls of a subscription on a tracking server (no journal to tail: each poll is a request). */
export const REMOTE_POLL_MS = 1000;

/** Most runs one live stream follows. */
export const LIVE_MAX_RUNS = 50;

interface Followed {
  /** Status and latest values only, no points. */
  statusOnly: boolean;
  status: string | undefined;
  latest: Map<string, number>;
  sent: Map<string, number>;
}

/**
 * Parses `sub`: JSON `{ "<runId>": { "<key>": pointsAlreadyHeld } }`; `null` instead of the
 * counts follows the run's status and latest values only.
 * @throws ValidationError naming `sub` when it is not that shape or lists too many runs.
 * @example `parseSubscription('{"01a2…":{"loss":120}}')`
 */
export function parseSubscription(raw: string | null): Map<string, Map<string, number> | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw ?? "");
  } catch {
    throw new ValidationError("sub", raw, 'must be JSON like {"<runId>": {"<metric>": <points held>}}');
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new ValidationError("sub", raw, 'must be JSON like {"<runId>": {"<metric>": <points held>}}');
  const out = new Map<string, Map<string, number> | null>();
  for (const [runId, keys] of Object.entries(parsed)) {
    if (keys === null) {
      out.set(runId, null);
      continue;
    }
    const held = new Map<string, number>();
    if (keys !== null && typeof keys === "object")
      for (const [k, n] of Object.entries(keys)) if (typeof n === "number" && Number.isInteger(n) && n >= 0) held.set(k, n);
    out.set(runId, held);
  }
  if (out.size === 0 || out.size > LIVE_MAX_RUNS) throw new ValidationError("sub", raw, `must follow 1 to ${LIVE_MAX_RUNS} runs`);
  return out;
}

/**
 * Streams one subscription to `res` until the client goes away or {@link LiveStream.stop}.
 * @example `new LiveStream(tracker, parseSubscription(q.get("sub")), res).start()`
 */
export class LiveStream {
  private readonly runs = new Map<string, Followed>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private tick = 0;

  constructor(
    private readonly tracker: Pick<RunReader, "getRun" | "getMetricHistories">,
    subscription: Map<string, Map<string, number> | null>,
    private readonly res: ServerResponse,
    private readonly onStop: () => void = () => {},
    private readonly pollMs: number = LIVE_POLL_MS,
  ) {
    for (const [id, held] of subscription) this.runs.set(id, { statusOnly: held === null, status: undefined, latest: new Map(), sent: new Map(held ?? []) });
  }

  /** Sends the stream's headers and starts polling. */
  start(): void {
    this.res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", Connection: "keep-alive", "X-Accel-Buffering": "no" });
    this.res.write("retry: 1000\n\n");
    this.res.on("close", () => this.stop());
    void this.poll();
  }

  /** Stops polling and ends the response. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.res.writableEnded) this.res.end();
    this.onStop();
  }

  private send(event: string, data: unknown): void {
    if (!this.stopped) this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private async poll(): Promise<void> {
    this.tick++;
    for (const [id, f] of this.runs) {
      if (this.stopped) return;
      try {
        await this.pollRun(id, f);
      } catch (err) {
        this.send("problem", { runId: id, message: err instanceof Error ? err.message : String(err) });
        this.runs.delete(id);
      }
    }
    if (this.tick % Math.max(1, Math.round(5000 / this.pollMs)) === 0) this.res.write(": keep-alive\n\n");
    if (!this.stopped) this.timer = setTimeout(() => void this.poll(), this.pollMs);
  }

  private statusOf(id: string, run: RunRecord): { runId: string; status: string; end: number | null } {
    return { runId: id, status: run.info.status, end: run.info.endTime ?? null };
  }

  private async pollRun(id: string, f: Followed): Promise<void> {
    const run = await this.tracker.getRun(id);
    const running = run.info.status === "RUNNING";
    const changed: string[] = [];
    for (const [key, value] of Object.entries(run.data.metrics)) {
      const before = f.latest.get(key);
      if (before === undefined || !Object.is(before, value)) changed.push(key);
      f.latest.set(key, value);
    }
    const statusChanged = f.status !== run.info.status;
    if (f.statusOnly) {
      if (statusChanged || changed.length > 0) this.send("status", { ...this.statusOf(id, run), metrics: metricsOf(run.data.metrics) });
      f.status = run.info.status;
      return;
    }
    // Once a second a running run's histories are read in full, catching points logged with an unchanged latest value.
    const keys = running && this.tick % Math.max(1, Math.round(1000 / this.pollMs)) === 0 ? [...f.latest.keys()] : changed;
    if (statusChanged && !running) keys.push(...f.latest.keys());
    if (keys.length > 0) {
      const histories = await this.tracker.getMetricHistories(id, [...new Set(keys)]);
      for (const [key, history] of Object.entries(histories)) {
        const from = f.sent.get(key) ?? 0;
        if (history.length <= from) continue;
        const points = history.slice(from).map((m) => [m.step, m.timestamp, jsonNumber(m.value)]);
        f.sent.set(key, history.length);
        this.send("points", { runId: id, key, from, points });
      }
    }
    if (statusChanged) {
      f.status = run.info.status;
      this.send("status", this.statusOf(id, run));
    }
  }
}

/**
 * The app's side of the live stream (`/api/live`, server-sent events).
 *
 * @packageDocumentation
 */

/** A `points` event: metric points logged since the page's copy. */
export interface PointsEvent {
  readonly runId: string;
  readonly key: string;
  readonly from: number;
  readonly points: readonly (readonly [number, number, number | string])[];
}

/** A `status` event. */
export interface StatusEvent {
  readonly runId: string;
  readonly status: string;
  readonly end: number | null;
  readonly metrics?: Readonly<Record<string, number | string>>;
}

/** Handlers of a subscription. */
export interface LiveHandlers {
  readonly points?: (e: PointsEvent) => void;
  readonly status?: (e: StatusEvent) => void;
}

let open = 0;

function dot(): void {
  document.getElementById("live-dot")?.classList.toggle("on", open > 0);
}

/**
 * Follows runs: `sub` maps a run id to the number of points held per metric (or `null` for
 * status and latest values only). Returns a function that stops following.
 * @example `const stop = follow({ [id]: { loss: 200 } }, { points: (e) => chart.append(e.runId, e.points) });`
 */
export function follow(sub: Record<string, Record<string, number> | null>, handlers: LiveHandlers): () => void {
  if (Object.keys(sub).length === 0) return () => {};
  const source = new EventSource(`/api/live?sub=${encodeURIComponent(JSON.stringify(sub))}`);
  open++;
  dot();
  source.addEventListener("points", (ev) => handlers.points?.(JSON.parse((ev as MessageEvent<string>).data) as PointsEvent));
  source.addEventListener("status", (ev) => handlers.status?.(JSON.parse((ev as MessageEvent<string>).data) as StatusEvent));
  let closed = false;
  return () => {
    if (closed) return;
    closed = true;
    source.close();
    open--;
    dot();
  };
}

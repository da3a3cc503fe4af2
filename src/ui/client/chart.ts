/**
 * A live metric chart: one uPlot chart per metric with the selected runs overlaid, on a step
 * or wall-time axis, linear or log y, optional smoothing. New points are appended as the live
 * stream delivers them and drawn at most once per animation frame.
 *
 * @packageDocumentation
 */
import type uPlotType from "uplot";
import { alignCurves, chartOptions, smoothCurve, type CurveSpec } from "../../report/chart-core.js";
import { lttb } from "../../report/lttb.js";

declare const uPlot: typeof uPlotType;

/**
 * How every chart on a page is drawn (kept in the URL).
 * @example `{ x: "step", log: false, smooth: 0 }`
 */
export interface ChartSettings {
  /** X axis: training step or wall time. */
  readonly x: "step" | "time";
  /** Log-scaled y. */
  readonly log: boolean;
  /** Smoothing weight in [0, 1). */
  readonly smooth: number;
}

interface Curve {
  label: string;
  color: string;
  x: number[];
  y: number[];
}

/**
 * Most points of one curve drawn: a longer curve (a live run keeps appending) is downsampled
 * with LTTB at each draw, from every point held, so a 1,000,000-point curve draws as fast as
 * a 2,000-point one and keeps its shape.
 */
export const DRAW_MAX = 2000;

/** The curve as drawn: positive values only on a log axis, smoothed over every point held, then downsampled to {@link DRAW_MAX}. */
function drawable(c: Curve, settings: ChartSettings): Curve {
  let x: readonly number[] = c.x;
  let y: readonly (number | null)[] = c.y;
  if (settings.log) {
    const keep = c.y.map((v) => v > 0);
    x = c.x.filter((_, i) => keep[i]);
    y = c.y.filter((_, i) => keep[i]);
  }
  if (settings.smooth > 0) y = smoothCurve(y, settings.smooth);
  const down = x.length > DRAW_MAX ? lttb({ x, y: y as readonly number[] }, DRAW_MAX) : { x: [...x], y: [...y] as number[] };
  return { ...c, ...down };
}

/** Charts drawn so far on this page (read by tests and the bench). */
export const chartStats = { drawn: 0, lastDrawMs: 0, points: 0 };

function axisColor(): string {
  return matchMedia("(prefers-color-scheme: dark)").matches ? "#9aa3b5" : "#555";
}

/**
 * One metric's chart.
 * @example `const c = new MetricChart(el, "loss", settings); c.setCurve(id, "run a", "#1f77b4", xs, ys);`
 */
export class MetricChart {
  private readonly curves = new Map<string, Curve>();
  private plot: uPlotType | undefined;
  private shape = "";
  private pending = false;

  constructor(
    private readonly el: HTMLElement,
    readonly metric: string,
    private settings: ChartSettings,
  ) {}

  /** Points currently held (after downsampling). */
  get points(): number {
    let n = 0;
    for (const c of this.curves.values()) n += c.x.length;
    return n;
  }

  /** Sets (replaces) one run's curve. */
  setCurve(runId: string, label: string, color: string, x: readonly number[], y: readonly number[]): void {
    this.curves.set(runId, { label, color, x: [...x], y: [...y] });
    this.schedule();
  }

  /** Appends live points `[step, timestamp, value]` to a run's curve. */
  append(runId: string, points: readonly (readonly [number, number, number | string])[]): void {
    const c = this.curves.get(runId);
    if (c === undefined) return;
    for (const [step, ts, value] of points) {
      if (typeof value !== "number") continue;
      const x = this.settings.x === "time" ? ts : step;
      const last = c.x[c.x.length - 1];
      if (last !== undefined && x < last) {
        // Out of order (a step logged late): insert in place.
        let i = c.x.length;
        while (i > 0 && (c.x[i - 1] as number) > x) i--;
        c.x.splice(i, 0, x);
        c.y.splice(i, 0, value);
      } else {
        c.x.push(x);
        c.y.push(value);
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  /** Draws now (creates the chart, or updates its data when the set of runs is unchanged). */
  draw(): void {
    const t0 = performance.now();
    const ids = [...this.curves.keys()];
    const specs: CurveSpec[] = ids.map((id) => drawable(this.curves.get(id) as Curve, this.settings));
    const data = alignCurves(specs);
    const shape = JSON.stringify([ids, specs.map((s) => s.x.length <= 2), this.settings]);
    const width = Math.max(this.el.clientWidth, 240);
    if (this.plot === undefined || shape !== this.shape) {
      this.plot?.destroy();
      const look = {
        xLabel: this.settings.x === "time" ? "wall time (UTC)" : "step",
        time: this.settings.x === "time",
        log: this.settings.log,
        width,
        height: 220,
        axisColor: axisColor(),
      };
      this.plot = new uPlot(chartOptions(specs, look) as unknown as uPlotType.Options, data as uPlotType.AlignedData, this.el);
      this.shape = shape;
    } else this.plot.setData(data as uPlotType.AlignedData);
    this.el.setAttribute("data-points", String(this.points));
    chartStats.drawn++;
    chartStats.points = this.points;
    chartStats.lastDrawMs = performance.now() - t0;
  }

  /** Follows the container's width. */
  resize(): void {
    this.plot?.setSize({ width: Math.max(this.el.clientWidth, 240), height: 220 });
  }

  /** Removes the chart. */
  destroy(): void {
    this.plot?.destroy();
    this.plot = undefined;
  }
}

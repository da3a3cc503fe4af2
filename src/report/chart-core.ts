/**
 * Chart code shared by the static report and the live dashboard: aligning curves on one x
 * axis, smoothing, compact tick labels, and the uPlot options (markers for single points, a
 * padded range for one x value, log scale). Plain functions with no imports and no DOM types,
 * so the report can inline their source (`CHART_CORE_SOURCE`) and the dashboard bundles them.
 *
 * @packageDocumentation
 */

/**
 * Run colours, in run order; the same run has the same colour in every chart and table.
 * @example `PALETTE[0] // "#1f77b4"`
 */
export const PALETTE: readonly string[] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

/**
 * One curve to draw.
 * @example `{ label: "lr=0.1", color: "#1f77b4", x: [0, 1], y: [0.9, 0.7] }`
 */
export interface CurveSpec {
  /** Legend label. */
  readonly label: string;
  /** Line colour. */
  readonly color: string;
  /** X values, ascending. */
  readonly x: ArrayLike<number>;
  /** Y values. */
  readonly y: ArrayLike<number>;
}

/**
 * Aligns curves on the union of their x values (uPlot's data layout): `[xs, ys1, ys2, …]`,
 * `null` where a curve has no point. One curve is passed through as is.
 * @example `alignCurves([{ x: [0, 2], y: [1, 3] }, { x: [1], y: [5] }]) // [[0, 1, 2], [1, null, 3], [null, 5, null]]`
 */
export function alignCurves(curves: readonly { readonly x: ArrayLike<number>; readonly y: ArrayLike<number> }[]): (number | null)[][] {
  if (curves.length === 1) {
    const c = curves[0] as { x: ArrayLike<number>; y: ArrayLike<number> };
    return [Array.from(c.x), Array.from(c.y)];
  }
  let total = 0;
  for (let i = 0; i < curves.length; i++) total += (curves[i] as { x: ArrayLike<number> }).x.length;
  const all = new Float64Array(total);
  let n = 0;
  for (let i = 0; i < curves.length; i++) {
    const xs = (curves[i] as { x: ArrayLike<number> }).x;
    for (let j = 0; j < xs.length; j++) all[n++] = xs[j] as number;
  }
  all.sort();
  const uniq: number[] = [];
  for (let k = 0; k < all.length; k++) if (k === 0 || all[k] !== all[k - 1]) uniq.push(all[k] as number);
  const at = new Map<number, number>();
  for (let k = 0; k < uniq.length; k++) at.set(uniq[k] as number, k);
  const out: (number | null)[][] = [uniq];
  for (let i = 0; i < curves.length; i++) {
    const c = curves[i] as { x: ArrayLike<number>; y: ArrayLike<number> };
    const ys: (number | null)[] = new Array(uniq.length).fill(null);
    for (let j = 0; j < c.x.length; j++) ys[at.get(c.x[j] as number) as number] = c.y[j] as number;
    out.push(ys);
  }
  return out;
}

/**
 * Exponential moving average with TensorBoard's debiasing; `weight` 0 returns the values,
 * nulls stay null.
 * @example `smoothCurve([1, 0, 0], 0.5) // [1, 0.333…, 0.142…]`
 */
export function smoothCurve(ys: readonly (number | null)[], weight: number): (number | null)[] {
  if (!(weight > 0)) return ys.slice();
  const out: (number | null)[] = new Array(ys.length).fill(null);
  let last = 0;
  let count = 0;
  for (let i = 0; i < ys.length; i++) {
    const v = ys[i];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    last = last * weight + (1 - weight) * v;
    count++;
    out[i] = last / (1 - weight ** count);
  }
  return out;
}

/**
 * A short axis label: `1.5M`, `500k`, `12,000` → `12k`, `0.0012`, `1e-7`.
 * @example `tickLabel(500000) // "500k"`
 */
export function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a < 1e-3) return v.toExponential(1);
  return String(+v.toPrecision(4));
}

/**
 * How a chart is drawn.
 * @example `{ xLabel: "step", time: false, log: false, height: 240 }`
 */
export interface ChartLook {
  /** X axis label. */
  readonly xLabel: string;
  /** True when x values are ms since the epoch (wall time). */
  readonly time: boolean;
  /** Log-scaled y axis. */
  readonly log: boolean;
  /** Width in CSS pixels. */
  readonly width: number;
  /** Height in CSS pixels. */
  readonly height: number;
  /** Axis and grid colour. */
  readonly axisColor: string;
}

/**
 * uPlot options for curves: a series per curve with a point marker when the curve has one
 * point (else nothing would show), a padded x range when all points share one x, compact
 * tick labels spaced so they never overlap, log scale on request.
 * @example `new uPlot(chartOptions(curves, look), alignCurves(curves), el)`
 */
export function chartOptions(curves: readonly CurveSpec[], look: ChartLook): Record<string, unknown> {
  const series: Record<string, unknown>[] = [{ label: look.xLabel }];
  for (let i = 0; i < curves.length; i++) {
    const c = curves[i] as CurveSpec;
    const few = c.x.length <= 2;
    series.push({ label: c.label, stroke: c.color, fill: undefined, width: 1.5, spanGaps: true, points: { show: few, size: 8, fill: c.color } });
  }
  const fmtX = look.time
    ? (_u: unknown, vals: number[]) => vals.map((v) => (v == null ? "" : new Date(v).toISOString().slice(11, 19)))
    : (_u: unknown, vals: number[]) => vals.map((v) => (v == null ? "" : tickLabel(v)));
  return {
    width: look.width,
    height: look.height,
    series,
    scales: {
      x: {
        time: false,
        // One x value: uPlot would pad it to 0–100; centre it instead.
        range: (u: { data: ArrayLike<number>[] }, min: number, max: number) => {
          const xs = u.data[0] as ArrayLike<number>;
          const only = xs.length > 0 && xs[0] === xs[xs.length - 1] ? (xs[0] as number) : null;
          return only === null ? [min, max] : [only - Math.max(1, Math.abs(only) * 0.1), only + Math.max(1, Math.abs(only) * 0.1)];
        },
      },
      y: look.log
        ? { distr: 3 }
        : { range: (_u: unknown, min: number, max: number) => (min === max ? [min - Math.abs(min || 1) * 0.1, max + Math.abs(max || 1) * 0.1] : [min, max]) },
    },
    axes: [
      { label: look.xLabel, labelSize: 20, stroke: look.axisColor, values: fmtX, space: look.time ? 90 : 70 },
      { size: 64, stroke: look.axisColor, values: (_u: unknown, vals: number[]) => vals.map((v) => (v == null ? "" : tickLabel(v))), space: 30 },
    ],
    legend: { live: true },
    cursor: { drag: { x: true, y: false }, points: { size: 7 } },
  };
}

/**
 * The source of this module's functions, for a page that inlines them (the static report).
 * @example `<script>${CHART_CORE_SOURCE}…</script>`
 */
export const CHART_CORE_SOURCE: string = [alignCurves, smoothCurve, tickLabel, chartOptions].reduce((src, f) => {
  // A bundler may rename a declaration (`tickLabel2`); references inside the other functions use that name, callers use `f.name`.
  const code = f.toString();
  const compiled = /^function\s*([\w$]+)/.exec(code)?.[1] ?? f.name;
  return `${src}\n${code}${compiled === f.name ? "" : `\nvar ${f.name} = ${compiled};`}`;
}, "var __name = function (f) { return f; };");

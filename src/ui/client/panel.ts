/**
 * The charts panel of the run and compare pages: one chart per metric with the given runs
 * overlaid, settings (x axis, log scale, smoothing) in the URL, live points for running runs.
 *
 * @packageDocumentation
 */
import { PALETTE } from "../../report/chart-core.js";
import { get, route, setQuery } from "./api.js";
import { MetricChart, type ChartSettings } from "./chart.js";
import { h } from "./dom.js";
import { follow } from "./live.js";

export { PALETTE };

/** A run shown in the panel. */
export interface PanelRun {
  readonly id: string;
  readonly label: string;
  readonly status: string;
}

interface Series {
  readonly x: number[];
  readonly y: number[];
  readonly points: number;
}

/** Reads the chart settings from the URL. */
export function settingsFromUrl(): ChartSettings {
  const q = route().query;
  const smooth = Number(q.get("smooth") ?? "0");
  return { x: q.get("x") === "time" ? "time" : "step", log: q.get("log") === "1", smooth: Number.isFinite(smooth) && smooth >= 0 && smooth < 1 ? smooth : 0 };
}

function settingsBar(settings: ChartSettings, redraw: () => void): HTMLElement {
  const x = h(
    "select",
    { attrs: { "aria-label": "x axis" } },
    h("option", { attrs: { value: "step" } }, "x: step"),
    h("option", { attrs: { value: "time" } }, "x: wall time"),
  );
  x.value = settings.x;
  const log = h("input", { attrs: { type: "checkbox", "aria-label": "log scale" } });
  log.checked = settings.log;
  const smooth = h("input", { attrs: { type: "range", min: 0, max: 0.99, step: 0.01, "aria-label": "smoothing" } });
  smooth.value = String(settings.smooth);
  const apply = (): void => {
    setQuery({ x: x.value === "time" ? "time" : undefined, log: log.checked ? "1" : undefined, smooth: smooth.value === "0" ? undefined : smooth.value });
    redraw();
  };
  x.addEventListener("change", apply);
  log.addEventListener("change", apply);
  smooth.addEventListener("change", apply);
  return h("div", { class: "toolbar" }, x, h("label", null, log, " log scale"), h("label", null, "smoothing ", smooth));
}

/**
 * Renders the panel into `root`; returns a function that stops its live stream.
 * @example `const stop = await chartsPanel(root, [{ id, label: "run a", status: "RUNNING" }]);`
 */
export async function chartsPanel(root: HTMLElement, runs: readonly PanelRun[], only?: readonly string[]): Promise<() => void> {
  let stop = (): void => {};
  const grid = h("div", { class: "charts" });
  const draw = async (): Promise<void> => {
    stop();
    const settings = settingsFromUrl();
    const data = await Promise.all(
      runs.map((r) => get<{ series: Record<string, Series> }>("metrics", { id: r.id, max: "2000", x: settings.x, ...(only ? { key: only } : {}) })),
    );
    const keys = [...new Set(data.flatMap((d) => Object.keys(d.series)))].sort();
    grid.replaceChildren();
    if (keys.length === 0) grid.append(h("p", { class: "muted" }, "No metrics logged yet."));
    const charts = new Map<string, MetricChart>();
    for (const key of keys) {
      const el = h("div", { class: "chart", attrs: { "data-metric": key, role: "img", "aria-label": `${key} over ${settings.x}` } });
      const total = data.reduce((n, d) => n + (d.series[key]?.points ?? 0), 0);
      grid.append(
        h(
          "section",
          { class: "card chart-card" },
          h("header", null, h("h3", null, key), h("span", { class: "muted" }, `${total.toLocaleString("en-US")} points`)),
          el,
        ),
      );
      const chart = new MetricChart(el, key, settings);
      runs.forEach((r, i) => {
        const s = data[i]?.series[key];
        if (s !== undefined) chart.setCurve(r.id, r.label, PALETTE[i % PALETTE.length] as string, s.x, s.y);
      });
      charts.set(key, chart);
    }
    const sub: Record<string, Record<string, number>> = {};
    runs.forEach((r, i) => {
      if (r.status !== "RUNNING") return;
      const held: Record<string, number> = {};
      for (const [k, s] of Object.entries(data[i]?.series ?? {})) held[k] = s.points;
      sub[r.id] = held;
    });
    stop = follow(sub, {
      points: (e) => {
        let chart = charts.get(e.key);
        if (chart === undefined && (only === undefined || only.includes(e.key))) {
          // A metric first logged after the page opened: a new chart.
          const el = h("div", { class: "chart", attrs: { "data-metric": e.key, role: "img", "aria-label": `${e.key} over ${settings.x}` } });
          grid.querySelector("p.muted")?.remove();
          grid.append(h("section", { class: "card chart-card" }, h("header", null, h("h3", null, e.key)), el));
          chart = new MetricChart(el, e.key, settings);
          const i = runs.findIndex((r) => r.id === e.runId);
          chart.setCurve(e.runId, runs[i]?.label ?? e.runId, PALETTE[Math.max(i, 0) % PALETTE.length] as string, [], []);
          charts.set(e.key, chart);
        }
        chart?.append(e.runId, e.points);
      },
      status: (e) => document.dispatchEvent(new CustomEvent("mltrail:status", { detail: e })),
    });
    let timer = 0;
    window.addEventListener("resize", () => {
      clearTimeout(timer);
      timer = window.setTimeout(() => {
        for (const c of charts.values()) c.resize();
      }, 100);
    });
  };
  root.append(
    settingsBar(settingsFromUrl(), () => void draw()),
    grid,
  );
  await draw();
  return () => stop();
}

/**
 * The compare page: selected runs side by side (metrics with the best run marked when the
 * metric's direction is known, params that differ) and their curves overlaid, live.
 *
 * @packageDocumentation
 */
import type { MetricComparison, RunComparison } from "../../compare/runs.js";
import { num } from "../../report/html.js";
import { get, href, route } from "./api.js";
import { h, link, replace } from "./dom.js";
import { chartsPanel, PALETTE } from "./panel.js";

/**
 * One row per metric: its latest value per run or version, the best one starred where the
 * metric's direction is known (`known`), no arrow and no star otherwise.
 * @example `metricRows(cmp.metrics, cmp.known)`
 */
export function metricRows(metrics: Readonly<Record<string, MetricComparison>>, known: Readonly<Record<string, boolean>>): HTMLElement[] {
  return Object.entries(metrics).map(([key, m]) => {
    const sure = known[key] === true;
    const best = (i: number): boolean => sure && m.best?.index === i;
    return h(
      "tr",
      null,
      h(
        "th",
        { class: "wrap", attrs: { title: sure ? (m.direction === "min" ? "lower is better" : "higher is better") : "direction unknown" } },
        key,
        sure ? (m.direction === "min" ? " ↓" : " ↑") : "",
      ),
      ...m.perRun.map((s, i) => h("td", { class: `num${best(i) ? " best" : ""}` }, best(i) ? "★ " : "", num(s.last))),
    );
  });
}

/**
 * Renders the compare page for `?runs=a,b`.
 * @example `await comparePage(main)`
 */
export async function comparePage(main: HTMLElement): Promise<() => void> {
  const ids = (route().query.get("runs") ?? "").split(",").filter((s) => s !== "");
  if (ids.length === 0) {
    replace(main, h("h1", null, "Compare"), h("p", { class: "muted" }, "Select runs on the runs page, then Compare."));
    return () => {};
  }
  const cmp = await get<RunComparison & { known: Record<string, boolean> }>("compare", { runs: ids.join(",") });
  const head = h(
    "tr",
    null,
    h("th", null, ""),
    ...cmp.runs.map((r, i) => h("th", { class: "wrap", attrs: { "data-color": PALETTE[i % PALETTE.length] } }, link(href(["run", r.runId]), r.name))),
  );
  const metrics = metricRows(cmp.metrics, cmp.known);
  const paramRows = Object.entries(cmp.params.differing).map(([key, values]) =>
    h("tr", null, h("th", { class: "wrap" }, key), ...values.map((v) => h("td", { class: "diff mono wrap" }, v ?? "(unset)"))),
  );
  const charts = h("div", null);
  replace(
    main,
    h("h1", null, `Compare ${cmp.runs.length} runs`),
    h("h2", null, "Metrics (latest)"),
    h("div", { class: "scroll" }, h("table", null, h("thead", null, head), h("tbody", null, ...metrics))),
    h("h2", null, "Params that differ"),
    paramRows.length === 0
      ? h("p", { class: "muted" }, "All params are equal.")
      : h("div", { class: "scroll" }, h("table", null, h("thead", null, head.cloneNode(true)), h("tbody", null, ...paramRows))),
    h("h2", null, "Curves"),
    charts,
  );
  return chartsPanel(
    charts,
    cmp.runs.map((r) => ({ id: r.runId, label: r.name, status: r.status })),
  );
}

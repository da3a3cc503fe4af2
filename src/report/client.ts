/**
 * The report's in-page script (plain ES2017, no dependencies but the inlined uPlot): reads the
 * chart data from the JSON block, draws one uPlot chart per metric with the runs overlaid,
 * resizes with the window and for print, and publishes `window.__mltrailReport` when done.
 *
 * @packageDocumentation
 */

import { CHART_CORE_SOURCE, PALETTE } from "./chart-core.js";

export { PALETTE };

/**
 * Source of the in-page script. It reads `#mltrail-data` (`{ runs: string[], charts: ChartData[] }`)
 * and draws into `.chart[data-chart=i]` with the chart code it shares with `mltrail ui`
 * (`chart-core.ts`: markers for single points, compact ticks, a padded range for one step).
 * @example `<script>${CLIENT_SCRIPT}</script>`
 */
export const CLIENT_SCRIPT = `(function () {
  "use strict";
  ${CHART_CORE_SOURCE}
  var PALETTE = ${JSON.stringify(PALETTE)};
  var HEIGHT = 240;
  var report = { charts: 0, failed: 0, points: 0, renderMs: null, done: false, axes: [] };
  window.__mltrailReport = report;
  var holder = document.getElementById("mltrail-data");
  if (!holder || typeof uPlot === "undefined") { console.error("mltrail report: chart data or uPlot missing"); return; }
  var data = JSON.parse(holder.textContent || "{}");
  var colour = {};
  data.runs.forEach(function (id, i) { colour[id] = PALETTE[i % PALETTE.length]; });
  var plots = [];

  function draw(el, chart) {
    var curves = chart.series.map(function (s) {
      report.points += s.x.length;
      return { label: s.label, color: colour[s.runId] || PALETTE[0], x: s.x, y: s.y };
    });
    var look = { xLabel: "step", time: false, log: false, width: Math.max(el.clientWidth, 240), height: HEIGHT, axisColor: "#555" };
    return new uPlot(chartOptions(curves, look), alignCurves(curves), el);
  }
  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var chart = data.charts[Number(el.getAttribute("data-chart"))];
    if (!chart) return;
    try {
      var plot = draw(el, chart);
      plots.push({ el: el, plot: plot, metric: chart.metric });
      report.charts++;
    } catch (err) {
      report.failed++;
      console.error("mltrail report: chart " + chart.metric + " failed: " + (err && err.message));
    }
  });

  function fit(width) {
    plots.forEach(function (p) { p.plot.setSize({ width: width || Math.max(p.el.clientWidth, 240), height: HEIGHT }); });
  }
  var timer = 0;
  window.addEventListener("resize", function () { clearTimeout(timer); timer = setTimeout(function () { fit(0); }, 100); });
  window.addEventListener("beforeprint", function () { fit(660); });
  window.addEventListener("afterprint", function () { fit(0); });
  requestAnimationFrame(function () {
    requestAnimationFrame(function () {
      report.renderMs = performance.now();
      plots.forEach(function (p) {
        var u = p.plot;
        report.axes.push({ metric: p.metric, xMin: u.scales.x.min, xMax: u.scales.x.max, width: u.bbox.width / (window.devicePixelRatio || 1), ticks: (u.axes[0]._values || []).slice() });
      });
      report.done = true;
      document.documentElement.setAttribute("data-rendered", "true");
    });
  });
})();`;

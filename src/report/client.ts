/**
 * The report's in-page script (plain ES2017, no dependencies but the inlined uPlot): reads the
 * chart data from the JSON block, draws one uPlot chart per metric with the runs overlaid,
 * resizes with the window and for print, and publishes `window.__mltrailReport` when done.
 *
 * @packageDocumentation
 */

/**
 * Run colours, in run order; the same run has the same colour in every chart and table.
 * @example `PALETTE[0] // "#1f77b4"`
 */
export const PALETTE: readonly string[] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

/**
 * Source of the in-page script. It reads `#mltrail-data` (`{ runs: string[], charts: ChartData[] }`)
 * and draws into `.chart[data-chart=i]`.
 * @example `<script>${CLIENT_SCRIPT}</script>`
 */
export const CLIENT_SCRIPT = `(function () {
  "use strict";
  var PALETTE = ${JSON.stringify(PALETTE)};
  var HEIGHT = 240;
  var report = { charts: 0, failed: 0, points: 0, renderMs: null, done: false };
  window.__mltrailReport = report;
  var holder = document.getElementById("mltrail-data");
  if (!holder || typeof uPlot === "undefined") { console.error("mltrail report: chart data or uPlot missing"); return; }
  var data = JSON.parse(holder.textContent || "{}");
  var colour = {};
  data.runs.forEach(function (id, i) { colour[id] = PALETTE[i % PALETTE.length]; });
  var plots = [];

  function columns(chart) {
    var all = [];
    chart.series.forEach(function (s) { for (var j = 0; j < s.x.length; j++) all.push(s.x[j]); });
    var xs = Float64Array.from(all).sort();
    var uniq = [];
    for (var k = 0; k < xs.length; k++) if (k === 0 || xs[k] !== xs[k - 1]) uniq.push(xs[k]);
    var at = new Map();
    uniq.forEach(function (x, i) { at.set(x, i); });
    var cols = [uniq];
    chart.series.forEach(function (s) {
      var ys = new Array(uniq.length).fill(null);
      for (var j = 0; j < s.x.length; j++) ys[at.get(s.x[j])] = s.y[j];
      report.points += s.x.length;
      cols.push(ys);
    });
    return cols;
  }

  function draw(el, chart) {
    var series = [{ label: "step" }].concat(chart.series.map(function (s) {
      return { label: s.label, stroke: colour[s.runId] || PALETTE[0], width: 1.5, spanGaps: true, points: { show: false } };
    }));
    var opts = {
      width: Math.max(el.clientWidth, 240),
      height: HEIGHT,
      scales: { x: { time: false } },
      series: series,
      axes: [{ label: "step", labelSize: 20, stroke: "#555" }, { size: 64, stroke: "#555" }],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    return new uPlot(opts, columns(chart), el);
  }

  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var chart = data.charts[Number(el.getAttribute("data-chart"))];
    if (!chart) return;
    try {
      plots.push({ el: el, plot: draw(el, chart) });
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
      report.done = true;
      document.documentElement.setAttribute("data-rendered", "true");
    });
  });
})();`;

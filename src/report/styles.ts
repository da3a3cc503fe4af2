/**
 * The report's stylesheet: readable on a laptop screen, and in print (one column, no
 * page breaks inside charts or table rows, links shown plainly).
 *
 * @packageDocumentation
 */

/**
 * CSS of the report page (uPlot's own CSS is inlined next to it).
 * @example `<style>${REPORT_CSS}</style>`
 */
export const REPORT_CSS = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #dde2ea; --bg: #ffffff; --panel: #f6f8fb; --best: #e7f6ea; --bestfg: #14692b; --diff: #fff4d6; --accent: #2457c5; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: var(--bg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 28px 48px; }
header.top { border-bottom: 2px solid var(--line); padding-bottom: 12px; margin-bottom: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 0; overflow-wrap: anywhere; }
.muted, .meta { color: var(--muted); }
.meta { font-size: 13px; display: flex; flex-wrap: wrap; gap: 4px 18px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: auto; min-width: 50%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.best { background: var(--best); color: var(--bestfg); font-weight: 600; }
td.diff { background: var(--diff); }
td .sub { display: block; font-size: 11px; color: var(--muted); font-weight: 400; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px 6px; background: var(--bg); min-width: 0; }
.card header { display: flex; justify-content: space-between; align-items: baseline; gap: 8px; margin-bottom: 6px; }
.chart { width: 100%; min-height: 240px; }
.uplot { width: 100% !important; }
.u-legend { font-size: 12px; text-align: left; }
.u-legend .u-series > * { padding: 1px 4px; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; border: 1px solid var(--line); background: var(--panel); margin: 0 4px 2px 0; white-space: nowrap; }
.badge.semver { background: #e8efff; border-color: #c4d3fb; color: var(--accent); font-weight: 600; font-family: ui-monospace, Menlo, Consolas, monospace; }
.badge.alias { background: #efe6ff; border-color: #d8c6fb; color: #5a2aa8; }
.badge.warn { background: #fde8e8; border-color: #f5c2c2; color: #a11d1d; }
ol.timeline { list-style: none; padding: 0 0 0 18px; margin: 0; border-left: 2px solid var(--line); }
ol.timeline > li { position: relative; padding: 0 0 14px 12px; }
ol.timeline > li::before { content: ""; position: absolute; left: -25px; top: 5px; width: 10px; height: 10px; border-radius: 50%; background: var(--accent); border: 2px solid var(--bg); }
ol.timeline .rationale { margin: 2px 0; }
ol.timeline ul { margin: 2px 0 0; padding-left: 18px; color: var(--muted); font-size: 13px; }
table.explain td.xcell { min-width: 170px; white-space: nowrap; }
.xbar { display: inline-block; width: 120px; height: 10px; background: var(--panel); border-radius: 2px; vertical-align: middle; margin-right: 6px; }
.xbar > span { display: block; height: 100%; border-radius: 2px; }
.xval { font-size: 12px; font-variant-numeric: tabular-nums; }
table.explain tr.flagged > * { background: var(--diff); }
table.explain tr.flagged > th { box-shadow: inset 3px 0 0 #d9822b; }
ul.verdicts { margin: 4px 0 10px; padding-left: 18px; }
ul.verdicts li.changed { color: #a11d1d; font-weight: 600; }
details summary { cursor: pointer; color: var(--muted); margin: 8px 0; }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@media (max-width: 700px) { main { padding: 14px; } .charts { grid-template-columns: 1fr; } }
@media print {
  @page { size: A4; margin: 12mm; }
  body { font-size: 11px; }
  main { max-width: none; padding: 0; }
  .charts { display: block; }
  .card { break-inside: avoid; page-break-inside: avoid; margin-bottom: 10px; border-color: #bbb; }
  tr, li { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .scroll { overflow: visible; }
  details > *:not(summary) { display: block; }
  td.best, td.diff, th, .badge, .swatch, .xbar > span, tr.flagged > * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;

/**
 * The dashboard's HTML shell and stylesheet. The shell holds no data and no inline script:
 * the app (`/app.js`) renders everything with `textContent`, so user strings are never parsed
 * as HTML. Light and dark follow `prefers-color-scheme`.
 *
 * @packageDocumentation
 */

/**
 * The page every route starts from.
 * @example `res.end(INDEX_HTML)`
 */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>mltrail</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/uplot.css">
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header class="bar"><a class="brand" href="#/runs">mltrail</a><nav><a href="#/runs" data-nav="runs">Runs</a><a href="#/models" data-nav="models">Models</a><a href="#/ab" data-nav="ab">A/B tests</a></nav><span id="live-dot" class="dot" title="live updates"></span></header>
<main id="app" tabindex="-1"><p class="muted">Loading…</p></main>
<script src="/uplot.js"></script>
<script src="/app.js"></script>
</body>
</html>
`;

/**
 * The dashboard's CSS.
 * @example `res.end(UI_CSS)`
 */
export const UI_CSS = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5b6475; --line: #dde2ea; --bg: #ffffff; --panel: #f6f8fb; --accent: #2457c5; --best: #e7f6ea; --bestfg: #14692b; --diff: #fff4d6; --warn: #a11d1d; --row: 30px; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e3e7ef; --muted: #9aa3b5; --line: #323a48; --bg: #14181f; --panel: #1c222c; --accent: #7aa2ff; --best: #163a22; --bestfg: #8fe0a6; --diff: #3a3217; --warn: #ff8b8b; }
  .u-legend, .u-axis { color: var(--fg); }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: var(--bg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
a { color: var(--accent); }
.bar { display: flex; align-items: center; gap: 16px; padding: 8px 16px; border-bottom: 1px solid var(--line); background: var(--panel); position: sticky; top: 0; z-index: 5; }
.bar .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
.bar nav { display: flex; gap: 12px; flex: 1; }
.bar nav a { text-decoration: none; padding: 2px 6px; border-radius: 4px; }
.bar nav a.active { background: var(--bg); font-weight: 600; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: var(--line); }
.dot.on { background: #2ca02c; }
main { padding: 14px 16px 40px; max-width: 1600px; margin: 0 auto; outline: none; }
h1 { font-size: 20px; margin: 0 0 6px; overflow-wrap: anywhere; }
h2 { font-size: 16px; margin: 22px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.muted { color: var(--muted); }
.error { color: var(--warn); white-space: pre-wrap; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; }
.toolbar input[type=search], .toolbar input[type=text] { flex: 1 1 280px; min-width: 0; padding: 6px 8px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); font: inherit; }
select, button { font: inherit; color: var(--fg); background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 4px 8px; }
button { cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
.grid { border: 1px solid var(--line); border-radius: 6px; overflow: auto; height: calc(100vh - 190px); min-height: 240px; position: relative; }
.grid .head, .grid .row { display: grid; align-items: center; min-width: max-content; }
.grid .head { position: sticky; top: 0; z-index: 2; background: var(--panel); font-weight: 600; border-bottom: 1px solid var(--line); }
.grid .cell { padding: 0 8px; height: var(--row); line-height: var(--row); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; border-right: 1px solid transparent; }
.grid .head .cell { cursor: pointer; user-select: none; }
.grid .head .cell.static { cursor: default; }
.grid .body { position: relative; }
.grid .row { position: absolute; left: 0; right: 0; border-bottom: 1px solid var(--line); }
.grid .row:hover, .grid .row.focus { background: var(--panel); }
.grid .row.selected { box-shadow: inset 3px 0 0 var(--accent); }
.grid .num { text-align: right; font-variant-numeric: tabular-nums; }
.grid .child .name { padding-left: 26px; }
.status { display: inline-block; font-size: 11px; border-radius: 8px; padding: 0 6px; line-height: 18px; border: 1px solid var(--line); }
.status.RUNNING { color: #1f77b4; border-color: #1f77b4; }
.status.FAILED, .status.KILLED { color: var(--warn); border-color: var(--warn); }
.status.FINISHED { color: var(--bestfg); }
table { border-collapse: collapse; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.best { background: var(--best); color: var(--bestfg); font-weight: 600; }
td.diff { background: var(--diff); }
td.wrap, th.wrap { overflow-wrap: anywhere; }
.scroll { overflow-x: auto; max-width: 100%; }
.cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; min-width: 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 14px; }
.chart-card header { display: flex; justify-content: space-between; gap: 8px; align-items: baseline; }
.chart-card h3 { font-size: 14px; margin: 0; overflow-wrap: anywhere; }
.chart { width: 100%; min-height: 220px; }
.uplot { width: 100% !important; }
.u-legend { font-size: 12px; text-align: left; }
.preview { max-width: 100%; max-height: 480px; overflow: auto; background: var(--panel); padding: 8px; border-radius: 4px; white-space: pre-wrap; overflow-wrap: anywhere; }
img.preview { display: block; padding: 0; background: none; }
ul.tree { list-style: none; padding-left: 0; margin: 0; }
ul.tree li { padding: 2px 0; overflow-wrap: anywhere; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; border: 1px solid var(--line); background: var(--panel); margin: 0 4px 2px 0; white-space: nowrap; }
.badge.semver { color: var(--accent); font-weight: 600; font-family: ui-monospace, Menlo, monospace; }
.badge.alias { color: #8a5ad8; }
.badge.warn { color: var(--warn); }
ol.timeline { list-style: none; padding: 0 0 0 18px; margin: 0; border-left: 2px solid var(--line); }
ol.timeline > li { position: relative; padding: 0 0 14px 12px; overflow-wrap: anywhere; }
ol.timeline > li::before { content: ""; position: absolute; left: -25px; top: 5px; width: 10px; height: 10px; border-radius: 50%; background: var(--accent); }
.kv { display: grid; grid-template-columns: minmax(90px, max-content) minmax(0, 1fr); gap: 2px 12px; font-size: 13px; }
.kv > :nth-child(odd) { color: var(--muted); overflow-wrap: anywhere; }
.kv > :nth-child(even) { overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }
.picker { position: relative; }
.picker .menu { position: absolute; z-index: 10; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 8px; max-height: 320px; overflow: auto; min-width: 240px; right: 0; }
.picker .menu label { display: block; white-space: nowrap; }
.decision { font-size: 15px; padding: 8px 12px; border-radius: 6px; background: var(--panel); border-left: 4px solid var(--line); overflow-wrap: anywhere; }
.decision.ship { border-left-color: #2ca02c; }
.decision.srm { border-left-color: var(--warn); }
tr.winner th, tr.winner td { background: var(--best); color: var(--bestfg); }
tr.flagged th { color: var(--warn); }
label.badge { cursor: pointer; }
.nowrap { white-space: nowrap; }
@media (max-width: 700px) {
  main { padding: 10px; }
  .charts { grid-template-columns: 1fr; }
  .grid { height: calc(100vh - 230px); }
  .bar { gap: 10px; padding: 8px 10px; }
}
`;

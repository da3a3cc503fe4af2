/**
 * HTML of the report's sections. Every user-supplied string goes through `esc`.
 *
 * @packageDocumentation
 */
import type { ComparedVersion, ModelComparison } from "../compare/models.js";
import type { RunComparison } from "../compare/runs.js";
import type { AuditEntry, DatasetRef } from "../registry/store.js";
import { PALETTE } from "./client.js";
import type { ChartData } from "./data.js";
import { duration, esc, num, when } from "./html.js";

function swatch(i: number): string {
  return `<span class="swatch" style="background:${PALETTE[i % PALETTE.length] ?? "#888"}"></span>`;
}

function runHeader(labels: readonly string[]): string {
  return labels.map((l, i) => `<th>${swatch(i)}${esc(l)}</th>`).join("");
}

function datasets(list: readonly DatasetRef[]): string {
  if (list.length === 0) return `<span class="muted">–</span>`;
  return list
    .map((d) => `${esc(d.name)} <code>${esc(d.digest.slice(0, 12))}</code>${d.context ? ` <span class="muted">(${esc(d.context)})</span>` : ""}`)
    .join("<br>");
}

function commit(sha: string | null): string {
  return sha === null ? `<span class="muted">–</span>` : `<code title="${esc(sha)}">${esc(sha.slice(0, 10))}</code>`;
}

/** The runs table: name, id, status, start, duration, git commit, datasets. */
export function runsTable(cmp: RunComparison, labels: readonly string[]): string {
  if (cmp.runs.length === 0) return `<p class="empty">No runs.</p>`;
  const rows = cmp.runs.map(
    (r, i) =>
      `<tr><td>${swatch(i)}${esc(labels[i] ?? r.name)}</td><td><code>${esc(r.runId)}</code></td><td>${esc(r.status)}</td><td>${esc(when(r.startTime))}</td><td class="num">${esc(duration(r.endTime === null ? null : r.endTime - r.startTime))}</td><td>${commit(r.gitCommit)}</td><td>${datasets(r.datasets)}</td></tr>`,
  );
  return `<div class="scroll"><table><thead><tr><th>Run</th><th>Id</th><th>Status</th><th>Started</th><th>Duration</th><th>Git commit</th><th>Datasets</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

/** Metrics × runs: last value, best and its step; the best run's cell highlighted. */
export function metricsTable(cmp: RunComparison, labels: readonly string[], known: (key: string) => boolean = () => true): string {
  const keys = Object.keys(cmp.metrics);
  if (keys.length === 0) return `<p class="empty">No metrics.</p>`;
  const rows = keys.map((key) => {
    const m = cmp.metrics[key];
    if (m === undefined) return "";
    // No arrow and no ★ unless the direction was given or the name implies it (`lr_schedule` has neither).
    const directed = known(key);
    const arrow = directed ? (m.direction === "min" ? " ↓" : " ↑") : "";
    const cells = m.perRun.map((s, i) => {
      const best = directed && m.best?.index === i;
      const sub =
        s.best === null
          ? ""
          : `<span class="sub">best ${esc(num(s.best))}${s.bestStep === null ? "" : ` @ step ${esc(s.bestStep)}`} · ${esc(num(s.min))}…${esc(num(s.max))}</span>`;
      return `<td class="num${best ? " best" : ""}">${best ? "★ " : ""}${esc(num(s.last))}${sub}</td>`;
    });
    const title = directed ? (m.direction === "min" ? "lower is better" : "higher is better") : "direction unknown: pass it to mark the best run";
    return `<tr><th scope="row" title="${title}">${esc(key)}${arrow}</th>${cells.join("")}</tr>`;
  });
  return `<div class="scroll"><table><thead><tr><th>Metric (last)</th>${runHeader(labels)}</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

/** Params that differ (highlighted), then the equal ones folded. */
export function paramsSection(cmp: RunComparison, labels: readonly string[]): string {
  const differing = Object.entries(cmp.params.differing);
  const same = Object.entries(cmp.params.same ?? {});
  const diffTable =
    differing.length === 0
      ? `<p class="empty">${cmp.runs.length < 2 ? "One run: nothing to compare." : "All params are equal."}</p>`
      : `<div class="scroll"><table><thead><tr><th>Param</th>${runHeader(labels)}</tr></thead><tbody>${differing
          .map(([k, values]) => {
            // A param with one value, unset only in some runs (a sweep's parent), does not differ.
            const differs = new Set(values.filter((v) => v !== null)).size > 1;
            const cell = (v: string | null): string =>
              `<td class="${differs ? "diff " : ""}mono">${v === null ? `<span class="muted">(unset)</span>` : esc(v)}</td>`;
            return `<tr${differs ? ` class="differs"` : ""}><th scope="row">${esc(k)}</th>${values.map(cell).join("")}</tr>`;
          })
          .join("")}</tbody></table></div>`;
  const sameBlock =
    same.length === 0
      ? ""
      : `<details><summary>${same.length} param${same.length === 1 ? "" : "s"} equal in every run</summary><div class="scroll"><table><tbody>${same.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td class="mono">${esc(v)}</td></tr>`).join("")}</tbody></table></div></details>`;
  return diffTable + sameBlock;
}

/** One card per metric with an empty chart container the in-page script fills. */
export function chartsSection(charts: readonly ChartData[]): string {
  if (charts.length === 0) return `<p class="empty">No metric histories to chart.</p>`;
  return `<div class="charts">${charts
    .map((c, i) => {
      const points = c.series.reduce((n, s) => n + s.points, 0);
      const shown = c.series.reduce((n, s) => n + s.x.length, 0);
      const note =
        shown < points ? `${shown.toLocaleString("en-US")} of ${points.toLocaleString("en-US")} points (LTTB)` : `${points.toLocaleString("en-US")} points`;
      return `<section class="card"><header><h3>${esc(c.metric)}${c.directionKnown === false ? "" : ` <span class="muted">${c.direction === "min" ? "↓ lower is better" : "↑ higher is better"}</span>`}</h3><span class="muted">${esc(note)}</span></header><div class="chart" data-chart="${i}" role="img" aria-label="${esc(c.metric)} over steps"></div></section>`;
    })
    .join("")}</div>`;
}

function kv(record: Readonly<Record<string, string | number>>): string {
  const entries = Object.entries(record);
  if (entries.length === 0) return `<span class="muted">–</span>`;
  return entries.map(([k, v]) => `<code>${esc(k)}=${esc(typeof v === "number" ? num(v) : v)}</code>`).join(" ");
}

/** A release's changes as list items: with a category badge and the bump each required, when recorded. */
function changeItems(v: ComparedVersion): string {
  if (v.changeDetails === null) return v.changes.map((c) => `<li>${esc(c)}</li>`).join("");
  return v.changeDetails
    .map((c) => `<li><span class="badge">${esc(c.category)}</span>${esc(c.description)} <span class="muted">(${esc(c.bump)})</span></li>`)
    .join("");
}

/** The release timeline (newest first) with semver, aliases, bump, rationale and changes (with their category). */
export function timelineSection(model: ModelComparison, history: readonly AuditEntry[]): string {
  const items = [...model.versions]
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((v) => {
      const aliases = v.aliases.map((a) => `<span class="badge alias">@${esc(a)}</span>`).join("");
      const dep = v.deprecated ? `<span class="badge warn">deprecated</span>` : "";
      const changes = v.changes.length === 0 ? "" : `<ul>${changeItems(v)}</ul>`;
      return `<li><span class="badge semver">${esc(v.version)}</span>${aliases}${dep}<span class="muted">${esc(when(v.createdAt))} · ${esc(v.author)} · ${esc(v.bump)}</span><div class="rationale">${v.rationale === "" ? `<span class="muted">(no rationale)</span>` : esc(v.rationale)}</div>${changes}</li>`;
    });
  const events = history.filter((e) => e.action !== "release");
  const log =
    events.length === 0
      ? ""
      : `<details><summary>${events.length} other registry event${events.length === 1 ? "" : "s"} (aliases, promotions, deprecations)</summary><div class="scroll"><table><thead><tr><th>When</th><th>Action</th><th>Version</th><th>Alias</th><th>By</th><th>Reason</th></tr></thead><tbody>${events
          .map(
            (e) =>
              `<tr><td>${esc(when(e.at))}</td><td>${esc(e.action)}</td><td>${esc(e.version ?? "–")}</td><td>${esc(e.alias ?? "–")}</td><td>${esc(e.by)}</td><td>${esc(e.reason ?? "")}</td></tr>`,
          )
          .join("")}</tbody></table></div></details>`;
  return `<ol class="timeline">${items.join("")}</ol>${log}`;
}

/** Lineage per version: run → params, metrics at release, git commit, datasets. */
export function lineageSection(model: ModelComparison): string {
  const rows = model.versions.map(
    (v) =>
      `<tr><td><span class="badge semver">${esc(v.version)}</span></td><td>${v.runId === null ? `<span class="muted">–</span>` : `${esc(v.runName ?? "(run not found)")}<br><code>${esc(v.runId)}</code>`}</td><td>${commit(v.gitCommit)}</td><td>${datasets(v.datasets)}</td><td>${kv(v.params)}</td><td>${kv(v.releaseMetrics)}</td></tr>`,
  );
  return `<div class="scroll"><table><thead><tr><th>Version</th><th>Run</th><th>Git commit</th><th>Datasets</th><th>Params</th><th>Metrics at release</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

/**
 * The run page: identity and status, live charts, params, metrics, tags, datasets, lineage,
 * child runs, artifacts with previews (images, JSON, text), and the run's page on the tracking
 * server when there is one.
 *
 * @packageDocumentation
 */
import type { RunRow } from "../api.js";
import { duration, num, when } from "../../report/html.js";
import { get, href } from "./api.js";
import { h, link, replace, type Child } from "./dom.js";
import { chartsPanel } from "./panel.js";

interface ArtifactEntry {
  readonly path: string;
  readonly isDir: boolean;
  readonly size?: number;
}

interface RunPage {
  readonly run: RunRow;
  readonly datasets: readonly { name: string; digest: string; context?: string; source?: string }[];
  readonly artifacts: readonly ArtifactEntry[];
  readonly serverUrl: string | null;
  readonly children: readonly RunRow[];
}

const IMAGE = /\.(png|jpe?g|gif|webp|svg)$/i;
const TEXT_LIMIT = 256 * 1024;

/**
 * A key/value grid.
 * @example `kv({ lr: "0.1" })`
 */
export function kv(record: Readonly<Record<string, string | number>>, empty = "none"): HTMLElement {
  const entries = Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return h("p", { class: "muted" }, empty);
  return h("div", { class: "kv" }, ...entries.flatMap(([k, v]) => [h("span", null, k), h("span", { class: "mono" }, typeof v === "number" ? num(v) : v)]));
}

function artifactUrl(runId: string, path: string): string {
  return `/api/artifact?${new URLSearchParams({ id: runId, path }).toString()}`;
}

async function preview(runId: string, entry: ArtifactEntry, into: HTMLElement): Promise<void> {
  if (IMAGE.test(entry.path)) {
    replace(into, h("img", { class: "preview", attrs: { src: artifactUrl(runId, entry.path), alt: entry.path } }));
    return;
  }
  if ((entry.size ?? 0) > TEXT_LIMIT) {
    replace(into, h("p", { class: "muted" }, `${entry.path}: ${(entry.size ?? 0).toLocaleString("en-US")} bytes, too large to preview`));
    return;
  }
  const res = await fetch(artifactUrl(runId, entry.path), { credentials: "same-origin" });
  let text = await res.text();
  if (!res.ok) text = `could not read ${entry.path}: ${text}`;
  else if (/\.json$/i.test(entry.path))
    try {
      text = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // not valid JSON: shown as text
    }
  replace(into, h("pre", { class: "preview mono" }, text));
}

function artifactTree(runId: string, entries: readonly ArtifactEntry[], view: HTMLElement): HTMLElement {
  const ul = h("ul", { class: "tree" });
  for (const e of entries) {
    const name = e.path.split("/").pop() ?? e.path;
    if (e.isDir) {
      const li = h("li", null);
      const open = h("button", { attrs: { type: "button", "aria-expanded": "false" } }, `▸ ${name}/`);
      open.addEventListener("click", async () => {
        if (open.getAttribute("aria-expanded") === "true") {
          li.querySelector("ul")?.remove();
          open.setAttribute("aria-expanded", "false");
          return;
        }
        const { entries: inner } = await get<{ entries: ArtifactEntry[] }>("artifacts", { id: runId, path: e.path });
        li.append(artifactTree(runId, inner, view));
        open.setAttribute("aria-expanded", "true");
      });
      li.append(open);
      ul.append(li);
    } else {
      const a = h("a", { attrs: { href: artifactUrl(runId, e.path), "data-artifact": e.path } }, name);
      a.addEventListener("click", (ev) => {
        ev.preventDefault();
        void preview(runId, e, view);
      });
      ul.append(h("li", null, a, h("span", { class: "muted" }, ` ${(e.size ?? 0).toLocaleString("en-US")} B`)));
    }
  }
  return ul;
}

function section(title: string, ...children: Child[]): HTMLElement {
  return h("section", { class: "card" }, h("h2", null, title), ...children);
}

/**
 * Renders a run's page; returns a function that stops its live stream.
 * @example `const stop = await runPage(main, runId);`
 */
export async function runPage(main: HTMLElement, runId: string): Promise<() => void> {
  const page = await get<RunPage>("run", { id: runId });
  const r = page.run;
  const statusEl = h("span", { class: `status ${r.status}`, attrs: { "data-status": r.status } }, r.crashed ? "CRASHED" : r.status);
  const meta = h(
    "p",
    { class: "muted" },
    h("code", null, r.id),
    ` · started ${when(r.start)} · `,
    r.end === null ? "running" : duration(r.end - r.start),
    r.parent === null ? "" : " · parent ",
    r.parent === null ? "" : link(href(["run", r.parent]), r.parent),
    page.serverUrl === null ? "" : " · ",
    page.serverUrl === null ? "" : h("a", { attrs: { href: page.serverUrl, rel: "noreferrer noopener", target: "_blank" } }, "open on the tracking server"),
  );
  const charts = h("div", null);
  const view = h("div", null, h("p", { class: "muted" }, "Choose a file to preview it."));
  const tags = page.run.tags;
  const lineage = {
    ...(tags["mlflow.source.git.commit"] ? { "git commit": tags["mlflow.source.git.commit"] } : {}),
    ...(tags["mlflow.source.name"] ? { source: tags["mlflow.source.name"] } : {}),
    ...(tags["mlflow.user"] ? { user: tags["mlflow.user"] } : {}),
    ...(r.parent === null ? {} : { parent: r.parent }),
  };
  replace(
    main,
    h("h1", null, r.name, " ", statusEl),
    meta,
    h("h2", null, "Metrics"),
    charts,
    h(
      "div",
      { class: "cols" },
      section("Params", kv(r.params)),
      section("Latest metrics", kv(r.metrics)),
      section("Tags", kv(tags)),
      section("Lineage", kv(lineage, "no source recorded")),
      section(
        "Datasets",
        page.datasets.length === 0
          ? h("p", { class: "muted" }, "none")
          : h(
              "ul",
              { class: "tree" },
              ...page.datasets.map((d) => h("li", null, d.name, " ", h("code", null, d.digest.slice(0, 12)), d.context ? ` (${d.context})` : "")),
            ),
      ),
      section(
        "Child runs",
        page.children.length === 0
          ? h("p", { class: "muted" }, "none")
          : h(
              "ul",
              { class: "tree" },
              ...page.children.map((c) => h("li", null, link(href(["run", c.id]), c.name), " ", h("span", { class: `status ${c.status}` }, c.status))),
            ),
      ),
    ),
    h("h2", null, "Artifacts"),
    h(
      "div",
      { class: "cols" },
      h("div", null, page.artifacts.length === 0 ? h("p", { class: "muted" }, "none") : artifactTree(r.id, page.artifacts, view)),
      view,
    ),
  );
  document.addEventListener("mltrail:status", (ev) => {
    const e = (ev as CustomEvent<{ runId: string; status: string }>).detail;
    if (e.runId !== r.id) return;
    statusEl.textContent = e.status;
    statusEl.className = `status ${e.status}`;
    statusEl.setAttribute("data-status", e.status);
  });
  return chartsPanel(charts, [{ id: r.id, label: r.name, status: r.status }]);
}

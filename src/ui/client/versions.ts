/**
 * The compare page of model versions: pick a model's versions (kept in the URL as `?v=`) and see
 * their params, metrics (best marked where the direction is known), lineage (source run, git
 * commit, datasets) side by side with differences marked, and the explanations diff of each
 * selected version against the one before it, as `compareModelVersions` and
 * `tracker.compareExplanations` compute them.
 *
 * @packageDocumentation
 */
import type { ModelComparison } from "../../compare/models.js";
import type { ReleaseExplanationDiff } from "../../compare/release-explanations.js";
import { num } from "../../report/html.js";
import { get, href, route } from "./api.js";
import { metricRows } from "./compare.js";
import { h, link, replace, type Child } from "./dom.js";

interface VersionsPage {
  readonly comparison: ModelComparison;
  readonly known: Readonly<Record<string, boolean>>;
  readonly all: readonly { version: string; aliases: readonly string[]; deprecated: boolean }[];
  readonly explanations: readonly { from: string; to: string; diff?: ReleaseExplanationDiff; missing?: string }[];
}

function row(title: Child, cells: readonly Child[], differ: boolean): HTMLElement {
  return h("tr", null, h("th", { class: "wrap" }, title), ...cells.map((c) => h("td", { class: `mono wrap${differ ? " diff" : ""}` }, c)));
}

function allEqual(values: readonly string[]): boolean {
  return values.every((v) => v === values[0]);
}

function picker(model: string, all: VersionsPage["all"], chosen: readonly string[]): HTMLElement {
  const boxes = all.map((v) => {
    const box = h("input", { attrs: { type: "checkbox", value: v.version, "aria-label": `version ${v.version}` } });
    box.checked = chosen.includes(v.version);
    return h("label", { class: "badge" }, box, ` ${v.version}`, ...v.aliases.map((a) => ` @${a}`), v.deprecated ? " (deprecated)" : "");
  });
  const apply = h("button", { attrs: { type: "button" } }, "Compare");
  apply.addEventListener("click", () => {
    const v = boxes
      .map((b) => b.querySelector("input") as HTMLInputElement)
      .filter((i) => i.checked)
      .map((i) => i.value);
    location.hash = href(["versions", model], { v: v.join(",") });
  });
  return h("div", { class: "toolbar" }, ...boxes, apply);
}

function explanationSection(steps: VersionsPage["explanations"]): HTMLElement[] {
  if (steps.length === 0) return [];
  return [
    h("h2", null, "Explanations"),
    ...steps.map((s) => {
      if (s.diff === undefined)
        return h("p", { class: "muted", attrs: { "data-explanation": `${s.from}→${s.to}` } }, `${s.from} → ${s.to}: ${s.missing ?? ""}`);
      const d = s.diff;
      const rows = d.features.map((f) =>
        h(
          "tr",
          { class: f.flags.length > 0 ? "flagged" : "" },
          h("th", { class: "wrap" }, f.feature),
          h("td", { class: "num" }, f.rankA ?? "–", " → ", f.rankB ?? "–"),
          h("td", { class: "num" }, `${(100 * f.shareA).toFixed(1)}% → ${(100 * f.shareB).toFixed(1)}%`),
          h("td", { class: "num" }, `${num(f.importanceA)} → ${num(f.importanceB)}`),
          h("td", null, ...f.flags.map((fl) => h("span", { class: "badge warn" }, fl))),
        ),
      );
      return h(
        "section",
        { class: "card", attrs: { "data-explanation": `${s.from}→${s.to}` } },
        h("h3", null, `${d.name}: ${s.from} → ${s.to}`, h("span", { class: "muted" }, ` (${d.a.method} / ${d.b.method})`)),
        h("p", { class: d.flagged.length > 0 ? "error" : "muted" }, d.verdict),
        h(
          "div",
          { class: "scroll" },
          h(
            "table",
            null,
            h("thead", null, h("tr", null, ...["Feature", "Rank", "Share", "Importance", "Flags"].map((t) => h("th", null, t)))),
            h("tbody", null, ...rows),
          ),
        ),
      );
    }),
  ];
}

/**
 * Renders `#/versions/<model>?v=1.0.0,1.1.0` (every version when `v` is empty).
 * @example `await versionsPage(main, "churn")`
 */
export async function versionsPage(main: HTMLElement, model: string): Promise<() => void> {
  const chosen = (route().query.get("v") ?? "").split(",").filter((s) => s !== "");
  const page = await get<VersionsPage>("versions", { model, v: chosen.length === 0 ? undefined : chosen.join(",") });
  const cmp = page.comparison;
  const vs = cmp.versions;
  const head = h(
    "tr",
    null,
    h("th", null, ""),
    ...vs.map((v) =>
      h(
        "th",
        { attrs: { "data-version": v.version } },
        h("span", { class: "badge semver" }, v.version),
        ...v.aliases.map((a) => h("span", { class: "badge alias" }, `@${a}`)),
      ),
    ),
  );
  const texts = (f: (v: (typeof vs)[number]) => string): string[] => vs.map(f);
  const lineage = [
    ["run", texts((v) => v.runId ?? "–"), vs.map((v) => (v.runId === null ? "–" : link(href(["run", v.runId]), v.runName ?? v.runId)))],
    [
      "git commit",
      texts((v) => v.gitCommit ?? "–"),
      vs.map((v) => (v.gitCommit === null ? "–" : h("code", { attrs: { title: v.gitCommit } }, v.gitCommit.slice(0, 10)))),
    ],
    [
      "datasets",
      texts((v) => v.datasets.map((d) => `${d.name} ${d.digest}`).join("\n")),
      vs.map((v) => h("span", null, ...v.datasets.map((d) => h("div", null, d.name, " ", h("code", null, d.digest.slice(0, 12)))))),
    ],
    ["author", texts((v) => v.author), vs.map((v) => v.author)],
    ["bump", texts((v) => v.bump), vs.map((v) => v.bump)],
    ["rationale", texts((v) => v.rationale), vs.map((v) => v.rationale)],
  ] as const;
  const lineageRows = lineage.map(([title, t, cells]) => row(title, cells, !allEqual(t)));
  const paramRows = [
    ...Object.entries(cmp.params.differing).map(([k, values]) =>
      row(
        k,
        values.map((v) => v ?? "(unset)"),
        true,
      ),
    ),
    ...Object.entries(cmp.params.same ?? {}).map(([k, v]) =>
      row(
        k,
        vs.map(() => v),
        false,
      ),
    ),
  ];
  const metrics = metricRows(cmp.metrics, page.known);
  const tableOf = (rows: HTMLElement[]): HTMLElement =>
    h("div", { class: "scroll" }, h("table", { class: "versions" }, h("thead", null, head.cloneNode(true)), h("tbody", null, ...rows)));
  replace(
    main,
    h("h1", null, `${model}: ${vs.length} version${vs.length === 1 ? "" : "s"} compared`),
    h("p", { class: "muted" }, link(href(["model", model]), "releases of this model")),
    picker(
      model,
      page.all,
      vs.map((v) => v.version),
    ),
    h("h2", null, "Lineage"),
    tableOf(lineageRows),
    h("h2", null, "Metrics (latest; at release when the run is gone)"),
    metrics.length === 0 ? h("p", { class: "muted" }, "No metrics.") : tableOf(metrics),
    h("h2", null, "Params"),
    paramRows.length === 0 ? h("p", { class: "muted" }, "No params.") : tableOf(paramRows),
    ...explanationSection(page.explanations),
  );
  return () => {};
}

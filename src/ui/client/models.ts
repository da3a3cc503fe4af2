/**
 * The models pages: every registered model, and one model's releases (semver timeline,
 * aliases, deprecations, registry history, lineage of each release).
 *
 * @packageDocumentation
 */
import type { ModelComparison } from "../../compare/models.js";
import type { AuditEntry } from "../../registry/store.js";
import { num, when } from "../../report/html.js";
import { get, href } from "./api.js";
import { h, link, replace, table } from "./dom.js";

interface ModelRow {
  readonly name: string;
  readonly versions: number;
  readonly latest: string | null;
  readonly updated: number | null;
  readonly aliases: readonly { alias: string; version: string }[];
  readonly deprecated: number;
}

/**
 * The list of models.
 * @example `await modelsPage(main)`
 */
export async function modelsPage(main: HTMLElement): Promise<() => void> {
  const { models } = await get<{ models: ModelRow[] }>("models");
  replace(
    main,
    h("h1", null, "Models"),
    models.length === 0
      ? h("p", { class: "muted" }, "No registered models.")
      : table(
          ["Model", "Versions", "Latest", "Aliases", "Deprecated", "Updated"],
          models.map((m) =>
            h(
              "tr",
              { attrs: { "data-model": m.name } },
              h("td", { class: "wrap" }, link(href(["model", m.name]), m.name)),
              h("td", { class: "num" }, m.versions),
              h("td", null, m.latest === null ? "–" : h("span", { class: "badge semver" }, m.latest)),
              h("td", null, ...m.aliases.map((a) => h("span", { class: "badge alias" }, `@${a.alias} → ${a.version}`))),
              h("td", { class: "num" }, m.deprecated),
              h("td", null, when(m.updated)),
            ),
          ),
        ),
  );
  return () => {};
}

function pairs(record: Readonly<Record<string, string | number>>): HTMLElement {
  return h("span", null, ...Object.entries(record).map(([k, v]) => h("code", { class: "badge" }, `${k}=${typeof v === "number" ? num(v) : v}`)));
}

/**
 * One model's page.
 * @example `await modelPage(main, "churn")`
 */
export async function modelPage(main: HTMLElement, name: string): Promise<() => void> {
  const { comparison, history } = await get<{ comparison: ModelComparison; history: AuditEntry[] }>("model", { name });
  const versions = [...comparison.versions].sort((a, b) => b.createdAt - a.createdAt);
  const timeline = h(
    "ol",
    { class: "timeline" },
    ...versions.map((v) =>
      h(
        "li",
        { attrs: { "data-version": v.version } },
        h("span", { class: "badge semver" }, v.version),
        ...v.aliases.map((a) => h("span", { class: "badge alias" }, `@${a}`)),
        v.deprecated ? h("span", { class: "badge warn" }, "deprecated") : null,
        h("span", { class: "muted" }, `${when(v.createdAt)} · ${v.author} · ${v.bump}`),
        h("div", null, v.rationale === "" ? h("span", { class: "muted" }, "(no rationale)") : v.rationale),
        v.changes.length === 0 ? null : h("ul", null, ...v.changes.map((c) => h("li", { class: "muted" }, c))),
      ),
    ),
  );
  const events = table(
    ["When", "Action", "Version", "Alias", "By", "Reason"],
    [...history]
      .sort((a, b) => b.at - a.at)
      .map((e) =>
        h(
          "tr",
          null,
          h("td", null, when(e.at)),
          h("td", null, e.action),
          h("td", null, e.version ?? "–"),
          h("td", null, e.alias ?? "–"),
          h("td", null, e.by),
          h("td", { class: "wrap" }, e.reason ?? ""),
        ),
      ),
  );
  const lineage = table(
    ["Version", "Run", "Git commit", "Datasets", "Params", "Metrics at release"],
    versions.map((v) =>
      h(
        "tr",
        null,
        h("td", null, h("span", { class: "badge semver" }, v.version)),
        h("td", { class: "wrap" }, v.runId === null ? "–" : link(href(["run", v.runId]), v.runName ?? v.runId)),
        h("td", null, v.gitCommit === null ? "–" : h("code", { attrs: { title: v.gitCommit } }, v.gitCommit.slice(0, 10))),
        h("td", { class: "wrap" }, ...v.datasets.map((d) => h("div", null, d.name, " ", h("code", null, d.digest.slice(0, 12))))),
        h("td", { class: "wrap" }, pairs(v.params)),
        h("td", { class: "wrap" }, pairs(v.releaseMetrics)),
      ),
    ),
  );
  const runs = versions.filter((v) => v.runId !== null).map((v) => v.runId as string);
  replace(
    main,
    h("h1", null, name),
    h(
      "p",
      { class: "muted" },
      `${versions.length} version${versions.length === 1 ? "" : "s"}`,
      versions.length > 1 ? " · " : "",
      versions.length > 1
        ? link(
            href(["versions", name], {
              v: versions
                .slice(0, 2)
                .map((v) => v.version)
                .reverse()
                .join(","),
            }),
            "compare versions",
          )
        : "",
      runs.length > 1 ? " · " : "",
      runs.length > 1 ? link(href(["compare"], { runs: [...new Set(runs)].join(",") }), "compare their runs") : "",
    ),
    h("h2", null, "Releases"),
    timeline,
    h("h2", null, "Registry history"),
    events,
    h("h2", null, "Lineage"),
    lineage,
  );
  return () => {};
}

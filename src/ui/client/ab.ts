/**
 * The A/B tests pages: every test the tracker holds, and one test's analysis (per-variant
 * exposures, conversions or means, lift with its interval, fixed-horizon and always-valid
 * p-values, the SRM check and the decision) as `mltrail ab show` computes it. Metric, alpha
 * and kind live in the URL.
 *
 * @packageDocumentation
 */
import { pct, pval } from "../../ab/format.js";
import type { AbAnalysis, AbTestConfig } from "../../ab/types.js";
import type { AbTestRow } from "../api-releases.js";
import { num, when } from "../../report/html.js";
import { get, href, route, setQuery } from "./api.js";
import { h, link, replace, table } from "./dom.js";

interface AbPage {
  readonly config: AbTestConfig;
  readonly runs: readonly { id: string; name: string; status: string; start: number }[];
  readonly metrics: readonly string[];
  readonly analysis: AbAnalysis | null;
}

/** A number from the API (NaN and Infinity arrive as null). */
function n(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits);
}

/**
 * The list of A/B tests.
 * @example `await abListPage(main)`
 */
export async function abListPage(main: HTMLElement): Promise<() => void> {
  const { tests } = await get<{ tests: AbTestRow[] }>("abtests");
  replace(
    main,
    h("h1", null, "A/B tests"),
    tests.length === 0
      ? h("p", { class: "muted" }, "No A/B tests recorded (see createAbTest in the README).")
      : table(
          ["Test", "Experiment", "Variants (control first)", "Runs", "Outcomes", "Started", "Status"],
          tests.map((t) =>
            h(
              "tr",
              { attrs: { "data-ab": t.key } },
              h("td", { class: "wrap" }, link(href(["ab", t.key], { experiment: t.experiment }), t.key)),
              h("td", { class: "wrap" }, t.experiment),
              h("td", null, ...t.variants.map((v, i) => h("span", { class: "badge semver" }, `${i === 0 ? "A " : ""}${v}`))),
              h("td", { class: "num" }, t.runs),
              h("td", { class: "wrap" }, t.metrics.join(", ") || h("span", { class: "muted" }, "none yet")),
              h("td", null, when(t.started)),
              h("td", null, h("span", { class: `status ${t.running ? "RUNNING" : "FINISHED"}` }, t.running ? "RUNNING" : "ended")),
            ),
          ),
        ),
  );
  return () => {};
}

function variantRows(a: AbAnalysis): HTMLElement[] {
  return a.variants.map((v) => {
    const c = v.comparison;
    const winner = a.winner === v.index;
    return h(
      "tr",
      { class: winner ? "winner" : "", attrs: { "data-variant": v.index } },
      h("th", null, `v${v.index}${v.index === 0 ? " (A)" : ""}`, winner ? " ★" : ""),
      h("td", { class: "nowrap" }, link(href(["model", v.model]), v.model), "@", h("span", { class: "badge semver" }, v.version)),
      h("td", { class: "num" }, v.weight.toFixed(3)),
      h("td", { class: "num" }, v.exposures),
      h("td", { class: "num" }, v.n),
      h("td", { class: "num" }, a.kind === "binary" ? pct(v.mean).replace("+", "") : n(v.mean)),
      h("td", { class: "num" }, a.kind === "binary" ? "" : n(v.sd)),
      h("td", { class: "num" }, c ? `${num(c.diff)} [${num(c.ci[0])}, ${num(c.ci[1])}]` : "-"),
      h("td", { class: "num" }, c ? `${pct(c.lift)} [${pct(c.liftCi[0])}, ${pct(c.liftCi[1])}]` : "-"),
      h("td", { class: "num" }, c ? pval(c.pValue) : "-"),
      h("td", { class: "num" }, c ? pval(c.sequentialPValue) : "-"),
      h("td", { class: "num" }, c ? `[${num(c.sequentialCi[0])}, ${num(c.sequentialCi[1])}]` : "-"),
    );
  });
}

function controls(page: AbPage, q: URLSearchParams): HTMLElement {
  const go = (update: Record<string, string | undefined>): void => {
    setQuery(update);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  };
  const metric = h("select", { attrs: { "aria-label": "outcome metric" } }, ...page.metrics.map((m) => h("option", { attrs: { value: m } }, m)));
  metric.value = page.analysis?.metric ?? "";
  metric.addEventListener("change", () => go({ metric: metric.value }));
  const kind = h(
    "select",
    { attrs: { "aria-label": "kind" } },
    h("option", { attrs: { value: "" } }, "kind: inferred"),
    h("option", { attrs: { value: "binary" } }, "binary"),
    h("option", { attrs: { value: "continuous" } }, "continuous"),
  );
  kind.value = q.get("kind") ?? "";
  kind.addEventListener("change", () => go({ kind: kind.value }));
  const alpha = h("select", { attrs: { "aria-label": "alpha" } }, ...["0.01", "0.05", "0.1"].map((x) => h("option", { attrs: { value: x } }, `alpha ${x}`)));
  alpha.value = q.get("alpha") ?? "0.05";
  alpha.addEventListener("change", () => go({ alpha: alpha.value === "0.05" ? undefined : alpha.value }));
  return h("div", { class: "toolbar" }, metric, kind, alpha);
}

/**
 * One A/B test's page.
 * @example `await abTestPage(main, "churn-1.1")`
 */
export async function abTestPage(main: HTMLElement, key: string): Promise<() => void> {
  const q = route().query;
  const page = await get<AbPage>("abtest", {
    key,
    experiment: q.get("experiment") ?? undefined,
    metric: q.get("metric") ?? undefined,
    alpha: q.get("alpha") ?? undefined,
    kind: q.get("kind") ?? undefined,
  });
  const c = page.config;
  const a = page.analysis;
  const setup = h(
    "div",
    { class: "kv" },
    ...[
      ["experiment", c.experiment],
      ["coverage", String(c.coverage)],
      ["hash", `v${c.hashVersion} on "${c.hashAttribute}", seed "${c.seed}"`],
      ["variants", c.variants.map((v, i) => `v${i} ${v.model}@${v.version} (ref ${v.ref}, weight ${v.weight.toFixed(3)})`).join(" · ")],
    ].flatMap(([k, v]) => [h("span", null, k), h("span", null, v)]),
  );
  const runs = h(
    "ul",
    { class: "tree" },
    ...page.runs.map((r) => h("li", null, link(href(["run", r.id]), r.name), " ", h("span", { class: `status ${r.status}` }, r.status), ` ${when(r.start)}`)),
  );
  const analysis =
    a === null
      ? [h("p", { class: "muted" }, "No outcomes recorded yet.")]
      : [
          h(
            "p",
            { class: `decision ${a.decision === "ship B" ? "ship" : a.decision === "SRM — investigate" ? "srm" : ""}`, attrs: { "data-decision": a.decision } },
            h("strong", null, a.decision),
            " — ",
            a.reason,
          ),
          table(
            [
              "variant",
              "model",
              "weight",
              "exposed",
              "n",
              a.kind === "binary" ? "conversion" : "mean",
              a.kind === "binary" ? "" : "sd",
              `diff [${Math.round((1 - a.alpha) * 100)}% CI]`,
              "lift [CI]",
              "p",
              "p (always-valid)",
              "always-valid CI",
            ],
            variantRows(a),
          ),
          h(
            "p",
            { class: a.srm.mismatch ? "error" : "muted", attrs: { "data-srm": a.srm.mismatch ? "mismatch" : "ok" } },
            `Sample ratio: chi-square ${n(a.srm.chiSquare, 2)} (df ${a.srm.df}), p = ${pval(a.srm.pValue)} — ${a.srm.mismatch ? "MISMATCH: the split is broken, do not trust these results" : "ok"}`,
          ),
          h(
            "p",
            { class: "muted" },
            `Metric ${a.metric} (${a.kind}), alpha ${a.alpha} split over ${Math.max(1, a.variants.length - 1)} treatment(s). `,
            "p is valid for one look at a planned sample size; the always-valid p and interval (mSPRT) may be checked at any time.",
          ),
        ];
  replace(
    main,
    h("h1", null, "A/B test ", key),
    h("p", { class: "muted" }, link(href(["ab"]), "all A/B tests")),
    controls(page, q),
    ...analysis,
    h(
      "div",
      { class: "cols" },
      h("section", { class: "card" }, h("h2", null, "Setup (frozen at start)"), setup),
      h("section", { class: "card" }, h("h2", null, "Runs"), runs),
    ),
  );
  return () => {};
}

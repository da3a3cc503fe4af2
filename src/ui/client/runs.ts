/**
 * The runs page: experiment picker, MLflow filter, server-side sort, chosen columns, parent and
 * child runs grouped, and a virtualised table (only the rows in view exist in the DOM, so
 * 10,000 runs scroll smoothly). Filter, order, columns and selection live in the URL.
 *
 * @packageDocumentation
 */
import type { RunRow } from "../api.js";
import { duration, num, when } from "../../report/html.js";
import { get, href, route, setQuery } from "./api.js";
import { h, link, replace } from "./dom.js";
import { follow } from "./live.js";

/** Row height in pixels (matches `--row` in the stylesheet). */
const ROW = 30;

interface Column {
  readonly id: string;
  readonly title: string;
  readonly width: number;
  readonly order?: string;
  readonly numeric?: boolean;
  readonly value: (r: RunRow) => string;
}

/** What the runs page rendered (read by tests and the bench). */
export const runsStats = { rows: 0, renderMs: 0, domRows: 0 };

function quoteKey(key: string): string {
  return /^[A-Za-z0-9_.]+$/.test(key) ? key : `\`${key}\``;
}

function metricText(v: number | string | undefined): string {
  return v === undefined ? "" : typeof v === "number" ? num(v) : v;
}

function dynamicColumn(id: string): Column | undefined {
  const dot = id.indexOf(".");
  const kind = id.slice(0, dot);
  const key = id.slice(dot + 1);
  const order = `${kind}.${quoteKey(key)}`;
  if (kind === "metrics") return { id, title: key, width: 110, order, numeric: true, value: (r) => metricText(r.metrics[key]) };
  if (kind === "params") return { id, title: key, width: 120, order, value: (r) => r.params[key] ?? "" };
  if (kind === "tags") return { id, title: key, width: 140, order, value: (r) => r.tags[key] ?? "" };
  return undefined;
}

const FIXED: readonly Column[] = [
  { id: "name", title: "Run", width: 220, order: "attributes.run_name", value: (r) => r.name },
  { id: "status", title: "Status", width: 96, order: "attributes.status", value: (r) => (r.crashed ? "CRASHED" : r.status) },
  { id: "start", title: "Started", width: 150, order: "attributes.start_time", value: (r) => when(r.start).replace(" UTC", "") },
  { id: "duration", title: "Duration", width: 100, numeric: true, value: (r) => duration((r.end ?? Date.now()) - r.start) },
];

/** Orders rows so each child follows its parent (when the parent is in the list). */
export function groupRows(rows: readonly RunRow[]): { row: RunRow; child: boolean }[] {
  const ids = new Set(rows.map((r) => r.id));
  const kids = new Map<string, RunRow[]>();
  for (const r of rows) if (r.parent !== null && ids.has(r.parent)) kids.set(r.parent, [...(kids.get(r.parent) ?? []), r]);
  const out: { row: RunRow; child: boolean }[] = [];
  const visit = (r: RunRow, depth: number): void => {
    out.push({ row: r, child: depth > 0 });
    for (const k of kids.get(r.id) ?? []) visit(k, depth + 1);
  };
  for (const r of rows) if (r.parent === null || !ids.has(r.parent)) visit(r, 0);
  return out;
}

function defaultColumns(rows: readonly RunRow[]): string[] {
  const metrics = new Set<string>();
  const params = new Map<string, Set<string>>();
  for (const r of rows.slice(0, 500)) {
    for (const k of Object.keys(r.metrics)) metrics.add(k);
    for (const [k, v] of Object.entries(r.params)) params.set(k, (params.get(k) ?? new Set()).add(v));
  }
  const varying = [...params].filter(([, vs]) => vs.size > 1).map(([k]) => k);
  return [
    ...[...metrics]
      .sort()
      .slice(0, 6)
      .map((k) => `metrics.${k}`),
    ...varying
      .sort()
      .slice(0, 6)
      .map((k) => `params.${k}`),
  ];
}

function columnPicker(rows: readonly RunRow[], chosen: readonly string[], apply: (cols: string[]) => void): HTMLElement {
  const all = new Set<string>();
  for (const r of rows.slice(0, 2000)) {
    for (const k of Object.keys(r.metrics)) all.add(`metrics.${k}`);
    for (const k of Object.keys(r.params)) all.add(`params.${k}`);
    for (const k of Object.keys(r.tags)) all.add(`tags.${k}`);
  }
  const menu = h("div", { class: "menu", attrs: { hidden: true } });
  for (const id of [...all].sort()) {
    const box = h("input", { attrs: { type: "checkbox", value: id } });
    box.checked = chosen.includes(id);
    box.addEventListener("change", () => apply([...menu.querySelectorAll("input:checked")].map((i) => (i as HTMLInputElement).value)));
    menu.append(h("label", null, box, ` ${id}`));
  }
  const button = h("button", { attrs: { type: "button", "aria-haspopup": "true" } }, "Columns");
  button.addEventListener("click", () => menu.toggleAttribute("hidden"));
  return h("div", { class: "picker" }, button, menu);
}

/**
 * Renders the runs page into `main`; returns a function that stops its live stream.
 * @example `const stop = await runsPage(main);`
 */
export async function runsPage(main: HTMLElement): Promise<() => void> {
  const q = route().query;
  const { experiments } = await get<{ experiments: { experimentId: string; name: string }[] }>("experiments");
  const experiment = q.get("experiment") ?? experiments.find((e) => e.name !== "Default")?.name ?? experiments[0]?.name ?? "Default";
  const filter = q.get("filter") ?? "";
  const order = q.get("order") ?? "";
  const select = h("select", { attrs: { "aria-label": "experiment" } }, ...experiments.map((e) => h("option", { attrs: { value: e.name } }, e.name)));
  select.value = experiment;
  const input = h("input", {
    attrs: { type: "search", placeholder: "filter, e.g. metrics.acc > 0.9 and params.lr = '0.01'", "aria-label": "filter", spellcheck: "false" },
  });
  input.value = filter;
  const go = (update: Record<string, string | undefined>): void => {
    setQuery(update);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  };
  select.addEventListener("change", () => go({ experiment: select.value, sel: undefined }));
  input.addEventListener("keydown", (e) => void ((e as KeyboardEvent).key === "Enter" && go({ filter: input.value })));
  const status = h("span", { class: "muted" }, "loading…");
  const compare = h("button", { attrs: { type: "button", disabled: true } }, "Compare selected");
  const grouped = h("input", { attrs: { type: "checkbox", "aria-label": "group child runs" } });
  grouped.checked = q.get("group") !== "0";
  grouped.addEventListener("change", () => go({ group: grouped.checked ? undefined : "0" }));
  const grid = h("div", { class: "grid", attrs: { role: "grid", tabindex: 0, "aria-label": "runs" } });
  const toolbar = h("div", { class: "toolbar" }, select, input, h("label", null, grouped, " group children"), compare, status);
  replace(main, h("h1", null, "Runs"), toolbar, grid);

  let rows: RunRow[];
  try {
    rows = (await get<{ runs: RunRow[] }>("runs", { experiment, filter, order: order === "" ? undefined : order, limit: "50000" })).runs;
  } catch (err) {
    replace(grid, h("p", { class: "error" }, (err as Error).message));
    status.textContent = "";
    return () => {};
  }
  const t0 = performance.now();
  const chosen = q.get("cols") === null ? defaultColumns(rows) : (q.get("cols") ?? "").split(",").filter((c) => c !== "");
  toolbar.insertBefore(
    columnPicker(rows, chosen, (cols) => go({ cols: cols.join(",") })),
    compare,
  );
  const columns = [...FIXED, ...chosen.map(dynamicColumn).filter((c): c is Column => c !== undefined)];
  const template = `28px ${columns.map((c) => `${c.width}px`).join(" ")}`;
  const list = grouped.checked ? groupRows(rows) : rows.map((row) => ({ row, child: false }));
  const selected = new Set((q.get("sel") ?? "").split(",").filter((s) => s !== ""));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const syncSelection = (): void => {
    compare.disabled = selected.size < 1;
    setQuery({ sel: [...selected].join(",") });
  };
  compare.addEventListener("click", () => {
    location.hash = href(["compare"], { runs: [...selected].join(",") });
  });

  const [orderKey, orderDir] = order.split(/\s+(?=ASC$|DESC$)/i);
  const head = h("div", { class: "head", attrs: { role: "row" } }, h("div", { class: "cell static" }, ""));
  head.style.gridTemplateColumns = template;
  for (const c of columns) {
    const sorted = c.order !== undefined && orderKey === c.order;
    const cell = h(
      "div",
      {
        class: `cell${c.order === undefined ? " static" : ""}${c.numeric ? " num" : ""}`,
        attrs: { role: "columnheader", title: c.id, "aria-sort": sorted ? (orderDir?.toUpperCase() === "ASC" ? "ascending" : "descending") : undefined },
      },
      c.title,
      sorted ? (orderDir?.toUpperCase() === "ASC" ? " ▲" : " ▼") : "",
    );
    if (c.order !== undefined)
      cell.addEventListener("click", () => go({ order: `${c.order} ${sorted && orderDir?.toUpperCase() !== "ASC" ? "ASC" : "DESC"}` }));
    head.append(cell);
  }
  const body = h("div", { class: "body" });
  body.style.height = `${list.length * ROW}px`;
  replace(grid, head, body);
  let focus = 0;
  const rowEl = (i: number): HTMLElement => {
    const { row, child } = list[i] as { row: RunRow; child: boolean };
    const box = h("input", { attrs: { type: "checkbox", "aria-label": `select ${row.name}` } });
    box.checked = selected.has(row.id);
    box.addEventListener("change", () => {
      if (box.checked) selected.add(row.id);
      else selected.delete(row.id);
      el.classList.toggle("selected", box.checked);
      syncSelection();
    });
    const el = h(
      "div",
      {
        class: `row${child ? " child" : ""}${selected.has(row.id) ? " selected" : ""}${i === focus ? " focus" : ""}`,
        attrs: { role: "row", "data-run": row.id, "aria-rowindex": i + 2 },
      },
      h("div", { class: "cell" }, box),
    );
    el.style.gridTemplateColumns = template;
    el.style.top = `${i * ROW}px`;
    for (const c of columns) {
      const text = c.value(row);
      const inner =
        c.id === "name"
          ? link(href(["run", row.id]), child ? `↳ ${text}` : text)
          : c.id === "status"
            ? h("span", { class: `status ${row.status}` }, text)
            : text;
      el.append(h("div", { class: `cell${c.numeric ? " num" : ""}${c.id === "name" ? " name" : ""}`, attrs: { title: text } }, inner));
    }
    return el;
  };
  const paint = (): void => {
    const first = Math.max(0, Math.floor(grid.scrollTop / ROW) - 10);
    const last = Math.min(list.length, first + Math.ceil(grid.clientHeight / ROW) + 20);
    const els: HTMLElement[] = [];
    for (let i = first; i < last; i++) els.push(rowEl(i));
    body.replaceChildren(...els);
    runsStats.domRows = els.length;
  };
  let frame = 0;
  grid.addEventListener("scroll", () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(paint);
  });
  grid.addEventListener("keydown", (e) => {
    const key = (e as KeyboardEvent).key;
    const current = list[focus]?.row;
    if (key === "ArrowDown" || key === "j") focus = Math.min(list.length - 1, focus + 1);
    else if (key === "ArrowUp" || key === "k") focus = Math.max(0, focus - 1);
    else if (key === "Enter" && current) location.hash = href(["run", current.id]);
    else if ((key === " " || key === "x") && current) {
      if (selected.has(current.id)) selected.delete(current.id);
      else selected.add(current.id);
      syncSelection();
    } else return;
    e.preventDefault();
    const top = focus * ROW;
    if (top < grid.scrollTop + ROW) grid.scrollTop = Math.max(0, top - ROW);
    else if (top > grid.scrollTop + grid.clientHeight - 2 * ROW) grid.scrollTop = top - grid.clientHeight + 2 * ROW;
    paint();
  });
  paint();
  compare.disabled = selected.size < 1;
  status.textContent = `${rows.length.toLocaleString("en-US")} run${rows.length === 1 ? "" : "s"}`;
  runsStats.rows = rows.length;
  runsStats.renderMs = performance.now() - t0;
  document.documentElement.setAttribute("data-runs-rendered", String(rows.length));

  // Running runs: follow their status and latest values.
  const running = rows.filter((r) => r.status === "RUNNING").slice(0, 50);
  return follow(Object.fromEntries(running.map((r) => [r.id, null])), {
    status: (e) => {
      const r = byId.get(e.runId);
      if (r === undefined) return;
      const next: RunRow = { ...r, status: e.status, end: e.end, metrics: e.metrics ?? r.metrics };
      byId.set(r.id, next);
      const i = list.findIndex((x) => x.row.id === r.id);
      if (i !== -1) list[i] = { row: next, child: (list[i] as { child: boolean }).child };
      paint();
    },
  });
}

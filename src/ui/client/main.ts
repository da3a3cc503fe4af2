/**
 * The dashboard app: a hash router over the pages. Every page renders with `textContent` only
 * (see `dom.ts`); the route and its query are the state, so a URL can be shared.
 *
 * @packageDocumentation
 */
import { abListPage, abTestPage } from "./ab.js";
import { route } from "./api.js";
import { chartStats, MetricChart } from "./chart.js";
import { comparePage } from "./compare.js";
import { h, replace } from "./dom.js";
import { modelPage, modelsPage } from "./models.js";
import { runPage } from "./run.js";
import { runsPage, runsStats } from "./runs.js";
import { versionsPage } from "./versions.js";

const main = document.getElementById("app") as HTMLElement;
let stop: () => void = () => {};
let current = "";

// Read by the browser tests and bench/ui.mjs (which draws a 1,000,000-point curve with MetricChart).
(window as unknown as { __mltrailUi: unknown }).__mltrailUi = { runs: runsStats, charts: chartStats, MetricChart };

/** Which header link a page belongs to. */
const NAV: Readonly<Record<string, string>> = { runs: "runs", run: "runs", compare: "runs", models: "models", model: "models", versions: "models", ab: "ab" };

async function render(): Promise<void> {
  const { path } = route();
  const key = location.hash;
  if (key === current) return;
  current = key;
  stop();
  stop = () => {};
  const [page = "runs", arg = ""] = path;
  for (const a of document.querySelectorAll("[data-nav]")) a.classList.toggle("active", a.getAttribute("data-nav") === (NAV[page] ?? ""));
  document.documentElement.removeAttribute("data-page");
  document.documentElement.removeAttribute("data-runs-rendered");
  try {
    if (page === "run") stop = await runPage(main, arg);
    else if (page === "models") stop = await modelsPage(main);
    else if (page === "model") stop = await modelPage(main, arg);
    else if (page === "compare") stop = await comparePage(main);
    else if (page === "versions") stop = await versionsPage(main, arg);
    else if (page === "ab") stop = arg === "" ? await abListPage(main) : await abTestPage(main, arg);
    else stop = await runsPage(main);
    document.title = `${main.querySelector("h1")?.textContent ?? "mltrail"} · mltrail`;
  } catch (err) {
    replace(main, h("h1", null, "Something went wrong"), h("p", { class: "error" }, (err as Error).message));
  }
  document.documentElement.setAttribute("data-page", page);
}

window.addEventListener("hashchange", () => {
  current = "";
  void render();
});
void render();

/**
 * uPlot's script and stylesheet, read from the installed `uplot` package so the report can
 * inline them (the file then works offline, opened from disk).
 *
 * @packageDocumentation
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/**
 * The chart library's code and CSS, to inline in a report.
 * @example `const { js, css } = loadChartAssets();`
 */
export interface ChartAssets {
  /** uPlot's IIFE build (defines `window.uPlot`). */
  readonly js: string;
  /** uPlot's stylesheet. */
  readonly css: string;
}

let cached: ChartAssets | undefined;

/** A `require` that works in the ESM build (import.meta.url) and the CJS build (__filename). */
function localRequire(): NodeJS.Require {
  // ESM: import.meta.url. The CJS build (esbuild) empties `import.meta`, and there `__filename` is defined.
  const url: unknown = import.meta.url;
  return createRequire(typeof url === "string" ? url : __filename);
}

/**
 * Reads uPlot's `dist/uPlot.iife.min.js` and `dist/uPlot.min.css` once (cached).
 * @example `renderReport(data, loadChartAssets())`
 */
export function loadChartAssets(): ChartAssets {
  if (cached !== undefined) return cached;
  const require = localRequire();
  const js = readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8");
  const css = readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8");
  cached = { js, css };
  return cached;
}

import { readFileSync } from "node:fs";
import * as path from "node:path";
import { defineConfig } from "tsup";
import type { Plugin } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };
const define = { __MLTRAIL_VERSION__: JSON.stringify(pkg.version) };

/**
 * Subpath entries (mltrail/tfjs, mltrail/ab, mltrail/explain) import the SDK as the package itself, never a bundled copy:
 * one set of classes, so `instanceof ValidationError` holds across entries.
 */
const sdkAsPackage: Plugin = {
  name: "sdk-as-package",
  setup(build) {
    const subpathEntry = /[\\/]src[\\/](integrations|ab|explain)[\\/]/;
    build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) => (subpathEntry.test(args.importer) ? { path: "mltrail", external: true } : undefined));
    // The TF.js files shared with the browser build import the SDK's modules, not its entry: the same classes here.
    const integrations = /[\\/]src[\\/]integrations[\\/]/;
    build.onResolve({ filter: /^\.\.\/(errors|training\/logger)\.js$/ }, (args) =>
      integrations.test(args.importer) ? { path: "mltrail", external: true } : undefined,
    );
  },
};

const errorsModule = path.resolve("src/errors.ts");

/**
 * The browser mltrail/tfjs takes the error classes from mltrail/browser (one set of classes in
 * a page, so `instanceof ValidationError` holds across the two entries); the rest it needs
 * (the training logger, the fetch transport) is bundled in.
 */
const browserSdkAsPackage: Plugin = {
  name: "browser-sdk-as-package",
  setup(build) {
    build.onResolve({ filter: /(^|\/)errors\.js$/ }, (args) =>
      path.resolve(args.resolveDir, args.path.replace(/\.js$/, ".ts")) === errorsModule ? { path: "mltrail/browser", external: true } : undefined,
    );
  },
};

/** What every entry shares. */
// keepNames: error classes with static members would otherwise be renamed (`_StateError`), and
// their `name` is part of what users see and match on.
const common = { target: "node20", platform: "node", sourcemap: true, clean: false, splitting: false, keepNames: true, define } as const;

/** What the browser entries share. */
const browser = {
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: true,
  dts: true,
  clean: false,
  splitting: false,
  keepNames: true,
  define,
} as const;

export default defineConfig([
  { ...common, entry: { index: "src/index.ts" }, format: ["esm", "cjs"], dts: true },
  {
    ...common,
    entry: { tfjs: "src/integrations/tfjs.ts" },
    format: ["esm", "cjs"],
    dts: true,
    external: ["mltrail", "@tensorflow/tfjs"],
    esbuildPlugins: [sdkAsPackage],
  },
  {
    ...common,
    entry: { ab: "src/ab/index.ts" },
    format: ["esm", "cjs"],
    dts: true,
    external: ["mltrail"],
    esbuildPlugins: [sdkAsPackage],
  },
  {
    ...common,
    entry: { explain: "src/explain/index.ts" },
    format: ["esm", "cjs"],
    dts: true,
    external: ["mltrail", "@tensorflow/tfjs"],
    esbuildPlugins: [sdkAsPackage],
  },
  // The CLI in chunks: main.ts imports each command's module (and the SDK) on demand, so a
  // command loads only what it runs (`mltrail runs list` not the report, dashboard or progress bars).
  {
    ...common,
    entry: { "cli/main": "src/cli/main.ts" },
    format: ["esm"],
    splitting: true,
    // Chunks next to main.js: what finds files relative to its module (the series worker, the dashboard's app) looks from dist/cli.
    esbuildOptions(options) {
      options.chunkNames = "cli/[name]-[hash]";
    },
  },
  // Builds a long run's point files off the writer's thread (src/store/series/background.ts finds it next to the bundle).
  { ...common, entry: { "series-worker": "src/store/series/series-worker.ts" }, format: ["esm"] },
  // Encodes and writes a steady loop's journal commits off its thread (src/log/write-behind.ts finds it next to the bundle).
  { ...common, entry: { "writer-thread": "src/log/writer-thread.ts" }, format: ["esm"] },
  // The browser build (mltrail/browser, and mltrail/tfjs under the `browser` condition): ESM,
  // minified, every dependency bundled in so a page can load it with an import map and no
  // bundler; TF.js stays the page's own. No Node built-in may reach it (test/e2e/browser-bundle.test.ts).
  {
    ...browser,
    entry: { "browser/index": "src/browser/index.ts" },
    noExternal: [/.*/],
  },
  {
    ...browser,
    entry: { "browser/tfjs": "src/integrations/tfjs-browser.ts" },
    external: ["mltrail/browser", "@tensorflow/tfjs"],
    noExternal: [/^(?!mltrail\/browser$|@tensorflow\/tfjs$)/],
    esbuildPlugins: [browserSdkAsPackage],
  },
  // The dashboard's browser app (mltrail ui), served as /app.js: one script, no inline code.
  {
    entry: { "ui/app": "src/ui/client/main.ts" },
    format: ["iife"],
    platform: "browser",
    target: "es2020",
    minify: true,
    sourcemap: false,
    clean: false,
    splitting: false,
  },
]);

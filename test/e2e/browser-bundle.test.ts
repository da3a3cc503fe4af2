/**
 * The browser build holds no Node: its entries (mltrail/browser, the browser mltrail/tfjs) are
 * bundled here with esbuild for `platform: "browser"`, and any import of a Node built-in
 * (`node:*` or a bare `fs`, `path`, …) fails the test, naming the chain's last importer. The
 * built files of `npx tsup` (dist/browser/) are checked the same way, and mltrail/browser's
 * size is held to the budget: at most 60 kB minified and gzipped, TF.js not counted.
 */
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Plugin } from "esbuild";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const BUDGET_BYTES = 60 * 1024;
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Bundles `entry` for the browser; returns the minified code and every Node import met, as `specifier <- importer`. */
async function bundle(entry: string, external: string[] = []): Promise<{ code: string; nodeImports: string[] }> {
  const nodeImports: string[] = [];
  const spy: Plugin = {
    name: "node-imports",
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (builtins.has(args.path) || builtins.has(args.path.split("/")[0] ?? "")) {
          nodeImports.push(`${args.path} <- ${path.relative(root, args.importer)}`);
          return { path: args.path, external: true };
        }
        return undefined;
      });
    },
  };
  const result = await build({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    write: false,
    platform: "browser",
    format: "esm",
    target: "es2022",
    minify: true,
    external,
    plugins: [spy],
    logLevel: "silent",
    define: { __MLTRAIL_VERSION__: '"0.0.0"' },
  });
  return { code: result.outputFiles[0]?.text ?? "", nodeImports };
}

/** Import specifiers of a built ESM file (static `from "x"`, `import "x"`, dynamic `import("x")`), and any `require(`. */
function specifiersOf(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g)) found.add(m[1] as string);
  for (const m of code.matchAll(/\brequire\s*\(\s*["']([^"']+)["']/g)) found.add(`require:${m[1] as string}`);
  return [...found];
}

describe("the browser build has no Node built-ins", () => {
  it("mltrail/browser bundles for the browser with no Node import, within 60 kB min+gzip", async () => {
    const { code, nodeImports } = await bundle("src/browser/index.ts");
    expect(nodeImports).toEqual([]);
    const gz = gzipSync(code, { level: 9 }).length;
    process.stdout.write(
      `[browser-bundle] mltrail/browser: ${(code.length / 1024).toFixed(1)} kB minified, ${(gz / 1024).toFixed(1)} kB min+gzip (budget 60 kB)\n`,
    );
    expect(gz).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it("the browser mltrail/tfjs bundles with no Node import (TF.js and mltrail/browser left to the page)", async () => {
    const { code, nodeImports } = await bundle("src/integrations/tfjs-browser.ts", ["@tensorflow/tfjs", "mltrail/browser"]);
    expect(nodeImports).toEqual([]);
    process.stdout.write(`[browser-bundle] mltrail/tfjs (browser): ${(gzipSync(code, { level: 9 }).length / 1024).toFixed(1)} kB min+gzip\n`);
  });

  it("a Node import is caught: the Node entry of mltrail/tfjs fails the same check", async () => {
    const { nodeImports } = await bundle("src/integrations/tfjs.ts", ["@tensorflow/tfjs"]);
    expect(nodeImports.some((i) => i.startsWith("node:fs"))).toBe(true);
  });

  it("the built dist/browser files import only TF.js and mltrail/browser, and the package resolves to them in browsers", () => {
    const dist = path.join(root, "dist", "browser");
    const index = fs.readFileSync(path.join(dist, "index.js"), "utf8");
    const tfjs = fs.readFileSync(path.join(dist, "tfjs.js"), "utf8");
    expect(specifiersOf(index)).toEqual([]);
    expect(specifiersOf(tfjs).sort()).toEqual(["@tensorflow/tfjs", "mltrail/browser"]);
    const gz = gzipSync(index, { level: 9 }).length;
    process.stdout.write(`[browser-bundle] dist/browser/index.js: ${(gz / 1024).toFixed(1)} kB min+gzip\n`);
    expect(gz).toBeLessThanOrEqual(BUDGET_BYTES);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { exports: Record<string, Record<string, { default: string }>> };
    expect(pkg.exports["./browser"]?.["default"]).toBe("./dist/browser/index.js");
    expect(pkg.exports["."]?.["browser"]?.default).toBe("./dist/browser/index.js");
    expect(pkg.exports["./tfjs"]?.["browser"]?.default).toBe("./dist/browser/tfjs.js");
    // The browser condition comes first: resolvers take the first matching condition.
    expect(Object.keys(pkg.exports["."] ?? {})[0]).toBe("browser");
    expect(Object.keys(pkg.exports["./tfjs"] ?? {})[0]).toBe("browser");
  });
});

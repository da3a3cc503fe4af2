import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "cli/main": "src/cli/main.ts" },
  format: ["esm", "cjs"],
  dts: { entry: { index: "src/index.ts" } },
  target: "node20",
  platform: "node",
  sourcemap: true,
  clean: true,
  splitting: false,
  shims: false,
});

/**
 * mltrail's layering, checked by `npm run lint:deps` (dependency-cruiser) in CI. The folders and
 * what each may import are described in docs/architecture.md; these rules make them binding.
 * Type-only imports count: a cycle through types is still a cycle.
 */
const { builtinModules } = require("node:module");

/** Node's built-in modules, with or without `node:`, and the packages only Node can run. */
const NODE_ONLY = `^(node:|(${builtinModules.filter((m) => !m.includes("/")).join("|")})(/|$)|node_modules/(axios|commander|cli-progress|picocolors)/)`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycles, type-only ones included.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "lower-layers-never-import-remote",
      severity: "error",
      comment: "log/, store/, registry/ and model/ know nothing of servers.",
      from: { path: "^src/(log|store|registry|model)/" },
      to: { path: "^src/remote/" },
    },
    {
      name: "model-is-a-leaf",
      severity: "error",
      comment: "Entity types and validators import only errors.",
      from: { path: "^src/model/" },
      to: { path: "^src/", pathNot: ["^src/model/", "^src/errors\\.ts$"] },
    },
    {
      name: "registry-rules-are-pure",
      severity: "error",
      comment: "The semver rules import only the model, errors, pure internal helpers and each other.",
      from: { path: "^src/registry/" },
      to: { path: "^src/", pathNot: ["^src/registry/", "^src/model/", "^src/errors\\.ts$", "^src/internal/defined\\.ts$"] },
    },
    {
      name: "nothing-imports-the-cli",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/cli/" },
      to: { path: "^src/cli/" },
    },
    {
      name: "nothing-imports-integrations",
      severity: "error",
      comment: "mltrail/tfjs is its own entry; the core never loads it.",
      from: { path: "^src/", pathNot: "^src/integrations/" },
      to: { path: "^src/integrations/" },
    },
    {
      name: "nothing-imports-explain",
      severity: "error",
      comment: "mltrail/explain is its own entry; the core never loads it.",
      from: { path: "^src/", pathNot: "^src/explain/" },
      to: { path: "^src/explain/" },
    },
    {
      name: "cli-uses-the-public-api",
      severity: "error",
      comment: "The command is a user of the package: it imports the public entries only.",
      from: { path: "^src/cli/" },
      to: { path: "^src/", pathNot: ["^src/cli/", "^src/index\\.ts$", "^src/ab/index\\.ts$", "^src/report/index\\.ts$", "^src/ui/index\\.ts$", "^src/internal/"] },
    },
    {
      name: "report-loads-lazily",
      severity: "error",
      comment: "The core reaches report/ only through tracker.report()'s dynamic import.",
      from: { path: "^src/", pathNot: ["^src/report/", "^src/ui/", "^src/cli/", "^src/index\\.ts$"] },
      to: { path: "^src/report/", dependencyTypesNot: ["dynamic-import", "type-only"] },
    },
    {
      name: "targets-read-through-the-public-read-api",
      severity: "error",
      comment: "targets/ (export of existing runs) reads runs through tracker-api.ts and the entity types only.",
      from: { path: "^src/targets/" },
      to: { path: "^src/", pathNot: ["^src/targets/", "^src/tracker-api\\.ts$", "^src/model/types\\.ts$", "^src/errors\\.ts$"], dependencyTypesNot: ["type-only"] },
    },
    {
      name: "features-use-the-narrow-api",
      severity: "error",
      comment: "compare/, report/ and ab/ use tracker-api.ts, never the Tracker class or the entry (the mltrail/ab entry re-exports the root's A/B API on purpose).",
      from: { path: "^src/(compare|report|ab)/", pathNot: "^src/ab/index\\.ts$" },
      to: { path: "^src/(index|tracker)\\.ts$|^src/tracker/" },
    },
    {
      name: "tracker-parts-sit-below-the-class",
      severity: "error",
      comment: "src/tracker/ holds the parts Tracker delegates to; they never reach back to the class or the entry.",
      from: { path: "^src/tracker/" },
      to: { path: "^src/(index|tracker)\\.ts$" },
    },
    {
      name: "media-writes-through-artifacts",
      severity: "error",
      comment: "media/ (images, tables, figures) stores files only through artifacts/, the path that replicates them.",
      from: { path: "^src/media/" },
      to: { path: "^src/", pathNot: ["^src/media/", "^src/artifacts/", "^src/log/crc\\.ts$", "^src/model/", "^src/errors\\.ts$", "^src/internal/"] },
    },
    {
      name: "system-metrics-are-self-contained",
      severity: "error",
      comment: "system-metrics/ reads the machine and hands numbers to a sink: it knows nothing of runs, stores or servers.",
      from: { path: "^src/system-metrics/" },
      to: { path: "^src/", pathNot: ["^src/system-metrics/"] },
    },
    {
      name: "console-capture-stores-through-artifacts",
      severity: "error",
      comment: "console-capture/ writes only through artifacts/ (so the output replicates) and masks with capture/'s argv rules.",
      from: { path: "^src/console-capture/" },
      to: { path: "^src/", pathNot: ["^src/console-capture/", "^src/artifacts/", "^src/capture/masking\\.ts$", "^src/internal/"] },
    },
    {
      name: "mlflow-only-through-its-backend",
      severity: "error",
      comment:
        "The MLflow protocol (REST client, HTTP transport, artifact proxy, registry on tags) is reached only through src/backends/mlflow/: the tracker, runs and the replicator speak the backend interface (src/backends/types.ts). options.ts, options/ and the entry use the HTTP auth helpers and type.",
      from: { path: "^src/", pathNot: ["^src/backends/mlflow/", "^src/browser/", "^src/(options|index)\\.ts$", "^src/options/", "^src/remote/(mlflow/|http\\.ts$|artifacts\\.ts$|artifact-sync\\.ts$|registry\\.ts$|registry-audit\\.ts$|history\\.ts$|errors\\.ts$)"] },
      to: { path: "^src/remote/(mlflow/|http\\.ts$|artifacts\\.ts$|artifact-sync\\.ts$|registry\\.ts$|registry-audit\\.ts$|history\\.ts$)" },
    },
    {
      name: "browser-build-is-node-free",
      severity: "error",
      comment:
        "What the browser build bundles (mltrail/browser in src/browser, the browser mltrail/tfjs) runs in web pages: nothing it imports, directly or through other modules, type-only imports included (they would leak into its .d.ts), may reach a Node built-in or a Node-only package. It is the browser's counterpart of src/backends/mlflow/ and src/log/ (IndexedDB run log, fetch transport), so it may use the MLflow protocol modules that are node-free. test/e2e/browser-bundle.test.ts checks the built files too.",
      from: { path: "^src/(browser/|integrations/tfjs-browser\\.ts$)" },
      to: { reachable: true, path: NODE_ONLY },
    },
    {
      name: "browser-build-stays-out-of-the-node-sdk",
      severity: "error",
      comment: "Only the browser entry's own modules import src/browser; the Node SDK never loads it.",
      from: { path: "^src/", pathNot: "^src/browser/" },
      to: { path: "^src/browser/" },
    },
    {
      name: "http-auth-helpers-only",
      severity: "error",
      comment: "Outside the MLflow backend, only options.ts and options/ (auth from env, sealing) and the entry (the HttpAuth type) touch the transport module.",
      from: { path: "^src/(options\\.ts$|options/|index\\.ts$)" },
      to: { path: "^src/remote/(mlflow/|artifacts\\.ts$|artifact-sync\\.ts$|registry\\.ts$|registry-audit\\.ts$)" },
    },
    {
      name: "backend-interface-is-types-only",
      severity: "error",
      comment: "src/backends/types.ts is the seam: it declares interfaces and imports nothing but types.",
      from: { path: "^src/backends/types\\.ts$" },
      to: { path: "^src/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "backends-do-not-know-each-other",
      severity: "error",
      comment: "One folder or file per backend under src/backends/; they share only the interface, and only the factory (index.ts) knows them all.",
      from: { path: "^src/backends/(mlflow)/" },
      to: { path: "^src/backends/", pathNot: ["^src/backends/mlflow/", "^src/backends/types\\.ts$"] },
    },
    {
      name: "ui-reads-through-the-narrow-api",
      comment:
        "ui/ (the mltrail ui dashboard) reads through tracker-api.ts like report/: never the Tracker class, the entry (nor mltrail/ab's, which re-exports it), the stores or the remote client.",
      severity: "error",
      from: { path: "^src/ui/" },
      to: { path: "^src/(index|tracker|run|open-run|queries|ab/index)\\.ts$|^src/(tracker|store|log|remote|backends|registry/(?!store\\.ts$))", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "nothing-imports-the-ui",
      severity: "error",
      comment: "Only the command loads the dashboard.",
      from: { path: "^src/", pathNot: ["^src/ui/", "^src/cli/"] },
      to: { path: "^src/ui/" },
    },
    {
      name: "no-orphans",
      severity: "error",
      comment: "A module nothing imports is dead code (entries and declaration files aside).",
      from: { orphan: true, path: "^src/", pathNot: ["^src/index\\.ts$", "^src/integrations/tfjs\\.ts$", "^src/integrations/tfjs-browser\\.ts$", "^src/cli/main\\.ts$", "^src/ab/index\\.ts$", "^src/explain/index\\.ts$", "^src/ui/client/main\\.ts$", "^src/browser/index\\.ts$", "\\.d\\.ts$"] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
    exclude: { path: "^src/.*\\.md$" },
  },
};

/**
 * What the browser storage tests share: the browser build bundled into one script that sets
 * `window.mltrail`, a loopback page server for it (a page origin with IndexedDB and Web Locks:
 * `http://127.0.0.1` is a secure context), an MLflow server that allows that origin
 * (`MLFLOW_SERVER_CORS_ALLOWED_ORIGINS`), and headless Chromium.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { build, type Plugin } from "esbuild";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { loadMlflowServerModule, type MlflowServerModule } from "../setup/mlflow.global.js";
import { CHROMIUM_ARGS, executablePath, haveChromium } from "./chromium.js";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";

const root = path.resolve(import.meta.dirname, "../..");

/** Fails the bundle on any Node built-in, so a page never gets one. */
const noNodeBuiltins: Plugin = {
  name: "no-node-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ errors: [{ text: `${args.path} imported by ${path.relative(root, args.importer)}` }] }));
  },
};

/** The browser build as one IIFE script defining `window.mltrail`. */
export async function bundleBrowserSdk(): Promise<string> {
  const out = await build({
    entryPoints: [path.join(root, "src/browser/index.ts")],
    bundle: true,
    write: false,
    format: "iife",
    globalName: "mltrail",
    platform: "browser",
    target: "es2022",
    keepNames: true,
    plugins: [noNodeBuiltins],
    logLevel: "silent",
  });
  return out.outputFiles[0]?.text ?? "";
}

/** A loopback server of one page (`/`) and the SDK script (`/mltrail.js`). */
export interface PageServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  close(): Promise<void>;
}

/** Serves the bundle and an empty page that loads it. */
export async function startPageServer(script: string): Promise<PageServer> {
  const html = '<!doctype html><meta charset="utf-8"><title>mltrail store test</title><script src="/mltrail.js"></script><body>ok</body>';
  const server = http.createServer((req, res) => {
    const body = req.url === "/mltrail.js" ? script : html;
    res.writeHead(200, { "content-type": req.url === "/mltrail.js" ? "text/javascript" : "text/html", "cache-control": "no-store" });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A running MLflow server. */
export type MlflowServerHandle = Awaited<ReturnType<MlflowServerModule["startMlflowServer"]>>;

/** A fresh MLflow server that allows `origin` (cross-origin state-changing calls included). */
export async function startCorsMlflow(origin: string): Promise<MlflowServerHandle> {
  const mod = await loadMlflowServerModule();
  // The script's start options take the server's extra environment (see scripts/mlflow-server.mjs).
  const start = mod.startMlflowServer as (opts: { env: Record<string, string> }) => Promise<MlflowServerHandle>;
  return start({ env: { MLFLOW_SERVER_CORS_ALLOWED_ORIGINS: origin } });
}

/** Headless Chromium (Debian's). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
}

/** One MLflow REST call from the test (no Origin header). */
export async function mlflowJson<T>(baseUrl: string, method: "GET" | "POST", api: string, body?: unknown): Promise<T> {
  const url = `${baseUrl}/api/2.0/mlflow/${api}`;
  const res = await fetch(url, {
    method,
    signal: AbortSignal.timeout(30_000),
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${api}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** A run as MLflow's REST API shows it. */
export interface ServerRun {
  readonly info: { readonly run_id: string; readonly status: string; readonly run_name: string };
  readonly data: { readonly params?: { key: string; value: string }[]; readonly tags?: { key: string; value: string }[] };
}

/** The runs on the server carrying `mltrail.runKey = rk`. */
export async function runsByKey(baseUrl: string, experimentName: string, rk: string): Promise<ServerRun[]> {
  const exp = await mlflowJson<{ experiment: { experiment_id: string } }>(
    baseUrl,
    "GET",
    `experiments/get-by-name?experiment_name=${encodeURIComponent(experimentName)}`,
  );
  const found = await mlflowJson<{ runs?: ServerRun[] }>(baseUrl, "POST", "runs/search", {
    experiment_ids: [exp.experiment.experiment_id],
    filter: `tags.\`mltrail.runKey\` = '${rk}'`,
    run_view_type: "ALL",
  });
  return found.runs ?? [];
}

/** Every point of a metric on the server. */
export async function metricHistory(baseUrl: string, runId: string, key: string): Promise<{ step: number; value: number }[]> {
  const out = await mlflowJson<{ metrics?: { step: string | number; value: number }[] }>(
    baseUrl,
    "GET",
    `metrics/get-history?run_id=${runId}&metric_key=${encodeURIComponent(key)}&max_results=100000`,
  );
  return (out.metrics ?? []).map((m) => ({ step: Number(m.step), value: m.value }));
}

/**
 * Without Chromium: a loud message (the suite is skipped), or, with env CI set, a failure.
 * @param what - the suite, e.g. "the browser tab tests"
 */
export function requireChromium(what: string): void {
  const missing = `Chromium was not found at ${executablePath} (set CHROMIUM_PATH, or apt-get install chromium): ${what}`;
  if (!haveChromium && process.env["CI"]) throw new Error(`CI is set and ${missing} cannot run.`);
  if (!haveChromium) process.stderr.write(`\n${"!".repeat(78)}\nSKIPPED: ${missing} are skipped.\n${"!".repeat(78)}\n`);
}

/** Everything a browser store suite runs against. */
export interface StoreRig {
  readonly browser: Browser;
  readonly pages: PageServer;
  readonly mlflow: MlflowServerHandle;
  /** A fault proxy in front of `mlflow` (the server "unreachable" on demand). */
  readonly proxy: FaultProxy;
  close(): Promise<void>;
}

/** Page server, MLflow allowing its origin, a fault proxy in front of it, Chromium. */
export async function startStoreRig(): Promise<StoreRig> {
  const pages = await startPageServer(await bundleBrowserSdk());
  const mlflow = await startCorsMlflow(pages.origin);
  const proxy = await startFaultProxy(mlflow.url);
  const browser = await launchChromium();
  return {
    browser,
    pages,
    mlflow,
    proxy,
    close: async () => {
      await browser.close();
      await proxy.close();
      await mlflow.stop();
      await pages.close();
    },
  };
}

/** A new tab of `context` on the test page, once `window.mltrail` is there. */
export async function openSdkPage(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (e) => process.stderr.write(`[page] ${e.message}\n`));
  await page.goto(origin);
  await page.waitForFunction(() => typeof (globalThis as { mltrail?: unknown }).mltrail === "object");
  return page;
}

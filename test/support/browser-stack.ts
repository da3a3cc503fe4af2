/**
 * The stack of the browser end-to-end tests: a static server for the project folder (the page
 * loads the built dist/browser/ files and TF.js from node_modules through an import map), a
 * real MLflow 3.18 server started with `--cors-allowed-origins <the page's origin>` on a SQLite
 * file of its own (so it can be stopped and started again with its data), and headless
 * Chromium. The page's origin is `http://app.mltrail.test:<port>`: a name Chromium maps to
 * 127.0.0.1 itself, so the origin is not one of the localhost origins MLflow allows by default
 * and only the CORS flag lets the page in; Chromium treats it as secure (Web Locks need that).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { loadMlflowServerModule } from "../setup/mlflow.global.js";
import { CHROMIUM_ARGS, executablePath } from "./chromium.js";
import { type StaticServer, startStaticServer } from "./static-server.js";

/** The project folder (served as the page's site root). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The host name the page is served under. */
export const PAGE_HOST = "app.mltrail.test";

/** A running MLflow of the stack. */
export interface StackMlflow {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Stops the server; its SQLite file stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and SQLite file. */
  start(): Promise<void>;
  /** The server's log so far (for failure messages). */
  log(): string;
}

/** The stack. */
export interface BrowserStack {
  /** The page's origin, e.g. `http://app.mltrail.test:40123`. */
  readonly origin: string;
  /** The MLflow server. */
  readonly mlflow: StackMlflow;
  /** The static server (its request log). */
  readonly site: StaticServer;
  /** The browser. */
  readonly browser: Browser;
  /** Opens `pagePath` (e.g. `/test/fixtures/browser/harness.html`) in `context` (a new one when absent); resolves once the page set `data-ready`. */
  open(pagePath: string, context?: BrowserContext): Promise<Page>;
  /** Closes the browser, stops both servers and removes the data. */
  close(): Promise<void>;
}

interface MlflowHandle {
  readonly url: string;
  readonly port: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

/** Starts the stack; `log` gets the servers' progress lines. */
export async function startBrowserStack(log: (line: string) => void = (line) => process.stderr.write(`[browser-stack] ${line}\n`)): Promise<BrowserStack> {
  const site = await startStaticServer(projectRoot);
  const origin = `http://${PAGE_HOST}:${site.port}`;
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-browser-e2e-"));
  const mod = (await loadMlflowServerModule()) as unknown as {
    startMlflowServer(o: { corsAllowedOrigins: readonly string[]; backendStoreUri: string; port?: number; log: (m: string) => void }): Promise<MlflowHandle>;
  };
  const backendStoreUri = `sqlite:///${path.join(data, "mlflow.db")}`;
  let server: MlflowHandle | undefined = await mod.startMlflowServer({ corsAllowedOrigins: [origin], backendStoreUri, log });
  const port = server.port;
  let lastLog = "";
  const mlflow: StackMlflow = {
    url: server.url,
    async stop() {
      if (server === undefined) return;
      lastLog = fs.existsSync(server.logFile) ? fs.readFileSync(server.logFile, "utf8") : "";
      await server.stop();
      server = undefined;
    },
    async start() {
      if (server !== undefined) return;
      server = await mod.startMlflowServer({ corsAllowedOrigins: [origin], backendStoreUri, port, log });
    },
    log: () => (server !== undefined && fs.existsSync(server.logFile) ? fs.readFileSync(server.logFile, "utf8") : lastLog),
  };
  const browser = await chromium.launch({
    executablePath,
    args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP ${PAGE_HOST} 127.0.0.1`, `--unsafely-treat-insecure-origin-as-secure=${origin}`],
  });
  return {
    origin,
    mlflow,
    site,
    browser,
    async open(pagePath, context) {
      const ctx = context ?? (await browser.newContext());
      const page = await ctx.newPage();
      page.on("pageerror", (e) => log(`page error: ${e.message}`));
      await page.goto(`${origin}${pagePath}`);
      await page.waitForSelector("html[data-ready]", { timeout: 120_000 });
      return page;
    },
    async close() {
      await browser.close().catch(() => undefined);
      await server?.stop();
      await site.close();
      fs.rmSync(data, { recursive: true, force: true });
    },
  };
}

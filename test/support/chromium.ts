/**
 * Headless Chromium for the browser tests: Debian's /usr/bin/chromium (or env CHROMIUM_PATH)
 * driven by playwright-core, with the flags a container needs.
 */
import * as fs from "node:fs";

/** Where Chromium is. */
export const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

/** True when it is there. */
export const haveChromium = fs.existsSync(executablePath);

/** Flags for a quiet headless browser in a container. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

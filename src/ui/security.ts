/**
 * The dashboard's request guards: loopback detection, the access token, the Host check
 * against DNS rebinding, and the response headers every answer carries (a strict CSP with no
 * inline script).
 *
 * @packageDocumentation
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";

/** Name of the cookie holding the access token once a `?token=` link was opened. */
export const TOKEN_COOKIE = "mltrail_ui_token";

/**
 * True when `host` names the loopback interface only (`127.0.0.0/8`, `::1`, `localhost`).
 * @example `isLoopbackHost("127.0.0.1") // true`
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}

/**
 * A fresh random access token (32 bytes, base64url).
 * @example `newToken().length // 43`
 */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Constant-time comparison of a presented token with the expected one. */
function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === TOKEN_COOKIE) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * Where the request presented the token: `"query"` (`?token=`, the link printed at start),
 * `"header"` (`Authorization: Bearer`), `"cookie"`, or `undefined` when it did not (or
 * presented a wrong one).
 * @example `tokenOf(req, url, token) === undefined && deny(res)`
 */
export function tokenOf(req: IncomingMessage, url: URL, expected: string): "query" | "header" | "cookie" | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ") && sameToken(auth.slice(7).trim(), expected)) return "header";
  if (sameToken(url.searchParams.get("token") ?? undefined, expected)) return "query";
  if (sameToken(cookieToken(req), expected)) return "cookie";
  return undefined;
}

/**
 * Sets the token cookie (HttpOnly, SameSite=Strict), so images and the live stream carry it.
 * @example `rememberToken(res, token)`
 */
export function rememberToken(res: ServerResponse, token: string): void {
  res.setHeader("Set-Cookie", `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
}

/**
 * True when the `Host` header names a loopback host: a page on another origin that
 * rebinds its DNS name to 127.0.0.1 sends its own name and is refused.
 * @example `hostAllowed(req) || deny(res)`
 */
export function loopbackHostHeader(req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (host === undefined) return false;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : (host.split(":")[0] ?? "");
  return isLoopbackHost(name);
}

/**
 * Content-Security-Policy of every page and answer: scripts, styles and connections from the
 * dashboard's own origin only, no inline script or style attribute, no framing.
 * @example `res.setHeader("Content-Security-Policy", CSP)`
 */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Sets the security headers every response carries.
 * @example `secureHeaders(res)`
 */
export function secureHeaders(res: ServerResponse): void {
  res.setHeader("Content-Security-Policy", CSP);
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
  res.setHeader("Cache-Control", "no-store");
}

/**
 * The dashboard's guards, over real HTTP against `startUi` on a seeded store: artifact paths
 * that try to leave the store (dot segments, encodings, absolute paths, backslashes, a
 * symlink planted in the store), a non-loopback bind without the token, a rebinding Host
 * header, writes, and a tag holding `<script>` (never in the page, only JSON-encoded data).
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker, ValidationError } from "../../src/index.js";
import { startUi, type UiServer } from "../../src/ui/index.js";
import { seedStore, type Seeded } from "../support/ui.js";

let dir: string;
let store: string;
let seeded: Seeded;
let tracker: Tracker;
let ui: UiServer;
const SECRET = "top-secret-outside-the-store";

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A raw request (the path is sent exactly as given, no normalisation). */
function request(port: number, rawPath: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: rawPath, method: options.method ?? "GET", headers: options.headers ?? {} }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => void (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function findFile(root: string, name: string): string {
  for (const entry of fs.readdirSync(root, { withFileTypes: true, recursive: true }))
    if (entry.isFile() && entry.name === name) return path.join(entry.parentPath, entry.name);
  throw new Error(`${name} not found under ${root}`);
}

describe("mltrail ui security", () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-ui-sec-"));
    store = path.join(dir, "store");
    seeded = await seedStore(store);
    fs.writeFileSync(path.join(dir, "secret.txt"), SECRET);
    tracker = new Tracker({ trackingUri: store, experiment: "churn", captureContext: false, handleExit: false });
    ui = await startUi(tracker, { port: 0 });
  });
  afterAll(async () => {
    await ui?.close();
    await tracker?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("serves an artifact of the run, and refuses every path that tries to leave it", async () => {
    const ok = await request(ui.port, `/api/artifact?id=${seeded.imageRun}&path=config.json`);
    expect(ok.status).toBe(200);
    expect(ok.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(ok.headers["content-security-policy"]).toContain("sandbox");
    const attempts = [
      "../secret.txt",
      "..%2Fsecret.txt",
      "%2e%2e/%2e%2e/%2e%2e/secret.txt",
      "plots/../../secret.txt",
      "/etc/passwd",
      encodeURIComponent(path.join(dir, "secret.txt")),
      "plots%5C..%5C..%5Csecret.txt",
      "config.json%00.png",
      "./config.json",
      "plots//confusion.png",
    ];
    for (const p of attempts) {
      const res = await request(ui.port, `/api/artifact?id=${seeded.imageRun}&path=${p}`);
      expect(res.status, p).toBe(400);
      expect(res.body, p).not.toContain(SECRET);
      expect(res.body, p).not.toContain("root:");
    }
    for (const raw of ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/app.js/../../../etc/passwd"]) {
      const res = await request(ui.port, raw);
      expect(res.body, raw).not.toContain("root:");
    }
  });

  it("never serves a file a symlink planted in the store points at", async () => {
    const stored = findFile(store, "confusion.png");
    fs.rmSync(stored);
    fs.symlinkSync(path.join(dir, "secret.txt"), stored);
    const res = await request(ui.port, `/api/artifact?id=${seeded.imageRun}&path=plots/confusion.png`);
    expect(res.status).not.toBe(200);
    expect(res.body).not.toContain(SECRET);
  });

  it("requires the token on a non-loopback host, and takes it from the link, a cookie or a header", async () => {
    await expect(startUi(tracker, { host: "0.0.0.0", port: 0, token: "short" })).rejects.toBeInstanceOf(ValidationError);
    const open = await startUi(tracker, { host: "0.0.0.0", port: 0 });
    try {
      const token = open.token as string;
      expect(token.length).toBeGreaterThanOrEqual(32);
      expect(open.url).toContain(`?token=${token}`);
      for (const p of ["/", "/api/experiments", `/api/run?id=${seeded.xssRun}`, "/api/live?sub=%7B%7D", "/app.js"]) {
        const res = await request(open.port, p);
        expect(res.status, p).toBe(401);
        expect(res.body, p).not.toContain("churn");
      }
      expect((await request(open.port, "/api/experiments?token=wrong-token-of-some-length")).status).toBe(401);
      expect((await request(open.port, "/api/experiments", { headers: { authorization: "Bearer nope" } })).status).toBe(401);
      const viaLink = await request(open.port, `/?token=${encodeURIComponent(token)}`);
      expect(viaLink.status).toBe(200);
      const cookie = String(viaLink.headers["set-cookie"]);
      expect(cookie).toContain("HttpOnly");
      expect(cookie).toContain("SameSite=Strict");
      const viaCookie = await request(open.port, "/api/experiments", { headers: { cookie: cookie.split(";")[0] as string } });
      expect(viaCookie.status).toBe(200);
      expect(viaCookie.body).toContain("churn");
      expect((await request(open.port, "/api/experiments", { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it("refuses a Host header naming another site (DNS rebinding) and any write", async () => {
    expect((await request(ui.port, "/api/experiments", { headers: { host: "attacker.example:5111" } })).status).toBe(403);
    expect((await request(ui.port, "/api/experiments", { headers: { host: `localhost:${ui.port}` } })).status).toBe(200);
    for (const method of ["POST", "PUT", "DELETE"]) expect((await request(ui.port, "/api/runs", { method })).status, method).toBe(405);
  });

  it("keeps a tag holding <script> out of the page: only JSON data, behind a CSP without inline script", async () => {
    const page = await request(ui.port, "/");
    expect(page.status).toBe(200);
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.body).not.toContain("xss-tag");
    expect([...page.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual(['<script src="/uplot.js">', '<script src="/app.js">']);
    const run = await request(ui.port, `/api/run?id=${seeded.xssRun}`);
    expect(run.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(run.headers["x-content-type-options"]).toBe("nosniff");
    expect((JSON.parse(run.body) as { run: { tags: Record<string, string> } }).run.tags["note"]).toBe("<script>console.error('xss-tag')</script>");
  });

  it("answers bad input with a 400 naming the field", async () => {
    const res = await request(ui.port, "/api/runs?experiment=churn&filter=metrics.acc%20%3E%3E%3E%201");
    expect(res.status).toBe(400);
    expect((await request(ui.port, "/api/runs?limit=0")).body).toContain("limit");
    expect((await request(ui.port, "/api/live?sub=not-json")).status).toBe(400);
    expect((await request(ui.port, "/api/run?id=doesnotexist")).status).toBe(404);
  });
});

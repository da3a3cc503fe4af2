/**
 * Secrets never appear in what a user prints: `util.inspect(tracker)`, `console.log(tracker.options)`,
 * `JSON.stringify(tracker.options)`, or the ValidationError of a bad tracking URI.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import util from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { hideUrlCredentials } from "../../src/internal/redact.js";
import { createHttpClient } from "../../src/remote/http.js";
import { Tracker, type TrackerOptions } from "../../src/index.js";

let tmp: string;
const open: Tracker[] = [];

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-secrets-"));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const t of open.splice(0)) await t.close({ timeoutMs: 0 });
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function tracker(options: TrackerOptions): Tracker {
  const t = new Tracker({ spoolDir: tmp, captureContext: false, handleExit: false, drainOnStart: false, mode: "offline", logLevel: "silent", ...options });
  open.push(t);
  return t;
}

/** Every way a user might print a tracker or its options. */
function printed(t: Tracker): string[] {
  return [
    util.inspect(t),
    util.inspect(t, { depth: Infinity, showHidden: true }),
    util.inspect(t.options, { depth: Infinity }),
    util.format("%o", t),
    util.format("%j", t.options),
    JSON.stringify(t.options),
    JSON.stringify(t),
    String(JSON.stringify(t.options.auth)),
  ];
}

/** The error `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}

describe("secrets in options are masked wherever they are printed", () => {
  it("auth.password, auth.token and auth.headers values", () => {
    const t = tracker({
      trackingUri: "http://127.0.0.1:9",
      auth: { username: "bob", password: "SECRET1pw", token: "SECRET2tok", headers: { "X-Api-Key": "SECRET3hdr" }, workspace: "team-a" },
    });
    for (const text of printed(t)) {
      expect(text).not.toMatch(/SECRET\d/);
      expect(text).toContain("***");
    }
    expect(util.inspect(t)).toContain("bob"); // a user name is not a secret
    expect(util.inspect(t)).toContain("team-a");
    // Code still reads the real values.
    expect(t.options.auth.password).toBe("SECRET1pw");
    expect(t.options.auth.headers?.["X-Api-Key"]).toBe("SECRET3hdr");
  });

  it("credentials in the tracking URI and in MLFLOW_TRACKING_* env vars", () => {
    vi.stubEnv("MLFLOW_TRACKING_TOKEN", "SECRET4env");
    const t = tracker({ trackingUri: "http://alice:SECRET5uri@127.0.0.1:9/prefix" });
    expect(t.options.auth.password).toBe("SECRET5uri");
    expect(t.options.auth.token).toBe("SECRET4env");
    for (const text of printed(t)) expect(text).not.toMatch(/SECRET\d/);
  });

  it("a local tracker prints its options too", () => {
    const t = tracker({ trackingUri: path.join(tmp, "store") });
    expect(util.inspect(t)).toMatch(/^Tracker \{/);
    expect(JSON.parse(JSON.stringify(t))).toMatchObject({ activeRuns: 0, closed: false, options: { experiment: "Default" } });
  });
});

describe("a bad tracking URI never echoes its credentials", () => {
  const base = { captureContext: false, handleExit: false, spoolDir: "unused" } as const;
  const cases: [string, string][] = [
    ["a password holding '/'", "http://bob:SECRET6/x@host"],
    ["a password holding '#'", "https://bob:SECRET7#x@host/api"],
    ["a bad %-escape in the password", "http://bob:SECRET8%ZZ@127.0.0.1:9"],
    ["a bad %-escape in the user name", "http://SECRET9%ZZ@127.0.0.1:9"],
    ["an invalid port after credentials", "http://bob:SECRET10@host:99999"],
    ["an unsupported scheme with credentials", "postgresql://bob:SECRET11@db/mlflow"],
  ];
  it.each(cases)("%s → ValidationError naming options.trackingUri, credentials masked", (_name, uri) => {
    const err = thrown(() => new Tracker({ ...base, trackingUri: uri }));
    expect(err).toBeInstanceOf(ValidationError);
    const e = err as ValidationError;
    expect(e.field).toBe("options.trackingUri");
    expect(`${e.message}\n${e.stack ?? ""}`).not.toMatch(/SECRET\d+|bob/);
    expect(e.message).toContain("***@");
  });

  it.each(cases.filter(([, uri]) => uri.startsWith("http")))("createHttpClient: %s", (_name, uri) => {
    const err = thrown(() => createHttpClient({ trackingUri: uri }));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).not.toMatch(/SECRET\d+|bob/);
  });

  it("file: URIs a folder cannot come from are ValidationErrors, not TypeErrors", () => {
    for (const uri of ["file:///tmp/a%2Fb", "file://remote-host/x"]) {
      expect(thrown(() => new Tracker({ ...base, trackingUri: uri }))).toBeInstanceOf(ValidationError);
    }
  });

  it("an auth option of the wrong shape is rejected without quoting it", () => {
    const err = thrown(() => new Tracker({ ...base, trackingUri: "http://127.0.0.1:9", auth: { headers: "Bearer SECRET12" as never } }));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe("options.auth.headers");
    expect((err as Error).message).not.toContain("SECRET12");
  });
});

describe("hideUrlCredentials", () => {
  it.each([
    ["http://bob:SECRET3/x@host/api", "http://***@host/api"],
    ["see postgres://u:pw@db:5432/x and https://h/y", "see postgres://***@db:5432/x and https://h/y"],
    ['{"url":"https://t0k3n@github.com/a.git"}', '{"url":"https://***@github.com/a.git"}'],
    ["https://github.com/acme/churn.git", "https://github.com/acme/churn.git"],
  ])("%s → %s", (input, expected) => {
    expect(hideUrlCredentials(input)).toBe(expected);
  });
});

/**
 * Tracking URIs: one identity per server whatever the spelling, API paths stripped with a
 * notice, and a scheme-less `host:port` refused instead of becoming a folder.
 */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/index.js";
import { resolveBackend, resolveOptions } from "../../src/options.js";
import { canonicalServerUri, serverKey } from "../../src/remote/server-uri.js";
import { earlierRunsNotice, syncCommand } from "../../src/remote/drain.js";

describe("canonicalServerUri", () => {
  it("every spelling of one loopback server has one key", () => {
    const spellings = [
      "http://127.0.0.1:5000",
      "http://localhost:5000",
      "HTTP://LOCALHOST:5000/",
      "http://[::1]:5000",
      "http://127.0.0.1:5000/#/experiments/1",
      "http://127.0.0.1:5000//",
      "http://user:pw@127.0.0.1:5000/api/2.0/mlflow",
      "http://127.0.0.1:5000/ajax-api/2.0/mlflow/runs/search",
    ];
    expect(new Set(spellings.map(serverKey))).toEqual(new Set(["http://localhost:5000"]));
  });

  it("keeps what names another server: scheme, port, path prefix, host", () => {
    const keys = ["http://127.0.0.1:5000", "https://127.0.0.1:5000", "http://127.0.0.1:5001", "http://127.0.0.1:5000/mlflow", "http://10.0.0.1:5000"].map(
      serverKey,
    );
    expect(new Set(keys).size).toBe(5);
  });

  it("drops default ports and lower-cases the host, keeping the host it connects to", () => {
    expect(canonicalServerUri("HTTPS://MLflow.Example.COM:443/prefix/")).toEqual({
      url: "https://mlflow.example.com/prefix",
      key: "https://mlflow.example.com/prefix",
    });
    expect(canonicalServerUri("http://127.0.0.1:80/#/experiments/3/runs/abc")).toEqual({ url: "http://127.0.0.1", key: "http://localhost" });
  });

  it("strips an API path with a notice naming what it uses", () => {
    const got = canonicalServerUri("http://127.0.0.1:5000/prefix/api/2.0/mlflow/");
    expect(got.url).toBe("http://127.0.0.1:5000/prefix");
    expect(got.notice).toMatch(/API path "\/api\/2\.0\/mlflow".*uses http:\/\/127\.0\.0\.1:5000\/prefix/);
    expect(canonicalServerUri("http://h:1/ajax-api/2.0/mlflow/experiments/list").url).toBe("http://h:1");
    expect(canonicalServerUri("http://h:1/prefix").notice).toBeUndefined();
  });
});

describe("resolveBackend", () => {
  it.each(["localhost:5000", "127.0.0.1:5000", "mlflow.internal:8080/", "[::1]:5000"])("%s (no scheme) is a ValidationError suggesting http://", (uri) => {
    const err = (() => {
      try {
        resolveBackend(uri, "/tmp");
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain(`"http://${uri}"`);
  });

  it("still takes folders, including ./host:port and Windows-like names", () => {
    expect(resolveBackend("./localhost:5000", "/tmp")).toEqual({ kind: "local", root: "/tmp/localhost:5000" });
    expect(resolveBackend("mltrail", "/tmp")).toEqual({ kind: "local", root: "/tmp/mltrail" });
    expect(resolveBackend("runs:backup", "/tmp").kind).toBe("local");
  });

  it("an env MLFLOW_TRACKING_URI copied from the address bar resolves to the server's base URL", () => {
    const o = resolveOptions({}, { MLFLOW_TRACKING_URI: "http://LOCALHOST:5000/#/experiments/1" });
    expect(o.backend).toEqual({ kind: "mlflow", url: "http://localhost:5000", key: "http://localhost:5000" });
  });
});

describe("the sync command in messages", () => {
  it("is exact and shell-safe", () => {
    expect(syncCommand("http://127.0.0.1:5000", "/home/me/proj/mltrail")).toBe("mltrail sync --to http://127.0.0.1:5000 --dir /home/me/proj/mltrail");
    expect(syncCommand("http://h:1/p", "/tmp/my runs/it's")).toBe(`mltrail sync --to http://h:1/p --dir '/tmp/my runs/it'\\''s'`);
  });

  it("the earlier-runs notice is said once per folder and server, and not at all for none", () => {
    expect(earlierRunsNotice(0, "http://h:1", "/a")).toBeUndefined();
    expect(earlierRunsNotice(3, "http://h:1", "/a")).toContain("3 earlier run(s) in /a were logged before http://h:1 was configured");
    expect(earlierRunsNotice(3, "http://h:1", "/a")).toBeUndefined();
    expect(earlierRunsNotice(1, "http://h:2", "/a")).toContain("mltrail sync --to http://h:2 --dir /a");
  });
});

/**
 * Tracking URIs: one identity per server whatever the spelling, API paths stripped with a
 * notice, and a scheme-less `host:port` refused instead of becoming a folder.
 */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/index.js";
import { resolveBackend, resolveOptions } from "../../src/options.js";
import { canonicalServerUri, serverKey } from "../../src/remote/server-uri.js";

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
    const keys = ["http://127.0.0.1:5000", "https://127.0.0.1:5000", "http://127.0.0.1:5001", "http://127.0.0.1:5000/mlflow", "http://10.0.0.1:5000"].map(serverKey);
    expect(new Set(keys).size).toBe(5);
  });

  it("drops default ports and lower-cases the host, keeping the host it connects to", () => {
    expect(canonicalServerUri("HTTPS://MLflow.Example.COM:443/prefix/")).toEqual({ url: "https://mlflow.example.com/prefix", key: "https://mlflow.example.com/prefix" });
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
